// Every backward reference (src/train/reference.ts) against central finite differences of its own f64
// forward, and those forwards against the kernels' forward references (src/gpu/reference.ts), so the
// chain GPU backward → TS backward → TS forward → GPU forward is closed.
import { describe, it, expect } from 'vitest';
import * as R from '../reference/kernels';
import * as fwd from '../reference/kernels';
import { ropeInvFreq } from '../../src/model/config';
import { relErr, rand64, numericGrad, dot, f32 } from './helpers';

const TOL = 1e-6;

describe('backward references vs finite differences (f64)', () => {
  for (const [T, N, K, ld, off] of [[1, 3, 2, 3, 0], [3, 5, 7, 9, 2], [4, 8, 6, 8, 0]]) {
    it(`linear input gradient T=${T} N=${N} K=${K} ldDY=${ld} dyOff=${off}`, () => {
      const X = rand64(T * K, 1), W = rand64(N * K, 2);
      const Rw = rand64(T * ld, 3); // dY as a window of a wider buffer
      const dY = Float64Array.from({ length: T * N }, (_, i) => Rw[Math.floor(i / N) * ld + off + (i % N)]);
      const num = numericGrad(() => dot(dY, R.linearF64(X, W, T, N, K)), X);
      expect(relErr(R.linearBackwardInputRef(Rw, W, T, N, K, ld, off), num)).toBeLessThan(TOL);
    });
  }

  for (const [T, dim, eps] of [[1, 1, 0.5], [3, 7, 1e-6], [2, 33, 0.1]]) {
    it(`rmsnorm T=${T} dim=${dim} eps=${eps}`, () => {
      const x = rand64(T * dim, 4, 2), w = rand64(dim, 5), dy = rand64(T * dim, 6);
      const num = numericGrad(() => dot(dy, R.rmsnormF64(x, w, dim, eps)), x);
      expect(relErr(R.rmsnormBackwardRef(x, w, dy, dim, eps), num)).toBeLessThan(TOL);
    });
  }

  for (const [T, nHeads, D, pos0] of [[1, 1, 2, 0], [3, 2, 6, 5], [2, 3, 10, 100]]) {
    it(`rope T=${T} heads=${nHeads} D=${D} pos0=${pos0}`, () => {
      const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
      const x = rand64(T * nHeads * D, 7), dy = rand64(x.length, 8);
      const num = numericGrad(() => dot(dy, R.ropeF64(x, T, nHeads, D, pos0, invFreq)), x);
      expect(relErr(R.ropeBackwardRef(dy, T, nHeads, D, pos0, invFreq), num)).toBeLessThan(TOL);
    });
  }

  for (const [T, pos0, nH, nKV, D] of [[1, 0, 1, 1, 2], [4, 0, 4, 2, 3], [3, 2, 3, 1, 5], [5, 1, 2, 2, 4]]) {
    it(`causal GQA attention T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}: dq, dK, dV (past rows too)`, () => {
      const S = pos0 + T;
      const q = rand64(T * nH * D, 9, 1.5), kc = rand64(S * nKV * D, 10, 1.5), vc = rand64(S * nKV * D, 11), dO = rand64(T * nH * D, 12);
      const L = () => dot(dO, R.attentionF64(q, kc, vc, T, pos0, nH, nKV, D).out);
      const b = R.attentionBackwardRef(q, kc, vc, dO, T, pos0, nH, nKV, D);
      expect(relErr(b.dq, numericGrad(L, q))).toBeLessThan(TOL);
      expect(relErr(b.dK, numericGrad(L, kc))).toBeLessThan(TOL);
      expect(relErr(b.dV, numericGrad(L, vc))).toBeLessThan(TOL);
      // delta = dO·O, the identity attention_lse relies on to skip O
      const { out } = R.attentionF64(q, kc, vc, T, pos0, nH, nKV, D);
      const dOO = Float64Array.from({ length: T * nH }, (_, r) => dot(dO.subarray(r * D, r * D + D), out.subarray(r * D, r * D + D)));
      expect(relErr(b.delta, dOO)).toBeLessThan(1e-12);
    });
  }

  for (const [T, I] of [[1, 1], [3, 5], [2, 17]]) {
    it(`silu gate T=${T} I=${I}`, () => {
      const gu = rand64(T * 2 * I, 13, 4), dOut = rand64(T * I, 14);
      const num = numericGrad(() => dot(dOut, R.siluGateF64(gu, T, I)), gu);
      expect(relErr(R.siluGateBackwardRef(gu, dOut, T, I), num)).toBeLessThan(TOL);
    });
  }

  for (const [rows, V, eps] of [[1, 2, 0], [4, 7, 0.1], [3, 50, 0.3]]) {
    it(`cross-entropy rows=${rows} V=${V} eps=${eps}`, () => {
      const logits = rand64(rows * V, 15, 5);
      const pairs: [number, number][] = rows === 1 ? [[0, 1]] : [[rows - 1, V - 1], [0, 3 % V]];
      const gradScale = 0.37;
      const num = numericGrad(() => gradScale * R.crossEntropyRef(logits, V, pairs, eps).loss.reduce((a, b) => a + b, 0), logits);
      const ce = R.crossEntropyRef(logits, V, pairs, eps, gradScale);
      expect(relErr(ce.dlogits, num)).toBeLessThan(TOL);
      // eps = 0 is −log softmax at the target
      if (eps === 0) {
        const [row, y] = pairs[0];
        const z = logits.subarray(row * V, row * V + V);
        expect(ce.loss[row]).toBeCloseTo(-Math.log(Math.exp(z[y]) / z.reduce((a, v) => a + Math.exp(v), 0)), 12);
      }
    });
  }

  for (const [T, K, N, r, withZ] of [[1, 2, 3, 1, true], [3, 5, 4, 2, false], [4, 7, 6, 3, true]] as [number, number, number, number, boolean][]) {
    it(`LoRA segment T=${T} K=${K} N=${N} r=${r} ${withZ ? 'Zhyper diag z' : 'plain'}`, () => {
      const x = rand64(T * K, 16), A = rand64(r * K, 17), B = rand64(N * r, 18), z = rand64(r, 19), dY = rand64(T * N, 20);
      const s = 1.7;
      const L = () => dot(dY, R.loraF64(x, A, B, withZ ? z : null, s, T, K, N, r));
      const b = R.loraBackwardRef(x, dY, A, B, withZ ? z : null, s, T, K, N, r);
      expect(relErr(b.dX, numericGrad(L, x))).toBeLessThan(TOL);
      expect(relErr(b.dA, numericGrad(L, A))).toBeLessThan(TOL);
      expect(relErr(b.dB, numericGrad(L, B))).toBeLessThan(TOL);
      if (withZ) expect(relErr(b.dz, numericGrad(L, z))).toBeLessThan(TOL);
    });
  }
});

describe('the forward references (f32 results of the f64 forms) within f32 rounding; the adapted projection against loraF64', () => {
  it('linear, rmsnorm, rope, attention, silu gate, LoRA (diag z)', () => {
    const T = 5, N = 6, K = 8, nH = 4, nKV = 2, D = 6, pos0 = 3, I = 7;
    const X = rand64(T * K, 21), W = rand64(N * K, 22);
    expect(relErr(R.linearF64(X, W, T, N, K), fwd.linearRef(f32(X), f32(W), T, N, K))).toBeLessThan(1e-6);
    const w = rand64(K, 23);
    expect(relErr(R.rmsnormF64(X, w, K, 1e-5), fwd.rmsnormRef(f32(X), f32(w), K, 1e-5))).toBeLessThan(1e-6);
    const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
    const q = rand64(T * nH * D, 24);
    expect(relErr(R.ropeF64(q, T, nH, D, pos0, invFreq), fwd.ropeRef(f32(q), T, nH, D, pos0, invFreq))).toBeLessThan(1e-6);
    const S = pos0 + T, kc = rand64(S * nKV * D, 25), vc = rand64(S * nKV * D, 26);
    expect(relErr(R.attentionF64(q, kc, vc, T, pos0, nH, nKV, D).out, fwd.attentionRef(f32(q), f32(kc), f32(vc), T, pos0, nH, nKV, D))).toBeLessThan(1e-6);
    const gu = rand64(T * 2 * I, 27, 3);
    expect(relErr(R.siluGateF64(gu, T, I), fwd.siluMulRef(f32(gu), T, I))).toBeLessThan(1e-6);
    const r = 3, A = rand64(r * K, 28), B = rand64(N * r, 29), z = rand64(r, 30);
    const lora = { mode: 1 as const, r, E: 1, EA: 1, segs: [{ start: 0, len: N }], scale: 0.5, A: f32(A), B: f32(B), cond: f32(z) };
    expect(relErr(R.loraF64(X, A, B, z, 0.5, T, K, N, r), fwd.adaptedLinearRef(f32(X), null, T, N, K, lora))).toBeLessThan(1e-6);
  });
});

describe('AdamW reference', () => {
  it('first step moves each weight by ≈ lr·sign(g) (m̂ = g, v̂ = g²) plus the decay', () => {
    const p = rand64(10, 31), g = rand64(10, 32);
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.1 };
    const out = R.adamwRef(p, g, new Float64Array(10), new Float64Array(10), 1, h);
    for (let i = 0; i < 10; i++) expect(out.p[i]).toBeCloseTo(p[i] - h.lr * (Math.sign(g[i]) + h.wd * p[i]), 6);
  });

  it('clip factor is min(1, maxNorm / (‖g‖ + 1e-6)) over all tensors', () => {
    const { norm, clip } = R.clipScaleRef([[3], [4, 0]], 1);
    expect(norm).toBe(5);
    expect(clip).toBeCloseTo(1 / (5 + 1e-6), 12);
    expect(R.clipScaleRef([[0.1]], 1).clip).toBe(1);
  });
});
