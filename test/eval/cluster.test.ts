import { describe, expect, it } from 'vitest';
import { silhouette, silhouetteSamples } from '../../src/eval';

describe('silhouette (Euclidean, as scikit-learn)', () => {
  it('matches a hand-computed 1-D case', () => {
    // clusters a = {0, 1}, b = {10, 11}
    // x=0:  a = 1, b = (10 + 11)/2 = 10.5 → 9.5/10.5;   x=1:  a = 1, b = (9 + 10)/2 = 9.5 → 8.5/9.5
    // x=10: a = 1, b = 9.5 → 8.5/9.5;                   x=11: a = 1, b = 10.5 → 9.5/10.5
    // mean = (9.5/10.5 + 8.5/9.5) / 2 = 0.899749…  (sklearn 1.2.1: 0.899749373433584)
    const X = [[0], [1], [10], [11]];
    const y = ['a', 'a', 'b', 'b'];
    expect(silhouetteSamples(X, y)).toEqual([9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5].map((v) => expect.closeTo(v, 12)));
    expect(silhouette(X, y)).toBeCloseTo(0.899749373433584, 12);
  });

  it('gives 0 to a point alone in its cluster', () => {
    // x=0: a = 1, b = 5 → 4/5;  x=1: a = 1, b = 4 → 3/4;  x=5: singleton → 0
    // mean = (0.8 + 0.75 + 0) / 3 = 0.51666…  (sklearn: [0.8, 0.75, 0.], 0.5166666666666667)
    const s = silhouetteSamples([[0], [1], [5]], [0, 0, 1]);
    expect(s[0]).toBeCloseTo(0.8, 12);
    expect(s[1]).toBeCloseTo(0.75, 12);
    expect(s[2]).toBe(0);
    expect(silhouette([[0], [1], [5]], [0, 0, 1])).toBeCloseTo(0.5166666666666667, 12);
  });

  it('handles duplicate points (a = 0) and all-equal points (a = b = 0 → 0)', () => {
    // a = 0, b = √2 → s = 1 for every point
    expect(silhouette([[0, 0], [0, 0], [1, 1], [1, 1]], [1, 1, 2, 2])).toBe(1);
    expect(silhouetteSamples([[0], [0], [0], [0]], [1, 1, 2, 2])).toEqual([0, 0, 0, 0]);
  });

  it('matches scikit-learn on three 2-D clusters', () => {
    const X = [[0, 0], [0, 1], [1, 0], [4, 4], [4, 5], [9, 0], [9, 1], [8, 0]];
    const y = ['x', 'x', 'x', 'y', 'y', 'z', 'z', 'z'];
    // point [4,4] (cluster y): a = |[4,4]−[4,5]| = 1;
    //   to x: (√32 + √25 + √25)/3 = 5.2190;  to z: (√41 + √34 + √32)/3 = 5.9638 → b = 5.2190
    //   s = (5.2190 − 1)/5.2190 = 0.80839  (sklearn: 0.8083906286540756)
    const b = (Math.sqrt(32) + 10) / 3;
    expect(silhouetteSamples(X, y)[3]).toBeCloseTo((b - 1) / b, 12);
    expect(silhouetteSamples(X, y)[3]).toBeCloseTo(0.8083906286540756, 12);
    // sklearn silhouette_score: 0.8099348426333626
    expect(silhouette(X, y)).toBeCloseTo(0.8099348426333626, 12);
  });

  it('is negative when labels cut across the geometry', () => {
    // a = {0, 10}, b = {1, 11}: x=0: a = 10, b = (1 + 11)/2 = 6 → (6 − 10)/10 = −0.4
    expect(silhouetteSamples([[0], [10], [1], [11]], ['a', 'a', 'b', 'b'])[0]).toBeCloseTo(-0.4, 12);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => silhouette([[0], [1]], ['a'])).toThrow(/silhouette: 2 points but 1 labels/);
    expect(() => silhouette([[0], [1], [2]], ['a', 'a', 'a'])).toThrow(/silhouette: needs 2 ≤ number of clusters ≤ number of points − 1 \(got 1 clusters for 3 points\)/);
    expect(() => silhouette([[0], [1], [2]], ['a', 'b', 'c'])).toThrow(/got 3 clusters for 3 points/);
    expect(() => silhouette([], [])).toThrow(/got 0 clusters for 0 points/);
    expect(() => silhouette([[0, 0], [1], [2, 2]], ['a', 'a', 'b'])).toThrow(/silhouette: points\[1\] has 1 coordinates but points\[0\] has 2/);
    expect(() => silhouette([[0], [NaN], [2]], ['a', 'a', 'b'])).toThrow(/silhouette: points\[1\]\[0\] = NaN/);
  });
});
