import { describe, expect, it } from 'vitest';
import { diffMatrix, maxAbs, meanGates, tokenExpertGates, tokenLabels, totalVariation, zMatrix } from '../../src/state/plots';

const gates = {
  E: 2,
  tokens: ['a', ' b', '\n'],
  // 2 layers × 3 tokens × 2 experts, token-major
  layers: [
    [1, 0, 0.5, 0.5, 0, 1],
    [0.25, 0.75, 0.25, 0.75, 0.25, 0.75],
  ],
};

describe('plot matrices', () => {
  it('splits one layer into tokens × experts', () => {
    expect(tokenExpertGates(gates, 0)).toEqual([
      [1, 0],
      [0.5, 0.5],
      [0, 1],
    ]);
    expect(tokenExpertGates(gates, 5)).toEqual([]);
  });
  it('averages gates over tokens: layers × experts', () => {
    expect(meanGates(gates)).toEqual([
      [0.5, 0.5],
      [0.25, 0.75],
    ]);
    expect(meanGates({ E: 2, tokens: [], layers: [[]] })).toEqual([[0, 0]]);
  });
  it('takes z of one target as layers × rank', () => {
    const z = { targets: ['q', 'v'] as ('q' | 'v')[], r: 2, values: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] };
    expect(zMatrix(z, 1)).toEqual([
      [3, 4],
      [7, 8],
    ]);
  });
  it('differences, the scale bound, token labels and total variation', () => {
    expect(diffMatrix([[1, 2]], [[0.5, 3]])).toEqual([[0.5, -1]]);
    expect(maxAbs([[0.5, -1]])).toBe(1);
    expect(maxAbs([[0, 0]])).toBeGreaterThan(0);
    expect(tokenLabels(gates.tokens)).toEqual(['0 · a', '1 · ␣b', '2 · ↵']);
    expect(totalVariation([1, 0], [0, 1])).toBe(1);
    expect(totalVariation([0.5, 0.5], [0.5, 0.5])).toBe(0);
  });
});
