// The worker's side of a run, without a GPU: progress goes to the page in batches (every step and metric
// kept, only the newest signatures per method), phase changes at once; pause holds the run between
// steps until resume, and stop wakes a paused run.
import { describe, it, expect } from 'vitest';
import type { Progress } from '../../src/experiments/runner';
import { createEventBatcher, createRunSwitches } from '../../src/worker/training';
import type { SignatureSet } from '../../src/experiments/signatures';

const set: SignatureSet = { kind: 'z', countries: [], silhouette: null };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('event batcher', () => {
  it('batches steps, keeps the newest signatures per method, and sends phase changes at once', async () => {
    const sent: Progress[][] = [];
    const b = createEventBatcher((e) => sent.push(e), 30);
    for (let s = 1; s <= 50; s++) b.push({ method: 'lora', phase: 'train', step: s, steps: 50, loss: 1, gradNorm: 1, lr: 1 });
    b.push({ method: 'zhyper-diag', phase: 'signatures', step: 1, set });
    b.push({ method: 'zhyper-diag', phase: 'signatures', step: 2, set });
    b.push({ method: 'cuma', phase: 'signatures', step: 2, set: { ...set, kind: 'routing' } });
    expect(sent).toHaveLength(0);
    await sleep(60);
    expect(sent).toHaveLength(1);
    expect(sent[0].filter((p) => p.phase === 'train')).toHaveLength(50);
    const sigs = sent[0].filter((p) => p.phase === 'signatures') as Extract<Progress, { phase: 'signatures' }>[];
    expect(sigs.map((p) => [p.method, p.step])).toEqual([
      ['zhyper-diag', 2],
      ['cuma', 2],
    ]);
    b.push({ method: 'lora', phase: 'train', step: 51, steps: 60, loss: 1, gradNorm: 1, lr: 1 });
    b.push({ method: 'lora', phase: 'evaluate' });
    expect(sent).toHaveLength(2);
    expect(sent[1].map((p) => p.phase)).toEqual(['train', 'evaluate']);
    b.close();
  });

  it('a page that went away does not stop the run', () => {
    const b = createEventBatcher(() => {
      throw new Error('gone');
    });
    expect(() => b.push({ method: 'lora', phase: 'prepare' })).not.toThrow();
  });
});

describe('run switches', () => {
  it('pause holds until resume; stop wakes a paused run', async () => {
    const states: string[] = [];
    const sw = createRunSwitches((s) => states.push(s));
    await sw.whilePaused();
    sw.pause();
    // not paused until the run reaches the gate (the step in flight finishes first)
    expect(states).toEqual([]);
    let passed = false;
    void sw.whilePaused().then(() => (passed = true));
    await sleep(20);
    expect(passed).toBe(false);
    sw.resume();
    await sleep(0);
    expect(passed).toBe(true);
    sw.pause();
    let woke = false;
    void sw.whilePaused().then(() => (woke = true));
    sw.stop();
    await sleep(0);
    expect(woke).toBe(true);
    expect(sw.shouldStop()).toBe(true);
    expect(states).toEqual(['paused', 'running', 'paused']);
    // a pause taken back before the run reached the gate says nothing
    const quiet: string[] = [];
    const sw2 = createRunSwitches((s) => quiet.push(s));
    sw2.pause();
    sw2.resume();
    await sw2.whilePaused();
    expect(quiet).toEqual([]);
  });
});
