/** A rendered body kept for reuse, with its gzip made once on first demand. */
export interface Cached {
  body: Buffer;
  gz: Buffer | null;
}
export const cached = (text: string): Cached => ({ body: Buffer.from(text), gz: null });

/** Bounded in entries and age; the oldest entry goes first. */
export class LruCache<V> {
  private map = new Map<string, { value: V; until: number }>();
  /** Told of each look-up, hit or miss (metrics). */
  onLookup: ((hit: boolean) => void) | null = null;
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string, now: number): V | undefined {
    const hit = this.map.get(key);
    if (hit && hit.until <= now) this.map.delete(key);
    const value = hit && hit.until > now ? hit.value : undefined;
    this.onLookup?.(value !== undefined);
    return value;
  }
  set(key: string, value: V, now: number): void {
    this.map.delete(key);
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, until: now + this.ttlMs });
  }
}

/** The rendered list pages and API answers of one instance. */
export interface PageCaches {
  pages: LruCache<Cached>;
  api: LruCache<Cached>;
}

export function createPageCaches(): PageCaches {
  return { pages: new LruCache<Cached>(500, 30_000), api: new LruCache<Cached>(500, 30_000) };
}
