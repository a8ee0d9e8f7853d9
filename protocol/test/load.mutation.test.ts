// The protocol module builds all its schemas when it loads. A file that imports it
// statically cannot even start when that fails; this one imports it inside a test, so
// a schema that can no longer be built is a failing test.
import { describe, expect, it } from 'vitest';

describe('the protocol module', () => {
  it('loads and builds every message schema', async () => {
    const p = await import('../src/index.js');
    expect(p.serverMessageSchema.safeParse({ type: 'event', name: 'movie.cleared', data: { movieId: 'M1' } }).success).toBe(true);
    expect(p.clientRequestSchema.safeParse({ type: 'request', id: 1, method: 'state.get' }).success).toBe(true);
    expect(p.CLIENT_METHODS).toHaveLength(9);
  });
});
