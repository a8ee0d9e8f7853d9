/** The benchmarks' one median: the middle value, or the mean of the two middle ones. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const v = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}
