// Divergence warnings: a loss spike or an exploding gradient against the steps before, not a fixed threshold.
import { describe, it, expect } from 'vitest';
import { DivergenceWatch } from '../../src/train/divergence';

describe('DivergenceWatch', () => {
  it('stays quiet on a smooth run, warns on a spike and on an exploding gradient, with the numbers', () => {
    const w = new DivergenceWatch();
    const quiet = [1.4, 1.38, 1.35, 1.3, 1.28, 1.25, 1.2].map((l, i) => w.push(i + 1, l, 0.8 + 0.01 * i));
    expect(quiet.every((x) => x === null)).toBe(true);
    // the case: loss 25 with ‖g‖ 850 after a run at ~1.3 and ‖g‖ under 1
    expect(w.push(8, 25, 850)).toMatch(/^step 8: loss 25\.000 is 19\.\d× the median of the steps before \(1\.300\); ‖g‖ 850\.0 is \d+× the median before/);
    expect(w.push(9, 1.2, 40)).toMatch(/‖g‖ 40\.0 is/);
    expect(w.push(10, NaN, 1)).toMatch(/not finite/);
  });

  it('judges nothing before five steps, and a resumed watch remembers the steps before its checkpoint', () => {
    const w = new DivergenceWatch();
    for (let s = 1; s <= 4; s++) expect(w.push(s, s === 3 ? 50 : 1, 1)).toBeNull();
    const r = DivergenceWatch.from([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]);
    expect(r.push(6, 5, 1)).toMatch(/loss 5\.000 is 5\.0×/);
  });
});
