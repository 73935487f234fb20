// The papers' survey metrics over raw predictions, against hand computations and the authors' formulas.
import { describe, it, expect } from 'vitest';
import { ageGroup, countryMacroAccuracy, emdWvb, sigmaInequity, type Prediction } from '../../src/eval/survey';

const pred = (question: string, gold: number, argmax: number, country = 'X', K = 3, attributes?: Record<string, string>): Prediction => {
  const probs = new Array<number>(K).fill(0.1 / (K - 1));
  probs[argmax] = 0.9;
  return { question, profile: `${question}-${country}-${gold}-${argmax}`, country, gold, argmax, probs, ...(attributes ? { attributes } : {}) };
};

/** scipy.stats.wasserstein_distance of two samples on the line, as WorldValuesBench calls it after scaling to [0, 1]. */
function scipyW1(u: number[], v: number[]): number {
  const all = [...u, ...v].sort((a, b) => a - b);
  const cdf = (xs: number[], t: number) => xs.filter((x) => x <= t).length / xs.length;
  let w = 0;
  for (let i = 0; i < all.length - 1; i++) w += Math.abs(cdf(u, all[i]) - cdf(v, all[i])) * (all[i + 1] - all[i]);
  return w;
}

describe('emdWvb (WorldValuesBench evaluate.py)', () => {
  it('one question by hand: gold [0,0,1,2] against a model that answers 0 for everyone', () => {
    const ps = [pred('q', 0, 0), pred('q', 0, 0), pred('q', 1, 0), pred('q', 2, 0)];
    // CDFs of gold (.5, .75) and argmax (1, 1): (.5 + .25) / (K − 1 = 2)
    expect(emdWvb(ps)).toBeCloseTo(0.375, 12);
  });

  it("equals scipy's W1 on the answers scaled to [0, 1] by the scale's range, averaged over questions", () => {
    const ps = [pred('a', 0, 1, 'X', 4), pred('a', 3, 3, 'X', 4), pred('a', 2, 0, 'Y', 4), pred('b', 1, 1, 'X', 2), pred('b', 0, 1, 'Y', 2), pred('b', 0, 0, 'Y', 2), pred('b', 1, 1, 'Z', 2)];
    const perQ = ['a', 'b'].map((q) => {
      const g = ps.filter((p) => p.question === q);
      const K = g[0].probs.length;
      return scipyW1(g.map((p) => p.gold / (K - 1)), g.map((p) => p.argmax / (K - 1)));
    });
    expect(emdWvb(ps)).toBeCloseTo((perQ[0] + perQ[1]) / 2, 12);
    // each question counts once, whatever its number of answers
    expect(perQ[0]).not.toBeCloseTo(perQ[1], 3);
  });

  it('is 0 when the answers are right, and refuses bad indices', () => {
    expect(emdWvb([pred('q', 2, 2), pred('q', 1, 1)])).toBe(0);
    // the same histograms with the answers swapped between people: still 0 (a distribution measure)
    expect(emdWvb([pred('q', 2, 1), pred('q', 1, 2)])).toBe(0);
    expect(() => emdWvb([{ ...pred('q', 0, 0), gold: 3 }])).toThrow(/gold = 3/);
    expect(() => emdWvb([])).toThrow(/no predictions/);
  });
});

describe('CUMA evaluate_wvs.py: country macro-accuracy and σ_inequity', () => {
  it('macro-accuracy weighs every country once', () => {
    // X: 3 of 4 right; Y: 0 of 1 → pooled 3/5, macro (0.75 + 0)/2
    const ps = [pred('q', 0, 0, 'X'), pred('q', 1, 1, 'X'), pred('q', 2, 2, 'X'), pred('q', 0, 1, 'X'), pred('q', 0, 1, 'Y')];
    expect(countryMacroAccuracy(ps)).toBeCloseTo(0.375, 12);
  });

  it('σ_inequity: np.std (ddof 0) of subgroup accuracies (groups of ≥ 5), averaged over dimensions', () => {
    const ps: Prediction[] = [];
    // country X: 5 answers, 4 right; country Y: 5 answers, 1 right; country Z: 2 answers (too few, skipped)
    for (let i = 0; i < 5; i++) ps.push(pred('q', 0, i < 4 ? 0 : 1, 'X', 3, { gender: i % 2 ? 'Male' : 'Female' }));
    for (let i = 0; i < 5; i++) ps.push(pred('q', 0, i < 1 ? 0 : 1, 'Y', 3, { gender: i % 2 ? 'Male' : 'Female' }));
    ps.push(pred('q', 0, 0, 'Z'), pred('q', 0, 0, 'Z'));
    // country: accs 0.8, 0.2 → std 0.3. gender: Female = X0,X2,X4,Y0,Y2,Y4 → 3/6 right? X0 ✓, X2 ✓, X4 ✗, Y0 ✓, Y2 ✗, Y4 ✗ = 0.5;
    // Male = X1,X3,Y1,Y3 → 4 answers (< 5, skipped) → gender has one group: no σ. Mean over dimensions = 0.3
    expect(sigmaInequity(ps)).toBeCloseTo(0.3, 12);
    // with a fifth Male answer the gender dimension counts: Male 2/5 = 0.4, Female 0.5 → σ 0.05; mean (0.3 + 0.05)/2
    ps.push(pred('q', 0, 1, 'Z', 3, { gender: 'Male' }));
    // Z now has 3 answers: still skipped
    expect(sigmaInequity(ps)).toBeCloseTo((0.3 + 0.05) / 2, 12);
    // 'Unknown' is not a group
    expect(sigmaInequity([...ps, ...Array.from({ length: 6 }, () => pred('q', 0, 1, 'Unknown'))])).toBeCloseTo((0.3 + 0.05) / 2, 12);
  });

  it('σ_inequity is NaN when no dimension has two groups of five', () => {
    expect(Number.isNaN(sigmaInequity([pred('q', 0, 0, 'X')]))).toBe(true);
  });

  it('age groups as WVS X003R', () => {
    expect([18, 24, 25, 34, 35, 54, 55, 64, 65, 90].map(ageGroup)).toEqual([
      '16-24 years old', '16-24 years old', '25-34 years old', '25-34 years old', '35-44 years old', '45-54 years old', '55-64 years old', '55-64 years old', '65 and over', '65 and over',
    ]);
  });
});
