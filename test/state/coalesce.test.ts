import { describe, expect, it } from 'vitest';
import { createCoalescer, createLane } from '../../src/state/coalesce';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('createCoalescer', () => {
  it('runs at most one at a time, keeps only the newest pending request, and resolves every push', async () => {
    const ran: number[] = [];
    let inflight = 0;
    let maxInflight = 0;
    const c = createCoalescer<number>(async (n) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await tick(10);
      ran.push(n);
      inflight--;
    });
    const ps = [1, 2, 3, 4, 5].map((n) => c.push(n));
    expect(c.busy).toBe(true);
    expect(c.pending).toBe(true);
    await Promise.all(ps);
    expect(ran).toEqual([1, 5]);
    expect(maxInflight).toBe(1);
    expect(c.busy).toBe(false);
    expect(c.pending).toBe(false);
  });

  it('runs for any argument, null and undefined included', async () => {
    let runs = 0;
    const c = createCoalescer<null | undefined>(async () => {
      runs++;
    });
    await c.push(null);
    await c.push(undefined);
    expect(runs).toBe(2);
  });

  it('goes on after a run throws', async () => {
    const ran: number[] = [];
    const c = createCoalescer<number>(async (n) => {
      ran.push(n);
      if (n === 1) throw new Error('boom');
    });
    const err = console.error;
    console.error = () => {};
    await Promise.all([c.push(1), c.push(2)]);
    await c.push(3);
    console.error = err;
    expect(ran).toEqual([1, 2, 3]);
  });
});

describe('createLane', () => {
  it('runs calls one after another in order, even when one fails', async () => {
    const lane = createLane();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) =>
      lane.run(async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const a = job('a', 15);
    const b = job('b', 1, true);
    const c = job('c', 1);
    expect(lane.depth).toBe(3);
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    await tick();
    expect(lane.depth).toBe(0);
  });
});
