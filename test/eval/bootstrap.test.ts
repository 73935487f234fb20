// The seeded bootstrap against intervals worked out by hand, and Table 1's flags.
import { describe, it, expect } from 'vitest';
import { bootstrapIntervals } from '../../src/eval';
import { chanceAccuracy, resultFlags, type Table1Metrics } from '../../src/experiments/metrics';

const meanOf = (x: number[]) => (idx: Int32Array) => [Array.from(idx, (i) => x[i]).reduce((a, b) => a + b, 0) / idx.length];

describe('bootstrapIntervals', () => {
  it('three right of four answers: resampled accuracy is Binomial(4, 3/4)/4, so the 95% interval is [0.25, 1]', () => {
    // P(0) = 1/256, P(1/4) = 12/256: 2.5% falls in 1/4; P(≤ 3/4) = 175/256 = 0.68 < 0.975: the top is 1
    expect(bootstrapIntervals(4, meanOf([1, 1, 1, 0]), { B: 4000, seed: 3 })).toEqual([[0.25, 1]]);
  });

  it('one right of two: {0, 1/2, 1} with 1/4, 1/2, 1/4, so [0, 1]', () => {
    expect(bootstrapIntervals(2, meanOf([1, 0]), { B: 2000 })).toEqual([[0, 1]]);
  });

  it('sixty right of a hundred: close to the normal interval 0.6 ± 1.96·√(0.24/100) = [0.504, 0.696]', () => {
    const x = Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 : 0));
    const [[lo, hi]] = bootstrapIntervals(100, meanOf(x), { B: 4000, seed: 5 });
    expect(lo).toBeGreaterThanOrEqual(0.49);
    expect(lo).toBeLessThanOrEqual(0.52);
    expect(hi).toBeGreaterThanOrEqual(0.68);
    expect(hi).toBeLessThanOrEqual(0.71);
  });

  it('is seeded: the same seed gives the same interval, another seed may not', () => {
    const x = Array.from({ length: 30 }, (_, i) => Math.sin(i));
    expect(bootstrapIntervals(30, meanOf(x), { seed: 9 })).toEqual(bootstrapIntervals(30, meanOf(x), { seed: 9 }));
    expect(() => bootstrapIntervals(0, meanOf([]))).toThrow(/at least one answer/);
  });
});

describe('Table 1 flags', () => {
  const m = (acc: number, emdCalibration: number) => ({ acc, emdCalibration }) as Table1Metrics;
  it('flags accuracy below chance, below the question prior, and EMD to P* worse than the prior', () => {
    expect(chanceAccuracy([{ K: 4 }, { K: 2 }])).toBeCloseTo(0.375, 12);
    expect(resultFlags(m(0.063, 0.5), m(0.4, 0.3), 0.25)).toEqual(['accuracy below chance (0.250)', 'accuracy below the question prior (0.400)', 'EMD to P* worse than the question prior (0.300)']);
    expect(resultFlags(m(0.6, 0.2), m(0.4, 0.3), 0.25)).toEqual([]);
    expect(resultFlags(m(0.3, 0.2), undefined, 0.25)).toEqual([]);
  });
});
