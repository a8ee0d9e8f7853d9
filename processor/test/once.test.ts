import { waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, type SideEffects, startRig } from './rig.js';

// The same package delivered twice (a station retrying after a lost reply, an
// operator copying it again) is one film: rendered once, written to S3 once,
// loaded by mpv once, announced once. Counted where each happens, never from
// the processor's own lists.
const ONCE: SideEffects = { rendersStarted: 1, putsVideo: 1, putsPoster: 1, putsMeta: 1, loadfiles: 1, filmAdded: 1 };

describe('a package delivered twice is made once', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig('proc-once');
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
  });

  /** Every film done, announced and loaded by mpv: nothing of it is still on its way. */
  const settled = (ids: string[]) =>
    waitFor(
      `${ids.join(', ')} done, announced and on screen`,
      async () => {
        for (const id of ids) {
          if (rig.processor().pipeline.job(id)?.state !== 'done') return false;
          const s = await rig.sideEffects(id);
          if (s.filmAdded < 1 || s.loadfiles < 1) return false;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );

  /**
   * A film delivered after the duplicate was taken is done only after anything the
   * duplicate set off (jobs are worked in the order they were received).
   */
  const expectOnce = async (id: string) => {
    const marker = await rig.prepare({ frames: 4, publish: 'public', title: 'after the duplicate' });
    await rig.deliver(marker);
    const timedOut = await settled([id, marker]).then(
      () => null,
      (err: Error) => err.message,
    );
    // The counts first: they say what went wrong when a film never settles.
    expect(await rig.sideEffects(id), `side effects of ${id}`).toEqual(ONCE);
    expect(await rig.sideEffects(marker), `side effects of ${marker}`).toEqual(ONCE);
    expect(timedOut).toBeNull();
  };

  const duplicateNoted = (id: string) => rig.logs.filter((l) => l.event === 'package.duplicate' && l.id === id).map((l) => l.state);

  it('while the first delivery is rendering', async () => {
    const id = await rig.prepare({ frames: 60, width: 480, height: 360, kind: 'photo', publish: 'public', title: 'busy' });
    await rig.deliver(id);
    await waitFor('the render to start', () => rig.logs.some((l) => l.event === 'render.started' && l.id === id), {
      timeoutMs: 60_000,
      intervalMs: 2,
    });
    await rig.deliver(id);
    void rig.processor().pipeline.scan();
    await rig.taken(id);
    await expectOnce(id);
    expect(duplicateNoted(id)).toEqual(['rendering']);
  }, 240_000);

  it('after the first delivery is done', async () => {
    const id = await rig.prepare({ frames: 6, publish: 'public', title: 'done once' });
    await rig.deliver(id);
    await settled([id]);
    await rig.deliver(id);
    void rig.processor().pipeline.scan();
    await rig.taken(id);
    await expectOnce(id);
    expect(duplicateNoted(id)).toEqual(['done']);
  }, 240_000);

  it('after a processor restart', async () => {
    const id = await rig.prepare({ frames: 6, publish: 'public', title: 'before the restart' });
    await rig.deliver(id);
    await settled([id]);
    await rig.restart();
    await rig.deliver(id);
    void rig.processor().pipeline.scan();
    await rig.taken(id);
    await expectOnce(id);
    expect(duplicateNoted(id)).toEqual(['done']);
  }, 240_000);

  it('when the copy arrives while another inbox scan is taking the first', async () => {
    const id = await rig.prepare({ frames: 6, publish: 'public', title: 'racing scans' });
    const p = rig.processor().pipeline;
    await rig.deliver(id);
    const first = p.scan();
    await rig.taken(id);
    await rig.deliver(id);
    // The watcher, the rescan timer and two explicit calls all race for the copy.
    p.queueScan();
    const second = p.scan();
    await Promise.all([first, second, p.scan()]);
    await rig.taken(id);
    await expectOnce(id);
    expect(duplicateNoted(id)).toHaveLength(1);
  }, 240_000);
});
