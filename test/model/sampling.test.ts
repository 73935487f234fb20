import { describe, it, expect } from 'vitest';
import { argmax, mulberry32, sample } from '../../src/model/sampling';

const logits = Float32Array.from([1, 3, 2, 0.5, 2.9, -1]);
const freq = (o: Parameters<typeof sample>[1], n = 20000, seed = 1) => {
  const r = mulberry32(seed);
  const c = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) c[sample(logits, o, r)]++;
  return c.map((x) => x / n);
};

describe('sampling', () => {
  it('greedy and temperature 0 are argmax', () => {
    expect(argmax(logits)).toBe(1);
    expect(sample(logits, { greedy: true, temperature: 1, topK: 0, topP: 1 }, mulberry32(1))).toBe(1);
    expect(sample(logits, { greedy: false, temperature: 0, topK: 0, topP: 1 }, mulberry32(1))).toBe(1);
  });
  it('temperature 1 with no truncation follows softmax', () => {
    const z = Array.from(logits).reduce((a, l) => a + Math.exp(l), 0);
    const f = freq({ greedy: false, temperature: 1, topK: 0, topP: 1 });
    logits.forEach((l, i) => expect(Math.abs(f[i] - Math.exp(l) / z)).toBeLessThan(0.015));
  });
  it('top-k keeps only the k largest', () => {
    const f = freq({ greedy: false, temperature: 1, topK: 2, topP: 1 });
    expect(f[0] + f[2] + f[3] + f[5]).toBe(0);
    const p1 = Math.exp(3) / (Math.exp(3) + Math.exp(2.9));
    expect(Math.abs(f[1] - p1)).toBeLessThan(0.015);
  });
  it('top-p keeps the smallest prefix reaching p', () => {
    // softmax ≈ [.06, .36, .13, .03, .33, .01]: 0.36 + 0.33 ≥ 0.6, so only tokens 1 and 4 remain
    const f = freq({ greedy: false, temperature: 1, topK: 0, topP: 0.6 });
    expect(f[1] + f[4]).toBe(1);
  });
  it('is replayable from a seed', () => {
    const o = { greedy: false, temperature: 1.3, topK: 4, topP: 0.95 };
    const run = (s: number) => { const r = mulberry32(s); return Array.from({ length: 50 }, () => sample(logits, o, r)); };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
