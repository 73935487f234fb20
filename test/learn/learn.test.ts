// The Learn chapters' toys: the SVD behind the LoRA chapter, the mean-collapse trainer, the routing toy.
import { describe, expect, it } from 'vitest';
import { loraParamCount, lowRank, relativeError, svd } from '../../src/learn/svd';
import { conflictingGroups, expertDist, initFit, metrics, predict, step, train } from '../../src/learn/collapse';
import { loadStats, softmax, topK, topKGates, wordLogits, words } from '../../src/learn/router';
import { mulberry32 } from '../../src/model/sampling';

function randomMatrix(d: number, k: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: d }, () => Array.from({ length: k }, () => r() * 2 - 1));
}

describe('svd (one-sided Jacobi) and the best rank-r LoRA', () => {
  for (const [d, k] of [
    [1, 1],
    [5, 3],
    [3, 5],
    [17, 17],
    [33, 9],
  ]) {
    it(`reconstructs a ${d}×${k} matrix exactly at full rank, with orthonormal factors`, () => {
      const M = randomMatrix(d, k, d * 100 + k);
      const s = svd(M);
      const n = Math.min(d, k);
      expect(s.S).toHaveLength(n);
      for (let i = 1; i < n; i++) expect(s.S[i]).toBeLessThanOrEqual(s.S[i - 1] + 1e-12);
      expect(relativeError(M, lowRank(s, n).BA)).toBeLessThan(1e-10);
      // UᵀU = I and VᵀV = I
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          const uu = s.U.reduce((acc, row) => acc + row[a] * row[b], 0);
          const vv = s.V.reduce((acc, row) => acc + row[a] * row[b], 0);
          expect(uu).toBeCloseTo(a === b ? 1 : 0, 9);
          expect(vv).toBeCloseTo(a === b ? 1 : 0, 9);
        }
    });
  }

  it('a higher rank never raises the error, and the error is the tail of the singular values (Eckart–Young)', () => {
    const M = randomMatrix(24, 20, 7);
    const s = svd(M);
    const total = s.S.reduce((a, v) => a + v * v, 0);
    let prev = Infinity;
    for (let r = 0; r <= 20; r++) {
      const e = relativeError(M, lowRank(s, r).BA);
      expect(e).toBeLessThanOrEqual(prev + 1e-12);
      const tail = s.S.slice(r).reduce((a, v) => a + v * v, 0);
      expect(e).toBeCloseTo(Math.sqrt(tail / total), 9);
      prev = e;
    }
  });

  it('recovers a matrix of rank 2 exactly at r = 2 (singular values by hand)', () => {
    // M = 3·u1·v1ᵀ + 1·u2·v2ᵀ with orthonormal u, v
    const u1 = [1, 0, 0];
    const u2 = [0, 0.6, 0.8];
    const v1 = [0.6, 0.8];
    const v2 = [-0.8, 0.6];
    const M = u1.map((_, i) => v1.map((__, j) => 3 * u1[i] * v1[j] + 1 * u2[i] * v2[j]));
    const s = svd(M);
    expect(s.S[0]).toBeCloseTo(3, 12);
    expect(s.S[1]).toBeCloseTo(1, 12);
    expect(relativeError(M, lowRank(s, 1).BA)).toBeCloseTo(Math.sqrt(1 / 10), 12);
  });

  it('counts d·k against r·(d + k)', () => {
    expect(loraParamCount(64, 64, 4)).toEqual({ full: 4096, lora: 512 });
    expect(loraParamCount(4096, 4096, 8)).toEqual({ full: 16777216, lora: 65536 });
  });
});

describe('mean-collapse toy', () => {
  const groups = conflictingGroups(2);

  it('the groups conflict: modes at opposite ends of the scale', () => {
    const argmax = (p: number[]) => p.indexOf(Math.max(...p));
    expect(argmax(groups[0].dist)).toBe(1);
    expect(argmax(groups[1].dist)).toBe(5);
    expect(groups[0].dist.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('the gradient matches central differences of the loss', () => {
    const fit = initFit(2, 2, 7);
    fit.mu = [2.2, 3.9];
    fit.omega = [0.1, -0.2];
    fit.R = [
      [0.3, -0.1],
      [0.05, 0.2],
    ];
    const lr = 1e-3;
    const next = step(fit, groups, lr);
    const loss = (f: typeof fit) => metrics(f, groups, 0).loss;
    const h = 1e-6;
    const fd = (mut: (f: typeof fit, d: number) => void) => {
      const a = structuredClone(fit);
      const b = structuredClone(fit);
      mut(a, h);
      mut(b, -h);
      return (loss(a) - loss(b)) / (2 * h);
    };
    expect((fit.mu[0] - next.mu[0]) / lr).toBeCloseTo(fd((f, d) => (f.mu[0] += d)), 5);
    expect((fit.mu[1] - next.mu[1]) / lr).toBeCloseTo(fd((f, d) => (f.mu[1] += d)), 5);
    expect((fit.omega[1] - next.omega[1]) / lr).toBeCloseTo(fd((f, d) => (f.omega[1] += d)), 5);
    // the router's step is 4× its gradient (it learns faster than the experts)
    expect((fit.R[1][0] - next.R[1][0]) / (4 * lr)).toBeCloseTo(fd((f, d) => (f.R[1][0] += d)), 5);
  });

  it('the dense fit lands in the empty middle with high entropy; the routed fit covers each mode', () => {
    const dense = train(1, groups, 400);
    const routed = train(2, groups, 400);
    const d = dense.history.at(-1)!;
    const r = routed.history.at(-1)!;
    expect(dense.fit.mu[0]).toBeGreaterThan(2.5);
    expect(dense.fit.mu[0]).toBeLessThan(3.5);
    expect(d.entropy).toBeGreaterThan(r.entropy + 0.3);
    expect(d.emd).toBeGreaterThan(r.emd + 0.2);
    expect(r.loss).toBeLessThan(d.loss);
    // each group's prediction peaks at its own mode
    const p = predict(routed.fit, 7);
    expect(p[0].indexOf(Math.max(...p[0]))).toBe(1);
    expect(p[1].indexOf(Math.max(...p[1]))).toBe(5);
    // deterministic: a replay gives the same numbers
    expect(train(2, groups, 400).history).toEqual(routed.history);
  });

  it('three conflicting groups need three experts', () => {
    const g3 = conflictingGroups(3);
    const two = train(2, g3, 400).history.at(-1)!;
    const three = train(3, g3, 400).history.at(-1)!;
    expect(three.emd).toBeLessThan(two.emd);
  });

  it('an expert is a proper distribution', () => {
    const p = expertDist(2.5, 0.3, 6);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(p[3], 12);
  });
});

describe('routing toy', () => {
  it('top-k gates: softmax over the k largest logits, zero elsewhere (hand example)', () => {
    const g = topKGates([1, 3, 2, 0], 2);
    // experts 1 and 2: softmax([3, 2]) = [e/(e+1), 1/(e+1)]
    expect(g[1]).toBeCloseTo(Math.E / (Math.E + 1), 12);
    expect(g[2]).toBeCloseTo(1 / (Math.E + 1), 12);
    expect(g[0]).toBe(0);
    expect(g[3]).toBe(0);
    expect(topKGates([1, 3, 2, 0], 4)).toEqual(softmax([1, 3, 2, 0]));
    expect(topK([5, 5, 1], 1)).toEqual([0]);
  });

  it('load-balancing loss: 1 when balanced, N when one expert takes every token (hand examples)', () => {
    // two tokens, two experts, top-1: each expert gets one token and, by symmetry, P = [.5, .5]
    const bal = loadStats(
      [
        [1, 0],
        [0, 1],
      ],
      1,
    );
    expect(bal.f).toEqual([0.5, 0.5]);
    expect(bal.loss).toBeCloseTo(1, 12);
    // every token to expert 0 with P_0 → 1
    const skew = loadStats(
      [
        [50, 0, 0, 0],
        [50, 0, 0, 0],
      ],
      1,
    );
    expect(skew.f).toEqual([1, 0, 0, 0]);
    expect(skew.loss).toBeCloseTo(4, 6);
  });

  it('a word always routes the same way; words are split as typed', () => {
    expect(wordLogits('Family', 8)).toEqual(wordLogits('family', 8));
    expect(wordLogits('family', 8)).not.toEqual(wordLogits('religion', 8));
    expect(words('How important is family?')).toEqual(['How', 'important', 'is', 'family', '?']);
  });
});
