import { describe, expect, it } from 'vitest';
import { accuracy, macroF1, perClassF1 } from '../../src/eval';

describe('accuracy', () => {
  it('is the share of exact matches', () => {
    // matches at 0, 1, 3 of 4 → 3/4
    expect(accuracy([0, 1, 2, 1], [0, 1, 1, 1])).toBe(0.75);
    expect(accuracy([3], [3])).toBe(1);
    expect(accuracy([0, 0], [1, 1])).toBe(0);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/accuracy: pred has 2 labels but gold has 1/);
    expect(() => accuracy([], [])).toThrow(/accuracy: no examples/);
    expect(() => accuracy([0, NaN], [0, 1])).toThrow(/accuracy: pred\[1\] = NaN/);
    expect(() => accuracy([0, 1], [0, Infinity])).toThrow(/accuracy: gold\[1\]/);
  });
});

describe('macroF1', () => {
  it('averages per-class F1 over the classes present (scikit-learn average="macro")', () => {
    // gold [0,1,1,0], pred [0,1,2,0]
    // class 0: tp 2, fp 0, fn 0 → 1;  class 1: tp 1, fn 1 → 2/3;  class 2: fp 1 → 0
    // macro = (1 + 2/3 + 0) / 3 = 5/9  (sklearn 1.2.1: 0.5555555555555555)
    expect(macroF1([0, 1, 2, 0], [0, 1, 1, 0], 3)).toBeCloseTo(5 / 9, 12);
  });

  it('excludes classes absent from both pred and gold', () => {
    // same data with K = 5: classes 3 and 4 occur nowhere and do not dilute the mean
    expect(macroF1([0, 1, 2, 0], [0, 1, 1, 0], 5)).toBeCloseTo(5 / 9, 12);
  });

  it('gives F1 = 0 to a gold class that is never predicted', () => {
    // gold [0,0,1], pred [0,0,0]: class 0 tp 2, fp 1 → 4/5; class 1 fn 1, no predictions → 0
    // macro = (0.8 + 0) / 2 = 0.4  (sklearn: 0.4)
    expect(macroF1([0, 0, 0], [0, 0, 1], 2)).toBeCloseTo(0.4, 12);
    // predicted-only class also counts as 0: gold [0,0], pred [2,2] → classes 0, 2 both 0
    expect(macroF1([2, 2], [0, 0], 3)).toBe(0);
  });

  it('matches a larger hand-computed case', () => {
    const gold = [0, 0, 1, 1, 2, 2, 3, 3, 0, 4];
    const pred = [0, 1, 1, 1, 2, 0, 3, 2, 0, 0];
    // class 0: tp 2 (i 0, 8), fp 2 (i 5, 9), fn 1 (i 1) → 4/7
    // class 1: tp 2, fp 1 → 4/5;  class 2: tp 1, fp 1, fn 1 → 1/2;  class 3: tp 1, fn 1 → 2/3
    // class 4: fn 1, never predicted → 0;  classes 5, 6 absent → excluded
    // macro = (4/7 + 4/5 + 1/2 + 2/3 + 0) / 5 = 0.507619…  (sklearn: 0.5076190476190476)
    const expected = (4 / 7 + 4 / 5 + 1 / 2 + 2 / 3) / 5;
    expect(macroF1(pred, gold, 7)).toBeCloseTo(expected, 12);
    expect(macroF1(pred, gold, 7)).toBeCloseTo(0.5076190476190476, 12);
    const rows = perClassF1(pred, gold, 7);
    expect(rows[0]).toEqual({ tp: 2, fp: 2, fn: 1, f1: 4 / 7 });
    expect(rows[4]).toEqual({ tp: 0, fp: 0, fn: 1, f1: 0 });
    expect(rows[5].f1).toBeNull();
  });

  it('is 1 for perfect predictions, even with a single class', () => {
    expect(macroF1([0, 1, 2, 0, 1], [0, 1, 2, 0, 1], 3)).toBe(1);
    expect(macroF1([1, 1], [1, 1], 4)).toBe(1);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => macroF1([0], [0, 1], 2)).toThrow(/macroF1: pred has 1 labels but gold has 2/);
    expect(() => macroF1([], [], 2)).toThrow(/macroF1: no examples/);
    expect(() => macroF1([0, 2], [0, 1], 2)).toThrow(/macroF1: pred\[1\] = 2 is not a class index in \[0, 2\)/);
    expect(() => macroF1([0, 1], [0, -1], 2)).toThrow(/macroF1: gold\[1\] = -1/);
    expect(() => macroF1([0, 0.5], [0, 1], 2)).toThrow(/pred\[1\] = 0.5/);
    expect(() => macroF1([0], [0], 0)).toThrow(/macroF1: numClasses must be a positive integer/);
    expect(() => perClassF1([0], [9], 2)).toThrow(/perClassF1: gold\[0\] = 9/);
  });
});
