// Every training kernel against its f64 TypeScript reference (src/train/reference.ts), at several shapes
// including ones that divide none of the workgroup sizes (64, 8×8 threads × 4×4 tiles, 256-score chunks).
import { describe, it, expect, beforeAll } from 'vitest';
import * as R from '../reference/kernels';
import { routerBackwardRef } from '../reference/kernels';
import { packTargets, IGNORE, loraScratch, routerScratch } from '../../src/train/kernels';
import { ropeInvFreq, ropeTable } from '../../src/model/config';
import { relErr, rand64, f32, gpuTrain, numericGrad } from './helpers';

let g: Awaited<ReturnType<typeof gpuTrain>>;
beforeAll(async () => {
  g = await gpuTrain();
});

const TOL = 2e-5;

describe('linear_backward_input (frozen W [N, K]): dX (+)= dY·W', () => {
  for (const [T, N, K, ld, off, acc, vec4] of [
    [1, 3, 5, 3, 0, false, false],
    [37, 65, 33, 65, 0, true, false],
    [5, 7, 4, 7, 0, false, true],
    [70, 96, 132, 200, 17, true, true],
    [256, 41, 36, 41, 0, false, true],
    [9, 10, 12, 30, 20, true, false], // K % 4 == 0 through the scalar kernel
  ] as [number, number, number, number, number, boolean, boolean][]) {
    it(`T=${T} N=${N} K=${K} ldDY=${ld} dyOff=${off} accumulate=${acc} ${vec4 ? 'vec4' : 'scalar'}`, async () => {
      const dY = rand64(T * ld, 1), W = rand64(N * K, 2), dX0 = rand64(T * K, 3);
      const want = R.linearBackwardInputRef(dY, W, T, N, K, ld, off);
      if (acc) want.forEach((_, i) => (want[i] += dX0[i]));
      const dX = g.buf(acc ? f32(dX0) : T * K);
      g.setStep(T);
      g.k.run([g.tk.linearBackwardInput(g.step, { N, K, ldDY: ld, dyOff: off, accumulate: acc, vec4, dY: g.buf(f32(dY)), W: g.buf(f32(W)), dX })], T);
      expect(relErr(await g.read(dX, T * K), want)).toBeLessThan(TOL);
    });
  }
  it('refuses the vec4 kernel when K % 4 != 0', () => {
    expect(() => g.tk.linearBackwardInput(g.step, { N: 2, K: 6, vec4: true, dY: g.k.empty, W: g.k.empty, dX: g.k.empty })).toThrow(/K % 4/);
  });
});

describe('rmsnorm_backward', () => {
  for (const [T, dim, acc] of [[1, 64, false], [5, 37, false], [7, 300, true], [3, 1000, true]] as [number, number, boolean][]) {
    it(`T=${T} dim=${dim} accumulate=${acc}`, async () => {
      const x = rand64(T * dim, 4, 3), w = rand64(dim, 5), dy = rand64(T * dim, 6), dx0 = rand64(T * dim, 7);
      const want = R.rmsnormBackwardRef(x, w, dy, dim, 1e-5);
      if (acc) want.forEach((_, i) => (want[i] += dx0[i]));
      const dx = g.buf(acc ? f32(dx0) : T * dim);
      g.setStep(T);
      g.k.run([g.tk.rmsnormBackward(g.step, { dim, eps: 1e-5, accumulate: acc, x: g.buf(f32(x)), w: g.buf(f32(w)), dy: g.buf(f32(dy)), dx })], T);
      expect(relErr(await g.read(dx, T * dim), want)).toBeLessThan(TOL);
    });
  }
});

describe('rope_backward (in place on dqkv; v heads untouched)', () => {
  for (const [T, nQ, nK, D, pos0] of [[1, 2, 1, 8, 5], [6, 4, 2, 16, 0], [9, 3, 1, 130, 17], [4, 1, 1, 2, 1000]]) {
    it(`T=${T} heads=${nQ}+${nK} D=${D} pos0=${pos0}`, async () => {
      const nHeads = nQ + nK, ld = (nQ + 2 * nK) * D;
      const dqkv = rand64(T * ld, 8);
      const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
      const b = g.buf(f32(dqkv));
      g.setStep(T, pos0);
      g.k.run([g.tk.ropeBackward(g.step, { headDim: D, nHeads, ldQKV: ld, cosSin: g.buf(ropeTable(invFreq, pos0 + T)), dqkv: b })], T);
      const want = f32(dqkv);
      for (let t = 0; t < T; t++) want.set(R.ropeBackwardRef(dqkv.subarray(t * ld, t * ld + nHeads * D), 1, nHeads, D, pos0 + t, invFreq), t * ld);
      expect(relErr(await g.read(b, T * ld), want)).toBeLessThan(TOL);
    });
  }
  it("the q/k norm's backward needs rope's saved pre-norm values", () => {
    expect(() => g.tk.ropeBackward(g.step, { headDim: 8, nHeads: 2, ldQKV: 24, cosSin: g.k.empty, normW: g.k.empty, dqkv: g.k.empty })).toThrow(/pre-norm values/);
  });
});

describe("Qwen3's q/k RMSNorm + RoPE: rope saves the pre-norm heads, rope_norm_backward differentiates both", () => {
  // head_dim past the 64 threads (130), odd head counts, a long past; q heads and k heads use their own norm weights
  for (const [T, nQ, nK, D, pos0] of [[1, 2, 1, 8, 5], [6, 4, 2, 16, 0], [9, 3, 1, 130, 17], [5, 1, 1, 2, 300]]) {
    it(`T=${T} heads=${nQ}+${nK} D=${D} pos0=${pos0}`, async () => {
      const nHeads = nQ + nK, ld = (nQ + 2 * nK) * D, eps = 1e-6;
      const qkv = rand64(T * ld, 20, 2), normW = rand64(2 * D, 21, 1), dy = rand64(T * ld, 22);
      normW.forEach((v, i) => (normW[i] = 1 + 0.5 * v)); // around 1, as trained norms are
      const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
      const cosSin = g.buf(ropeTable(invFreq, pos0 + T)), wB = g.buf(f32(normW));
      const xB = g.buf(f32(qkv)), pre = g.buf(T * nHeads * D), dB = g.buf(f32(dy));
      g.setStep(T, pos0);
      g.k.run([g.k.rope(g.step, { headDim: D, nHeads, nQHeads: nQ, ldQKV: ld, eps, cosSin, normW: wB, pre, qkv: xB })], T);
      g.k.run([g.tk.ropeBackward(g.step, { headDim: D, nHeads, nQHeads: nQ, ldQKV: ld, eps, cosSin, normW: wB, pre, dqkv: dB })], T);

      // f64 reference: y = RoPE(RMSNorm_head(x)·w), dx = RMSNormᵀ(RoPEᵀ(dy)), per token and head
      const heads = (a: Float64Array, t: number) => a.subarray(t * ld, t * ld + nHeads * D);
      const wOf = (h: number) => normW.subarray(h < nQ ? 0 : D, h < nQ ? D : 2 * D);
      const forward = (x: Float64Array, t: number) => {
        const n = new Float64Array(nHeads * D);
        for (let h = 0; h < nHeads; h++) n.set(R.rmsnormF64(x.subarray(h * D, (h + 1) * D), wOf(h), D, eps), h * D);
        return R.ropeF64(n, 1, nHeads, D, pos0 + t, invFreq);
      };
      const wantY = f32(qkv), wantPre = new Float32Array(T * nHeads * D), wantDx = f32(dy);
      for (let t = 0; t < T; t++) {
        wantY.set(forward(heads(qkv, t), t), t * ld);
        wantPre.set(heads(qkv, t), t * nHeads * D);
        const dn = R.ropeBackwardRef(heads(dy, t), 1, nHeads, D, pos0 + t, invFreq);
        for (let h = 0; h < nHeads; h++) wantDx.set(R.rmsnormBackwardRef(heads(qkv, t).subarray(h * D, (h + 1) * D), wOf(h), dn.subarray(h * D, (h + 1) * D), D, eps), t * ld + h * D);
      }
      expect(relErr(await g.read(xB, T * ld), wantY)).toBeLessThan(TOL);
      expect(await g.read(pre, T * nHeads * D)).toEqual(wantPre);
      const got = await g.read(dB, T * ld);
      expect(relErr(got, wantDx)).toBeLessThan(TOL);

      // and against central differences of the f64 forward: d/dx_i Σ dy·y at a few entries of the last token
      const t = T - 1, x = Float64Array.from(heads(qkv, t)), dyt = heads(dy, t);
      const L = () => forward(x, t).reduce((a, v, i) => a + v * dyt[i], 0);
      for (const i of [0, D - 1, nQ * D + 1]) {
        const x0 = x[i], h = 1e-6;
        x[i] = x0 + h;
        const up = L();
        x[i] = x0 - h;
        const down = L();
        x[i] = x0;
        expect(got[t * ld + i]).toBeCloseTo((up - down) / (2 * h), 4);
      }
    });
  }
});

describe('attention backward (attention_lse, dq, dk/dv) + kv_append_backward', () => {
  // per-row kernels on every shape; the tiled ones (blocks of 8 tokens / 16 positions) where they take the
  // head_dim, including blocks cut short at both ends and a past that is not a multiple of the tile
  for (const [T, pos0, nH, nKV, D, tiled] of [
    [1, 0, 2, 1, 8, false],
    [7, 0, 4, 2, 16, false],
    [5, 3, 6, 3, 10, false],
    [20, 250, 2, 1, 8, false], // rows past one 256-score chunk
    [70, 0, 2, 2, 130, false], // head_dim past the 64 threads
    [256, 0, 4, 2, 16, false], // a key seen by 512 (token, head) items: two dk/dv chunks
    [1, 0, 2, 1, 8, true],
    [7, 0, 4, 2, 16, true],
    [19, 5, 6, 2, 12, true],
    [33, 0, 4, 1, 64, true],
    [20, 250, 2, 1, 8, true],
    [40, 17, 3, 3, 36, true],
  ] as const) {
    it(`T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}${tiled ? ' tiled' : ''}`, async () => {
      const S = pos0 + T, kvDim = nKV * D, qDim = nH * D, ld = qDim + 2 * kvDim;
      const qkv = rand64(T * ld, 9, 2), kc = rand64(S * kvDim, 10, 2), vc = rand64(S * kvDim, 11), dO = rand64(T * qDim, 12);
      const q = new Float64Array(T * qDim);
      for (let t = 0; t < T; t++) q.set(qkv.subarray(t * ld, t * ld + qDim), t * qDim);
      const want = R.attentionBackwardRef(q, kc, vc, dO, T, pos0, nH, nKV, D);

      const dqkv = g.buf(T * ld), dK = g.buf(S * kvDim), dV = g.buf(S * kvDim), stats = g.buf(T * nH * 2);
      const qkvB = g.buf(f32(qkv));
      g.setStep(T, pos0);
      g.k.run([
        ...g.tk.attentionBackward(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: qkvB, kCache: g.buf(f32(kc)), vCache: g.buf(f32(vc)), dO: g.buf(f32(dO)), stats, dqkv, dK, dV, tiled }),
        g.tk.kvAppendBackward(g.step, { kvDim, ldQKV: ld, kOff: qDim, vOff: qDim + kvDim, dK, dV, dqkv }),
      ], T);

      const st = await g.read(stats, T * nH * 2);
      expect(relErr(st.filter((_, i) => i % 2 === 0), want.lse)).toBeLessThan(TOL);
      expect(relErr(st.filter((_, i) => i % 2 === 1), want.delta)).toBeLessThan(1e-4);
      expect(relErr(await g.read(dK, S * kvDim), want.dK)).toBeLessThan(1e-4);
      expect(relErr(await g.read(dV, S * kvDim), want.dV)).toBeLessThan(TOL);
      // dqkv rows: [dq | dK row pos0+t | dV row pos0+t]
      const rows = await g.read(dqkv, T * ld);
      const wantRows = new Float64Array(T * ld);
      for (let t = 0; t < T; t++) {
        wantRows.set(want.dq.subarray(t * qDim, (t + 1) * qDim), t * ld);
        wantRows.set(want.dK.subarray((pos0 + t) * kvDim, (pos0 + t + 1) * kvDim), t * ld + qDim);
        wantRows.set(want.dV.subarray((pos0 + t) * kvDim, (pos0 + t + 1) * kvDim), t * ld + qDim + kvDim);
      }
      expect(relErr(rows, wantRows)).toBeLessThan(1e-4);
    });
  }

  // tiled: 33 positions in blocks of 16 from a grid of one block
  for (const tiled of [false, true]) {
    it(`covers every cache position when run with a larger pos0 than the grid was built for${tiled ? ' (tiled)' : ''}`, async () => {
      const T = 3, pos0 = tiled ? 30 : 9, nH = 2, nKV = 1, D = 4, S = pos0 + T, ld = (nH + 2 * nKV) * D;
      const qkv = rand64(T * ld, 13), kc = rand64(S * D, 14), vc = rand64(S * D, 15), dO = rand64(T * nH * D, 16);
      const q = new Float64Array(T * nH * D);
      for (let t = 0; t < T; t++) q.set(qkv.subarray(t * ld, t * ld + nH * D), t * nH * D);
      const want = R.attentionBackwardRef(q, kc, vc, dO, T, pos0, nH, nKV, D);
      const dK = g.buf(S * D), dV = g.buf(S * D);
      g.setStep(T, pos0);
      g.k.run(g.tk.attentionBackward(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: g.buf(f32(qkv)), kCache: g.buf(f32(kc)), vCache: g.buf(f32(vc)), dO: g.buf(f32(dO)), stats: g.buf(T * nH * 2), dqkv: g.buf(T * ld), dK, dV, past: 0, tiled }), T);
      expect(relErr(await g.read(dK, S * D), want.dK)).toBeLessThan(1e-4);
      expect(relErr(await g.read(dV, S * D), want.dV)).toBeLessThan(TOL);
    });
  }
});

describe('silu_gate_backward', () => {
  for (const [T, I] of [[1, 64], [6, 65], [9, 130], [3, 1]]) {
    it(`T=${T} I=${I}`, async () => {
      const gu = rand64(T * 2 * I, 17, 6), dOut = rand64(T * I, 18);
      const dgu = g.buf(T * 2 * I);
      g.setStep(T);
      g.k.run([g.tk.siluGateBackward(g.step, { I, gu: g.buf(f32(gu)), dOut: g.buf(f32(dOut)), dgu })], T);
      expect(relErr(await g.read(dgu, T * 2 * I), R.siluGateBackwardRef(gu, dOut, T, I))).toBeLessThan(TOL);
    });
  }
});

describe('cross_entropy (in place: every row becomes its gradient, 0 where not an answer token)', () => {
  for (const [rows, V, pairs, eps, scale] of [
    [1, 5, [[0, 2]], 0, 1],
    [7, 1000, [[6, 999], [0, 0], [3, 517], [2, 1], [5, 64]], 0.1, 4],
    [3, 151_936, [[2, 151_935], [1, 7]], 0.1, 30], // Qwen's vocabulary, large logits
    [4, 257, [[1, 256], [3, 0], [0, 128]], 0, 50],
  ] as [number, number, [number, number][], number, number][]) {
    it(`rows=${rows} V=${V} answers=${pairs.length} eps=${eps} logit scale ${scale}`, async () => {
      const logits = f32(rand64(rows * V, 19, scale)); // the kernel sees f32 logits: compare on those
      const want = R.crossEntropyRef(logits, V, pairs, eps);
      const { targets, count } = packTargets(pairs, rows, V);
      const lb = g.buf(logits), loss = g.buf(rows + 1);
      g.k.run(g.tk.crossEntropy({ V, rows, count, eps, targets: g.buf(targets), logits: lb, loss }), 1);
      const l = await g.read(loss, rows + 1);
      expect(relErr(l.subarray(0, rows), want.loss)).toBeLessThan(1e-5);
      expect(l[rows]).toBeCloseTo(want.mean, 4);
      expect(relErr(await g.read(lb, rows * V), want.dlogits)).toBeLessThan(1e-5);
    });
  }
  it('packTargets refuses targets outside the vocabulary, rows outside the buffer, repeated rows, no answers', () => {
    expect(packTargets([[1, 4]], 3, 5)).toEqual({ targets: Uint32Array.from([IGNORE, 4, IGNORE]), count: 1 });
    expect(() => packTargets([[0, 5]], 1, 5)).toThrow(/vocabulary/);
    expect(() => packTargets([[1, 0]], 1, 5)).toThrow(/rows/);
    expect(() => packTargets([[0, 1], [0, 2]], 2, 5)).toThrow(/twice/);
    expect(() => packTargets([], 2, 5)).toThrow(/at least one/);
  });
});

describe('lora_backward (one segment of a packed multi-segment adapter)', () => {
  for (const [T, K, r, withZ, acc] of [
    [1, 3, 1, false, false],
    [5, 37, 8, true, false],
    [64, 96, 4, true, true],
    [256, 20, 2, false, true],
  ] as [number, number, number, boolean, boolean][]) {
    it(`T=${T} K=${K} r=${r} ${withZ ? 'Zhyper diag z' : 'plain LoRA'} accumulate=${acc}`, async () => {
      // a fused projection of 3 segments (q, k, v) with odd lengths; train the middle one
      const segs = [{ start: 0, len: 7 }, { start: 7, len: 5 }, { start: 12, len: 9 }];
      const ld = 23, seg = 1, { start, len: N } = segs[seg];
      const s = 0.75;
      const A = rand64(3 * r * K, 20), B = rand64(21 * r, 21), z = rand64(3 * r, 22);
      const x = rand64(T * K, 23), dYfull = rand64(T * ld, 24);
      const aOff = seg * r * K, bOff = segs[0].len * r, zOff = seg * r;
      const dY = Float64Array.from({ length: T * N }, (_, i) => dYfull[Math.floor(i / N) * ld + start + (i % N)]);
      const want = R.loraBackwardRef(x, dY, A.subarray(aOff, aOff + r * K), B.subarray(bOff, bOff + N * r), withZ ? z.subarray(zOff, zOff + r) : null, s, T, K, N, r);
      const [dA0, dB0, dz0, dX0] = [rand64(A.length, 25), rand64(B.length, 26), rand64(z.length, 27), rand64(T * K, 28)];
      const init = (v: Float64Array) => g.buf(acc ? f32(v) : v.length);
      const dA = init(dA0), dB = init(dB0), dz = init(dz0), dX = g.buf(f32(dX0));
      g.setStep(T);
      g.k.run(
        g.tk.loraBackward(g.step, {
          K, N, r, scale: s, ldDY: ld, dyOff: start, aOff, bOff, zOff, accumulate: acc,
          x: g.buf(f32(x)), dY: g.buf(f32(dYfull)), A: g.buf(f32(A)), B: g.buf(f32(B)), z: withZ ? g.buf(f32(z)) : undefined,
          ug: g.buf(T * loraScratch(r)), dA, dB, dz: withZ ? dz : undefined, dX,
        }),
        T,
      );
      // the segment's slice holds its gradient (+ the old value), everything else is as it was
      const expectSlice = async (buf: GPUBuffer, old: Float64Array, off: number, grad: Float64Array) => {
        const got = await g.read(buf, old.length);
        const w = acc ? Float64Array.from(old) : new Float64Array(old.length);
        grad.forEach((v, i) => (w[off + i] += v));
        expect(relErr(got.subarray(off, off + grad.length), w.subarray(off, off + grad.length))).toBeLessThan(TOL);
        expect(Array.from(got.subarray(0, off))).toEqual(Array.from(f32(w.subarray(0, off))));
        expect(Array.from(got.subarray(off + grad.length))).toEqual(Array.from(f32(w.subarray(off + grad.length))));
      };
      await expectSlice(dA, dA0, aOff, want.dA);
      await expectSlice(dB, dB0, bOff, want.dB);
      if (withZ) await expectSlice(dz, dz0, zOff, want.dz);
      else expect(Array.from(await g.read(dz, z.length))).toEqual(Array.from(acc ? f32(dz0) : new Float32Array(z.length)));
      const wantX = want.dX.map((v, i) => v + dX0[i]); // dX accumulates by default
      expect(relErr(await g.read(dX, T * K), wantX)).toBeLessThan(TOL);
    });
  }
  it('refuses z without dz', () => {
    expect(() => g.tk.loraBackward(g.step, { K: 4, N: 4, r: 1, scale: 1, x: g.k.empty, dY: g.k.empty, A: g.k.empty, B: g.k.empty, z: g.k.empty, ug: g.k.empty, dA: g.k.empty, dB: g.k.empty })).toThrow(/dz/);
  });
});

describe('lora_backward, every mode (Zhyper square Z, CUMA gated experts with own or shared A) vs adaptedBackwardRef', () => {
  for (const [T, K, N, r, mode, E, EA] of [
    [1, 3, 5, 1, 2, 1, 1],
    [7, 37, 9, 3, 2, 1, 1],
    [66, 20, 13, 4, 2, 1, 1],
    [1, 5, 3, 2, 3, 3, 3],
    [9, 33, 17, 3, 3, 5, 5],
    [9, 33, 17, 3, 3, 5, 1],
    [65, 12, 70, 2, 3, 8, 1],
  ] as [number, number, number, number, 2 | 3, number, number][]) {
    it(`T=${T} K=${K} N=${N} r=${r} mode=${mode} E=${E} EA=${EA}`, async () => {
      const s = 1.25;
      // the segment sits second in a packed buffer: offsets past a first segment's parameters
      const aOff = EA * r * K + 3, bOff = E * 4 * r + 1, zOff = mode === 2 ? r * r + 2 : 0;
      const A = rand64(aOff + EA * r * K, 30), B = rand64(bOff + E * N * r, 31);
      const x = rand64(T * K, 32), dY = rand64(T * N, 33);
      // CUMA's gates: k = 2 of E non-zero per token, summing to 1; Zhyper's Z: anything
      const cond = mode === 2 ? rand64(zOff + r * r, 34) : new Float64Array(T * E);
      if (mode === 3) {
        const rr = rand64(T * E, 35);
        for (let t = 0; t < T; t++) {
          const i = t % E, j = (t + 1 + (t % 2)) % E;
          const a = 0.5 + 0.4 * rr[t * E];
          cond[t * E + i] = a;
          if (j !== i) cond[t * E + j] = 1 - a;
        }
      }
      const want = R.adaptedBackwardRef({
        x, dY, A: A.subarray(aOff), B: B.subarray(bOff), cond: mode === 2 ? cond.subarray(zOff) : cond, mode, s, T, K, N, r, E, EA,
      });
      const dA = g.buf(A.length), dB = g.buf(B.length), dz = g.buf(Math.max(1, cond.length)), dX = g.buf(T * K);
      const dg0 = rand64(T * E, 36);
      const dgates = g.buf(f32(dg0));
      g.setStep(T);
      g.k.run(
        g.tk.loraBackward(g.step, {
          K, N, r, scale: s, mode, E, EA, aOff, bOff, zOff, accumulateX: false,
          x: g.buf(f32(x)), dY: g.buf(f32(dY)), A: g.buf(f32(A)), B: g.buf(f32(B)), z: g.buf(f32(cond)),
          ug: g.buf(T * loraScratch(r, E, EA)), dA, dB, dz: mode === 2 ? dz : undefined, dgates: mode === 3 ? dgates : undefined, dX,
        }),
        T,
      );
      expect(relErr((await g.read(dA, A.length)).subarray(aOff), want.dA)).toBeLessThan(TOL);
      expect(relErr((await g.read(dB, B.length)).subarray(bOff), want.dB)).toBeLessThan(TOL);
      expect(relErr(await g.read(dX, T * K), want.dX)).toBeLessThan(TOL);
      if (mode === 2) expect(relErr((await g.read(dz, cond.length)).subarray(zOff), want.dz)).toBeLessThan(TOL);
      // dgates accumulates (the layer's projections sum into it)
      if (mode === 3) expect(relErr(await g.read(dgates, T * E), want.dgates.map((v, i) => v + dg0[i]))).toBeLessThan(TOL);
    });
  }
  it('refuses what does not fit together', () => {
    const e = g.k.empty;
    const base = { K: 4, N: 4, r: 1, scale: 1, x: e, dY: e, A: e, B: e, ug: e, dA: e, dB: e };
    expect(() => g.tk.loraBackward(g.step, { ...base, mode: 3, E: 2, EA: 2, z: e })).toThrow(/dgates/);
    expect(() => g.tk.loraBackward(g.step, { ...base, mode: 1, E: 2 })).toThrow(/only CUMA/);
    expect(() => g.tk.loraBackward(g.step, { ...base, mode: 3, E: 4, EA: 2, z: e, dgates: e })).toThrow(/EA must be 1/);
    expect(() => g.tk.loraBackward(g.step, { ...base, mode: 2, z: e })).toThrow(/needs z and dz/);
  });
});

describe('router_backward + weight_grad (CUMA router: gating, top-k held fixed, load balance)', () => {
  for (const [T, H, R, E, k, gating, lbScale, lbForm] of [
    [1, 5, 3, 2, 1, 'eq4', 0, 'dense'],
    [7, 33, 65, 8, 2, 'eq4', 0.08, 'dense'],
    [7, 33, 65, 8, 2, 'double', 0.08, 'dense'],
    [7, 33, 65, 8, 2, 'double', 0.08, 'sparse'],
    [11, 17, 9, 5, 3, 'eq4', 0.3, 'sparse'],
    [70, 20, 9, 5, 5, 'eq4', 0.3, 'dense'],
    [3, 64, 256, 16, 3, 'double', 0, 'dense'],
  ] as [number, number, number, number, number, 'eq4' | 'double', number, 'dense' | 'sparse'][]) {
    it(`T=${T} H=${H} R=${R} E=${E} k=${k} ${gating} lbScale=${lbScale} ${lbForm}`, async () => {
      const h = rand64(T * H, 40), W1h = rand64(R * H, 41, 0.5), c = rand64(R, 42, 0.5), W2 = rand64(E * R, 43), b2 = rand64(E, 44), dgates = rand64(T * E, 45);
      const want = routerBackwardRef({ h, W1h, c, W2, b2, dgates, T, H, R, E, k, gating, lbScale, lbForm });
      const bufs = { h: g.buf(f32(h)), W1h: g.buf(f32(W1h)), c: g.buf(f32(c)), W2: g.buf(f32(W2)), b2: g.buf(f32(b2)), gates: g.buf(T * E) };
      const S = routerScratch(R, E);
      const out = g.buf(T * S);
      const col = async (off: number, n: number) => {
        const all = await g.read(out, T * S);
        return Float32Array.from({ length: T * n }, (_, i) => all[Math.floor(i / n) * S + off + (i % n)]);
      };
      const dW2_0 = rand64(E * R, 46), db2_0 = rand64(E, 47);
      const grads = { dW1h: g.buf(R * H), dc: g.buf(R), dW2: g.buf(f32(dW2_0)), db2: g.buf(f32(db2_0)), accumulate: false };
      g.setStep(T);
      // the forward's gates come from the forward router kernel
      g.k.run([g.k.router(g.step, { H, R, E, k, gating, ...bufs })], T);
      expect(relErr(await g.read(bufs.gates, T * E), want.gates)).toBeLessThan(TOL);
      g.k.run(g.tk.routerBackward(g.step, { H, R, E, k, gating, lbScale, lbForm, ...bufs, dgates: g.buf(f32(dgates)), out }, grads), T);
      expect(relErr(await col(0, R), want.act)).toBeLessThan(1e-4);
      expect(relErr(await col(2 * R, E), want.dlogits)).toBeLessThan(1e-4);
      expect(relErr(await col(R, R), want.dpre)).toBeLessThan(1e-4);
      expect(relErr(await g.read(grads.dW2, E * R), want.dW2)).toBeLessThan(1e-4);
      expect(relErr(await g.read(grads.db2, E), want.db2)).toBeLessThan(1e-4);
      expect(relErr(await g.read(grads.dW1h, R * H), want.dW1h)).toBeLessThan(1e-4);
      expect(relErr(await g.read(grads.dc, R), want.dc)).toBeLessThan(1e-4);
      const lbT = await col(2 * R + E, 1);
      expect(Math.abs(lbT.reduce((a, b) => a + b, 0) - want.lb)).toBeLessThan(1e-5 * Math.max(1, want.lb));
      // the input gradient through W1h, by the frozen-linear backward
      const dh = g.buf(T * H);
      g.k.run([g.tk.linearBackwardInput(g.step, { N: R, K: H, ldDY: S, dyOff: R, dY: out, W: bufs.W1h, dX: dh })], T);
      expect(relErr(await g.read(dh, T * H), want.dh)).toBeLessThan(1e-4);
    });
  }

  it('routerBackwardRef agrees with central differences of the gated output and the load-balance loss', () => {
    // L = Σ_t Σ_e D[t,e]·g[t,e] + lbScale·Σ_i f_i·P_i: its gradient w.r.t. W2, b2, W1h, c and h by differences
    const T = 5, H = 4, R = 6, E = 4, k = 2, lbScale = 0.7;
    const h = rand64(T * H, 50), W1h = rand64(R * H, 51), c = rand64(R, 52), W2 = rand64(E * R, 53), b2 = rand64(E, 54), D = rand64(T * E, 55);
    for (const [gating, lbForm] of [['eq4', 'dense'], ['double', 'dense'], ['eq4', 'sparse'], ['double', 'sparse']] as const) {
      const run = () => routerBackwardRef({ h, W1h, c, W2, b2, dgates: D, T, H, R, E, k, gating, lbScale, lbForm });
      const L = () => {
        const o = run();
        return o.gates.reduce((a, gv, i) => a + gv * D[i], 0) + o.lb;
      };
      const sel = () => run().gates.map((v) => (v > 0 ? 1 : 0)).join('');
      const s0 = sel();
      const got = run();
      for (const [x, gr] of [[W2, got.dW2], [b2, got.db2], [W1h, got.dW1h], [c, got.dc], [h, got.dh]] as [Float64Array, Float64Array][]) {
        const num = numericGrad(L, x, 1e-6);
        expect(sel()).toBe(s0); // the differences did not cross a top-k switch
        expect(relErr(gr, num)).toBeLessThan(1e-6);
      }
    }
  });
});

describe("CUMA's load balance, as its code computes it (C4)", () => {
  it('a hand example: f_i = count_i/(T·k), P_i = mean final gate, N·Σ f_i·P_i', () => {
    // two tokens, N = 4 experts, top-2: gates [0.6, 0.4, 0, 0] and [0, 0.7, 0.3, 0]
    // counts (1, 2, 1, 0) → f = (1/4, 2/4, 1/4, 0); P = (0.3, 0.55, 0.15, 0); N·Σ f·P = 4·0.3875 = 1.55
    expect(sparseLoadBalance([[0.6, 0.4, 0, 0], [0, 0.7, 0.3, 0]], 2)).toBeCloseTo(1.55, 12);
  });
  it("the reference's (and so the kernel's) sparse term is λ times that loss on its own gates", () => {
    const T = 6, H = 5, R = 7, E = 4, k = 2, lambda = 0.01;
    const o = routerBackwardRef({ h: rand64(T * H, 70), W1h: rand64(R * H, 71), c: rand64(R, 72), W2: rand64(E * R, 73), b2: rand64(E, 74), dgates: new Float64Array(T * E), T, H, R, E, k, gating: 'double', lbScale: lambda * E, lbForm: 'sparse' });
    const rows = Array.from({ length: T }, (_, t) => Array.from(o.gates.subarray(t * E, t * E + E)));
    expect(o.lb).toBeCloseTo(lambda * sparseLoadBalance(rows, k), 12);
  });
});

/** N·Σ_i f_i·P_i with f_i = count_i/(T·k) and P_i the mean of the final gates (CUMA's cuma_model.py). */
function sparseLoadBalance(gates: number[][], k: number): number {
  const T = gates.length, N = gates[0].length;
  let s = 0;
  for (let i = 0; i < N; i++) {
    const f = gates.filter((g) => g[i] > 0).length / (T * k);
    const P = gates.reduce((a, g) => a + g[i], 0) / T;
    s += f * P;
  }
  return N * s;
}

describe('weight_grad: dW (+)= dYᵀ·X, db (+)= Σ dY', () => {
  for (const [T, N, K, ldDY, ldX, bias, acc] of [
    [1, 1, 1, 1, 1, true, false],
    [13, 7, 65, 9, 70, true, true],
    [100, 33, 3, 33, 3, false, false],
  ] as [number, number, number, number, number, boolean, boolean][]) {
    it(`T=${T} N=${N} K=${K} ldDY=${ldDY} ldX=${ldX} bias=${bias} accumulate=${acc}`, async () => {
      const dY = rand64(T * ldDY, 60), X = rand64(T * ldX, 61), W0 = rand64(N * K, 62), b0 = rand64(N, 63);
      const wantW = new Float64Array(N * K), wantB = new Float64Array(N);
      for (let t = 0; t < T; t++)
        for (let n = 0; n < N; n++) {
          wantB[n] += dY[t * ldDY + n];
          for (let kk = 0; kk < K; kk++) wantW[n * K + kk] += dY[t * ldDY + n] * X[t * ldX + kk];
        }
      if (acc) {
        W0.forEach((v, i) => (wantW[i] += v));
        b0.forEach((v, i) => (wantB[i] += v));
      }
      const dW = g.buf(f32(W0)), db = g.buf(f32(b0));
      g.setStep(T);
      g.k.run([g.tk.weightGrad(g.step, { N, K, ldDY, ldX, accumulate: acc, dY: g.buf(f32(dY)), X: g.buf(f32(X)), dW, db: bias ? db : undefined })], T);
      expect(relErr(await g.read(dW, N * K), wantW)).toBeLessThan(TOL);
      if (bias) expect(relErr(await g.read(db, N), wantB)).toBeLessThan(TOL);
      else expect(Array.from(await g.read(db, N))).toEqual(Array.from(f32(b0)));
    });
  }
});
