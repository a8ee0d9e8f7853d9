/** Hand-built JPEG byte structures for splitter tests (structure only, not decodable). */
function segment(marker: number, payload: Buffer): Buffer {
  const len = payload.length + 2;
  return Buffer.concat([Buffer.from([0xff, marker, len >> 8, len & 0xff]), payload]);
}

/** Entropy data: random bytes with every 0xFF stuffed, plus restart markers. */
function entropy(seed: number, size: number): Buffer {
  const out: number[] = [];
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const byte = (x >>> 16) & 0xff;
    out.push(byte);
    if (byte === 0xff) out.push(0x00);
    if (i % 97 === 96) out.push(0xff, 0xd0 + ((i / 97) % 8));
  }
  return Buffer.from(out);
}

export function fakeJpeg(opts: { seed: number; exifThumbnail?: boolean; size?: number }): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  parts.push(segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')));
  if (opts.exifThumbnail) {
    // An EXIF block carrying a whole JPEG thumbnail, with its own SOI/SOS/EOI.
    const thumb = fakeJpeg({ seed: opts.seed + 1000, size: 64 });
    parts.push(segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.alloc(12, 0x2a), thumb, Buffer.from([0xff, 0xd9])])));
  }
  parts.push(segment(0xdb, Buffer.alloc(65, opts.seed & 0xff)));
  parts.push(segment(0xc0, Buffer.from([8, 0, 16, 0, 16, 1, 1, 0x11, 0])));
  parts.push(Buffer.from([0xff, 0xff])); // a fill byte before the next marker
  parts.push(segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])));
  parts.push(entropy(opts.seed, opts.size ?? 1500));
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}
