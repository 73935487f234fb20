import { describe, it, expect } from 'vitest';
import { normalizeInPlace, pool } from '../../src/condition/pooling';

// batch 2, seq 3, dim 2: row 0 right-padded (2 real tokens), row 1 left-padded (1 real token)
const hidden = Float32Array.of(1, 2, 3, 4, 90, 90, 80, 80, 70, 70, 5, 6);
const mask = [1n, 1n, 0n, 0n, 0n, 1n];

describe('pool', () => {
  it('cls takes position 0', () => {
    expect(pool(hidden, mask, 2, 3, 2, 'cls').map((v) => Array.from(v))).toEqual([[1, 2], [80, 80]]);
  });

  it('mean averages real tokens only', () => {
    expect(pool(hidden, mask, 2, 3, 2, 'mean').map((v) => Array.from(v))).toEqual([[2, 3], [5, 6]]);
  });

  it('last_token takes the last real token with either padding side', () => {
    expect(pool(hidden, mask, 2, 3, 2, 'last_token').map((v) => Array.from(v))).toEqual([[3, 4], [5, 6]]);
  });

  it('keeps an all-padding row at zero, and accepts number masks', () => {
    const [v] = pool(Float32Array.of(1, 1, 2, 2), [0, 0], 1, 2, 2, 'mean');
    expect(Array.from(v)).toEqual([0, 0]);
  });

  it('normalizes to unit length and leaves zero vectors alone', () => {
    expect(Array.from(normalizeInPlace(Float32Array.of(3, 4)))).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(normalizeInPlace(new Float32Array(3)))).toEqual([0, 0, 0]);
  });
});
