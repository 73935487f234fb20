import { describe, expect, it } from 'vitest';
import { meanSignature, routingOverlap, routingOverlapPerQuery, routingSignature, topKIndices } from '../../src/eval';
import type { ScoreResult } from '../../src/adapters/session';

describe('topKIndices', () => {
  it('returns the k largest, ties to the lower index', () => {
    expect(topKIndices([0.1, 0.4, 0.2, 0.3], 2)).toEqual([1, 3]);
    expect(topKIndices([0.25, 0.25, 0.25, 0.25], 2)).toEqual([0, 1]);
    expect(topKIndices([0, 0.5, 0.5, 0], 3)).toEqual([1, 2, 0]);
    expect(topKIndices(new Float32Array([3, 1, 2]), 3)).toEqual([0, 2, 1]);
  });

  it('rejects k outside 1..length', () => {
    expect(() => topKIndices([1, 2], 3)).toThrow(/topKIndices: k = 3 exceeds the vector length 2/);
    expect(() => topKIndices([1, 2], 0)).toThrow(/topKIndices: k must be a positive integer/);
  });
});

describe('routingOverlap', () => {
  it('is |TopK(A) ∩ TopK(B)| / k for one query', () => {
    // A → {0,1}, B → {2,1}: one shared of k = 2 → 1/2
    expect(routingOverlap([0.4, 0.3, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2], 2)).toBe(0.5);
    expect(routingOverlap([0.4, 0.3, 0.2, 0.1], [0.3, 0.4, 0.1, 0.2], 2)).toBe(1);
    expect(routingOverlap([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], 2)).toBe(0);
    // k = 3 of E = 4: {0,1,2} vs {1,2,3} → 2/3
    expect(routingOverlap([0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], 3)).toBeCloseTo(2 / 3, 12);
    // k = E: every positive expert is active in both → 1
    expect(routingOverlap([0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], 4)).toBe(1);
  });

  it('averages over queries', () => {
    const A = [
      [0.6, 0.4, 0, 0], // {0,1}
      [0.6, 0.4, 0, 0], // {0,1}
    ];
    const B = [
      [0.4, 0.6, 0, 0], // {1,0} → 1
      [0, 0, 0.5, 0.5], // {2,3} → 0
    ];
    expect(routingOverlapPerQuery(A, B, 2)).toEqual([1, 0]);
    expect(routingOverlap(A, B, 2)).toBe(0.5);
    // typed-array rows and a single Float32Array query
    expect(routingOverlap(A.map((r) => new Float32Array(r)), B.map((r) => new Float32Array(r)), 2)).toBe(0.5);
    expect(routingOverlap(new Float32Array([0.6, 0.4, 0, 0]), new Float32Array([0.4, 0.6, 0, 0]), 1)).toBe(0);
  });

  it('breaks ties to the lower expert index', () => {
    // A uniform → {0,1}; B → {1,2}: 1/2
    expect(routingOverlap([0.25, 0.25, 0.25, 0.25], [0, 0.5, 0.5, 0], 2)).toBe(0.5);
  });

  it('never counts an expert with mean gate 0 as active', () => {
    // all-zero gates activate no expert → 0, even against themselves
    expect(routingOverlap([0, 0, 0, 0], [0, 0, 0, 0], 2)).toBe(0);
    // only expert 0 is active in each: 1 shared of k = 2 slots → 1/2
    expect(routingOverlap([1, 0, 0, 0], [1, 0, 0, 0], 2)).toBe(0.5);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => routingOverlap([[1, 0]], [[1, 0], [0, 1]], 1)).toThrow(/routingOverlap: gatesA has 1 queries but gatesB has 2/);
    expect(() => routingOverlap([1, 0, 0], [1, 0], 1)).toThrow(/routingOverlap: query 0: gatesA has 3 experts but gatesB has 2/);
    expect(() => routingOverlap([1, 0], [1, 0], 3)).toThrow(/routingOverlap: k = 3 exceeds the number of experts 2/);
    expect(() => routingOverlap([1, 0], [1, 0], 0)).toThrow(/routingOverlap: k must be a positive integer/);
    expect(() => routingOverlap([], [], 1)).toThrow(/routingOverlap: gatesA has no queries/);
    expect(() => routingOverlap([1, -0.5], [1, 0], 1)).toThrow(/routingOverlap: gatesA\[0\]\[1\] = -0.5 is negative/);
    expect(() => routingOverlap([[1, 0]], [[NaN, 0]], 1)).toThrow(/routingOverlap: gatesB\[0\]\[0\] = NaN is not a finite number/);
  });
});

describe('routingSignature (CUMA Eq. 23)', () => {
  // E = 2, L = 2, T = 2 tokens; flat [T·E] per layer
  //   layer 0: t0 [1, 0], t1 [.5, .5] → per-layer mean [.75, .25]
  //   layer 1: t0 [0, 1], t1 [0, 1]   → [0, 1]
  //   mean over layers → [.375, .625]
  const gates = { E: 2, layers: [[1, 0, 0.5, 0.5], [0, 1, 0, 1]] };

  it('means gates over tokens (per layer) and over tokens and layers', () => {
    const s = routingSignature(gates);
    expect(s.E).toBe(2);
    expect(s.perLayer).toEqual([[0.75, 0.25], [0, 1]]);
    expect(s.mean).toEqual([0.375, 0.625]);
  });

  it('takes ScoreResult gates and Float32Array layers', () => {
    const score: NonNullable<ScoreResult['gates']> = { E: 2, tokens: ['a', 'b'], layers: gates.layers };
    expect(routingSignature(score).mean).toEqual([0.375, 0.625]);
    const f32 = routingSignature({ E: 2, layers: gates.layers.map((l) => new Float32Array(l)) });
    expect(f32.mean).toEqual([0.375, 0.625]);
  });

  it('handles a single token and a single layer', () => {
    expect(routingSignature({ E: 3, layers: [[0.2, 0.3, 0.5]] })).toEqual({ E: 3, mean: [0.2, 0.3, 0.5], perLayer: [[0.2, 0.3, 0.5]] });
  });

  it('meanSignature weighs each profile equally', () => {
    const a = routingSignature(gates); // mean [.375, .625], perLayer [[.75,.25],[0,1]]
    const b = routingSignature({ E: 2, layers: [[1, 0], [1, 0]] }); // mean [1, 0], perLayer [[1,0],[1,0]]
    const c = meanSignature([a, b]);
    // mean: [(.375 + 1)/2, (.625 + 0)/2] = [.6875, .3125]
    expect(c.mean).toEqual([0.6875, 0.3125]);
    // perLayer: [[(.75+1)/2, (.25+0)/2], [(0+1)/2, (1+0)/2]] = [[.875, .125], [.5, .5]]
    expect(c.perLayer).toEqual([[0.875, 0.125], [0.5, 0.5]]);
    expect(meanSignature([a])).toEqual(a);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => routingSignature({ E: 0, layers: [[1]] })).toThrow(/routingSignature: E must be a positive integer/);
    expect(() => routingSignature({ E: 2, layers: [] })).toThrow(/routingSignature: gates.layers is empty/);
    expect(() => routingSignature({ E: 2, layers: [[]] })).toThrow(/routingSignature: layer 0 has no tokens/);
    expect(() => routingSignature({ E: 2, layers: [[1, 0, 1]] })).toThrow(/routingSignature: layer 0 has 3 gates, not a multiple of E = 2/);
    expect(() => routingSignature({ E: 2, layers: [[1, 0, 1, 0], [1, 0]] })).toThrow(/routingSignature: layer 1 has 2 gates but layer 0 has 4/);
    expect(() => routingSignature({ E: 2, layers: [[1, -1]] })).toThrow(/routingSignature: layers\[0\]\[1\] = -1 is negative/);
    expect(() => routingSignature({ E: 2, layers: [[1, NaN]] })).toThrow(/routingSignature: layers\[0\]\[1\] = NaN/);
    const a = routingSignature(gates);
    expect(() => meanSignature([])).toThrow(/meanSignature: no signatures/);
    expect(() => meanSignature([a, routingSignature({ E: 3, layers: [[1, 0, 0], [1, 0, 0]] })])).toThrow(/meanSignature: signature 1 has E = 3/);
    expect(() => meanSignature([a, routingSignature({ E: 2, layers: [[1, 0]] })])).toThrow(/meanSignature: signature 1 has 1 layers but signature 0 has 2/);
  });
});
