/**
 * Splits an MJPEG byte stream (concatenated JPEG files) into whole JPEG frames by
 * walking the JPEG segment structure. A naive scan for FFD8…FFD9 breaks on frames
 * that carry an EXIF thumbnail (a complete JPEG inside an APP1 segment); walking
 * segment lengths skips such payloads. State is kept across chunk boundaries, the
 * splitter resynchronises on the next start-of-image after garbage, and a frame
 * larger than `maxFrameBytes` is dropped instead of growing the buffer forever.
 */

enum State {
  SeekSoi = 0,
  Marker = 1,
  Entropy = 2,
}

export interface SplitterStats {
  frames: number;
  /** Bytes thrown away: garbage between frames, broken or oversized frames. */
  discardedBytes: number;
  /** Times a frame in progress was abandoned because its structure was broken. */
  resyncs: number;
}

export class JpegSplitter {
  private buf: Buffer;
  private len = 0;
  private pos = 0;
  /** Offset of the current frame's SOI, or -1 while looking for one. */
  private start = -1;
  private state: State = State.SeekSoi;
  readonly stats: SplitterStats = { frames: 0, discardedBytes: 0, resyncs: 0 };

  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {
    this.buf = Buffer.allocUnsafe(256 * 1024);
  }

  /** Feeds bytes; returns the frames completed by them (copies, safe to keep). */
  push(chunk: Uint8Array): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    this.parse(frames);
    this.compact();
    return frames;
  }

  /** Bytes held for a frame in progress. */
  get buffered(): number {
    return this.len;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + chunk.length) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  private resync(): void {
    // Look for the next frame just after the broken frame's SOI: a new SOI inside
    // the broken bytes (a truncated frame followed by a whole one) is found again.
    this.stats.resyncs++;
    const from = this.start + 2;
    this.stats.discardedBytes += 2;
    this.start = -1;
    this.pos = from;
    this.state = State.SeekSoi;
  }

  private parse(frames: Buffer[]): void {
    const b = this.buf;
    for (;;) {
      if (this.start >= 0 && this.len - this.start > this.maxFrameBytes) {
        this.resync();
        continue;
      }
      switch (this.state) {
        case State.SeekSoi: {
          let i = this.pos;
          while (i + 1 < this.len && !(b[i] === 0xff && b[i + 1] === 0xd8)) i++;
          if (i + 1 >= this.len) {
            // Keep a trailing 0xFF: it may be the first half of an SOI.
            const keep = this.len > 0 && b[this.len - 1] === 0xff ? this.len - 1 : this.len;
            this.stats.discardedBytes += Math.max(0, keep - this.pos);
            this.pos = keep;
            return;
          }
          this.stats.discardedBytes += i - this.pos;
          this.start = i;
          this.pos = i + 2;
          this.state = State.Marker;
          break;
        }
        case State.Marker: {
          let p = this.pos;
          if (p >= this.len) return;
          if (b[p] !== 0xff) {
            this.resync();
            break;
          }
          // Fill bytes: any number of 0xFF may precede a marker.
          while (p + 1 < this.len && b[p + 1] === 0xff) p++;
          if (p + 1 >= this.len) {
            this.pos = p;
            return;
          }
          const m = b[p + 1] as number;
          if (m === 0xd9) {
            const end = p + 2;
            frames.push(Buffer.from(b.subarray(this.start, end)));
            this.stats.frames++;
            this.start = -1;
            this.pos = end;
            this.state = State.SeekSoi;
          } else if (m === 0xd8) {
            // A new image began before this one ended: the old one was truncated.
            this.stats.resyncs++;
            this.stats.discardedBytes += p - this.start;
            this.start = p;
            this.pos = p + 2;
          } else if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
            this.pos = p + 2;
          } else if (m === 0x00) {
            this.resync();
          } else {
            if (p + 4 > this.len) {
              this.pos = p;
              return;
            }
            const segmentLength = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
            if (segmentLength < 2) {
              this.resync();
              break;
            }
            this.pos = p + 2 + segmentLength;
            if (m === 0xda) this.state = State.Entropy;
          }
          break;
        }
        case State.Entropy: {
          // Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or a restart
          // marker; anything else is the next marker.
          let i = this.pos;
          for (;;) {
            while (i < this.len && b[i] !== 0xff) i++;
            if (i + 1 >= this.len) {
              this.pos = i;
              return;
            }
            const next = b[i + 1] as number;
            if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
              i += 2;
            } else if (next === 0xff) {
              i += 1;
            } else {
              break;
            }
          }
          this.pos = i;
          this.state = State.Marker;
          break;
        }
      }
    }
  }

  private compact(): void {
    const from = this.start >= 0 ? this.start : this.pos;
    if (from === 0) return;
    this.buf.copy(this.buf, 0, from, this.len);
    this.len -= from;
    this.pos -= from;
    if (this.start >= 0) this.start = 0;
    // Give memory back after an unusually large frame.
    if (this.buf.length > 4 * 1024 * 1024 && this.len < 256 * 1024) {
      const smaller = Buffer.allocUnsafe(256 * 1024);
      this.buf.copy(smaller, 0, 0, this.len);
      this.buf = smaller;
    }
  }
}
