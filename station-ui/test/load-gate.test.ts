import { describe, expect, it } from 'vitest';
import { LoadGate } from '../src/shared/ui/load-gate.js';

describe('LoadGate', () => {
  it('runs at most `limit` at once and starts the newest waiting one when a slot frees', () => {
    const gate = new LoadGate(2);
    const started: string[] = [];
    const done = ['a', 'b', 'c', 'd'].map((name) => gate.acquire(() => started.push(name)));
    expect(started).toEqual(['a', 'b']);
    expect(gate.queued).toBe(2);
    done[0]?.();
    expect(started).toEqual(['a', 'b', 'd']);
    done[1]?.();
    expect(started).toEqual(['a', 'b', 'd', 'c']);
    expect(gate.running).toBe(2);
  });

  it('a load no longer wanted leaves the queue without starting; releasing twice frees one slot only', () => {
    const gate = new LoadGate(1);
    const started: string[] = [];
    const a = gate.acquire(() => started.push('a'));
    const b = gate.acquire(() => started.push('b'));
    b();
    a();
    a();
    expect(started).toEqual(['a']);
    expect(gate.running).toBe(0);
    expect(gate.queued).toBe(0);
    gate.acquire(() => started.push('c'));
    gate.acquire(() => started.push('d'));
    expect(started).toEqual(['a', 'c']);
  });
});
