import { describe, expect, it } from 'vitest';
import { answerHistogram, emd, emdOfAnswers, entropy, meanEntropy, normalizedEntropy } from '../../src/eval';

describe('emd (Wasserstein-1 over ordinal options, divided by K − 1)', () => {
  it('matches hand-computed CDF distances', () => {
    // F_p = [1, 1], F_q = [0, 0] → (1 + 1) / 2 = 1
    expect(emd([1, 0, 0], [0, 0, 1])).toBe(1);
    // F_p = [.5, 1], F_q = [0, .5] → (.5 + .5) / 2 = .5
    expect(emd([0.5, 0.5, 0], [0, 0.5, 0.5])).toBeCloseTo(0.5, 12);
    // F_p = [.1,.3,.6], F_q = [.4,.7,.9] → (.3 + .4 + .3) / 3 = 1/3
    expect(emd([0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1])).toBeCloseTo(1 / 3, 12);
    // F_p = [.2,.7], F_q = [.6,.7] → (.4 + 0) / 2 = .2
    expect(emd([0.2, 0.5, 0.3], [0.6, 0.1, 0.3])).toBeCloseTo(0.2, 12);
    // neighbouring options: all mass moves one step of K − 1 = 4 → 1/4
    expect(emd([0, 1, 0, 0, 0], [0, 0, 1, 0, 0])).toBeCloseTo(0.25, 12);
  });

  it('is 0 for identical inputs, symmetric, and ignores scale (counts work)', () => {
    expect(emd([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    const p = [0.1, 0.6, 0.3];
    const q = [0.5, 0.25, 0.25];
    expect(emd(p, q)).toBeCloseTo(emd(q, p), 15);
    // counts [2,2,0] and [0,1,1] normalize to the first hand case above → .5
    expect(emd([2, 2, 0], [0, 1, 1])).toBeCloseTo(0.5, 12);
    // float32 probabilities (sum 1 ± 1e-7)
    expect(emd(new Float32Array([0.1, 0.2, 0.7]), new Float32Array([0.1, 0.2, 0.7]))).toBe(0);
  });

  it('K = 1 is 0', () => {
    expect(emd([1], [3])).toBe(0);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => emd([0.5, 0.5], [0.2, 0.3, 0.5])).toThrow(/emd: p has 2 options but q has 3/);
    expect(() => emd([], [])).toThrow(/emd: p is empty/);
    expect(() => emd([0.5, -0.1, 0.6], [0.2, 0.3, 0.5])).toThrow(/emd: p\[1\] = -0.1 is negative/);
    expect(() => emd([0.5, 0.5], [0, 0])).toThrow(/emd: q sums to 0/);
    expect(() => emd([0.5, NaN], [0.5, 0.5])).toThrow(/emd: p\[1\] = NaN is not a finite number/);
    expect(() => emd([Infinity, 0], [0.5, 0.5])).toThrow(/emd: p\[0\] = Infinity/);
    expect(() => emd([1e308, 1e308], [0.5, 0.5])).toThrow(/emd: p sums to Infinity/);
  });
});

describe('emdOfAnswers', () => {
  it('compares the two groups\' answer histograms', () => {
    // K = 3: [0,0,1,1] → [.5,.5,0], [1,1,2,2] → [0,.5,.5] → .5
    expect(emdOfAnswers([0, 0, 1, 1], [1, 1, 2, 2], 3)).toBeCloseTo(0.5, 12);
    // different group sizes: [0] → [1,0,0,0]; [3,3,3] → [0,0,0,1] → 1
    expect(emdOfAnswers([0], [3, 3, 3], 4)).toBe(1);
    // same histogram from different orders and sizes → 0
    expect(emdOfAnswers([0, 2], [2, 0, 0, 2], 3)).toBe(0);
    // K = 5: [0,4] → [.5,0,0,0,.5], [2] → [0,0,1,0,0]; F diffs .5,.5,.5,.5 → 2/4 = .5
    expect(emdOfAnswers([0, 4], [2], 5)).toBeCloseTo(0.5, 12);
  });

  it('builds histograms of counts', () => {
    expect(answerHistogram([0, 2, 2, 1, 2], 4)).toEqual([1, 1, 3, 0]);
    expect(answerHistogram([], 2)).toEqual([0, 0]);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => emdOfAnswers([], [0], 3)).toThrow(/emdOfAnswers: answersA is empty/);
    expect(() => emdOfAnswers([0], [], 3)).toThrow(/emdOfAnswers: answersB is empty/);
    expect(() => emdOfAnswers([0, 3], [0], 3)).toThrow(/answerHistogram: answers\[1\] = 3 is not an option index in \[0, 3\)/);
    expect(() => emdOfAnswers([0, 1.5], [0], 3)).toThrow(/answers\[1\] = 1.5/);
    expect(() => emdOfAnswers([-1], [0], 3)).toThrow(/answers\[0\] = -1/);
    expect(() => emdOfAnswers([0], [0], 0)).toThrow(/emdOfAnswers: K must be a positive integer/);
  });
});

describe('entropy', () => {
  it('matches hand-computed values in nats and other bases', () => {
    // uniform over 4 options: ln 4 = 1.386… (the CUMA paper's "mean collapse" H ≈ 1.38)
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 12);
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(entropy([0.5, 0.5], 2)).toBeCloseTo(1, 12);
    // .5·ln 2 + 2·(.25·ln 4) = 1.5 ln 2 nats = 1.5 bits
    expect(entropy([0.5, 0.25, 0.25])).toBeCloseTo(1.5 * Math.LN2, 12);
    expect(entropy([0.5, 0.25, 0.25], 2)).toBeCloseTo(1.5, 12);
    // counts normalize: [2,1,1] = [.5,.25,.25]
    expect(entropy([2, 1, 1], 2)).toBeCloseTo(1.5, 12);
  });

  it('is 0 for a certain answer (0·log 0 = 0)', () => {
    expect(entropy([1, 0, 0])).toBe(0);
    expect(entropy([0, 0, 7])).toBe(0);
    expect(entropy([1])).toBe(0);
  });

  it('normalizedEntropy divides by log K', () => {
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(1, 12);
    expect(normalizedEntropy([0, 1, 0])).toBe(0);
    // 1.5 ln 2 / ln 3 = 0.94639…
    expect(normalizedEntropy([0.5, 0.25, 0.25])).toBeCloseTo((1.5 * Math.LN2) / Math.log(3), 12);
    expect(normalizedEntropy([5])).toBe(0);
  });

  it('meanEntropy averages over distributions', () => {
    // (ln 2 + 0) / 2
    expect(meanEntropy([[0.5, 0.5], [1, 0, 0]])).toBeCloseTo(Math.LN2 / 2, 12);
    expect(meanEntropy([[0.5, 0.5], [0.25, 0.25, 0.25, 0.25]], 2)).toBeCloseTo(1.5, 12);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => entropy([])).toThrow(/entropy: p is empty/);
    expect(() => entropy([0, 0])).toThrow(/entropy: p sums to 0/);
    expect(() => entropy([0.5, -0.5, 1])).toThrow(/entropy: p\[1\] = -0.5 is negative/);
    expect(() => entropy([0.5, 0.5], 1)).toThrow(/entropy: base must be a positive number other than 1/);
    expect(() => entropy([0.5, 0.5], -2)).toThrow(/base/);
    expect(() => normalizedEntropy([])).toThrow(/normalizedEntropy: p is empty/);
    expect(() => meanEntropy([])).toThrow(/meanEntropy: no distributions/);
    expect(() => meanEntropy([[1], [0, 0]])).toThrow(/meanEntropy: ps\[1\]: entropy: p sums to 0/);
  });
});
