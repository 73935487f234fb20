// Every training kernel against its f64 TypeScript reference (src/train/reference.ts), at several shapes
// including ones that divide none of the workgroup sizes (64, 8×8 threads × 4×4 tiles, 256-score chunks).
import { describe, it, expect, beforeAll } from 'vitest';
import * as R from '../../src/train/reference';
import { packTargets, IGNORE } from '../../src/train/kernels';
import { ropeInvFreq, ropeTable } from '../../src/model/config';
import { relErr, rand64, f32, gpuTrain } from './helpers';

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
  it("refuses Qwen3's q/k norm", () => {
    expect(() => g.tk.ropeBackward(g.step, { headDim: 8, nHeads: 2, ldQKV: 24, cosSin: g.k.empty, normW: g.k.empty, dqkv: g.k.empty })).toThrow(/q\/k RMSNorm/);
  });
});

describe('attention backward (attention_lse, dq, dk/dv) + kv_append_backward', () => {
  for (const [T, pos0, nH, nKV, D] of [
    [1, 0, 2, 1, 8],
    [7, 0, 4, 2, 16],
    [5, 3, 6, 3, 10],
    [20, 250, 2, 1, 8], // rows past one 256-score chunk
    [70, 0, 2, 2, 130], // head_dim past the 64 threads
    [256, 0, 4, 2, 16], // a key seen by 512 (token, head) items: two dk/dv chunks
  ]) {
    it(`T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}`, async () => {
      const S = pos0 + T, kvDim = nKV * D, qDim = nH * D, ld = qDim + 2 * kvDim;
      const qkv = rand64(T * ld, 9, 2), kc = rand64(S * kvDim, 10, 2), vc = rand64(S * kvDim, 11), dO = rand64(T * qDim, 12);
      const q = new Float64Array(T * qDim);
      for (let t = 0; t < T; t++) q.set(qkv.subarray(t * ld, t * ld + qDim), t * qDim);
      const want = R.attentionBackwardRef(q, kc, vc, dO, T, pos0, nH, nKV, D);

      const dqkv = g.buf(T * ld), dK = g.buf(S * kvDim), dV = g.buf(S * kvDim), stats = g.buf(T * nH * 2);
      const qkvB = g.buf(f32(qkv));
      g.setStep(T, pos0);
      g.k.run([
        ...g.tk.attentionBackward(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: qkvB, kCache: g.buf(f32(kc)), vCache: g.buf(f32(vc)), dO: g.buf(f32(dO)), stats, dqkv, dK, dV }),
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

  it('covers every cache position when run with a larger pos0 than the grid was built for', async () => {
    const T = 3, pos0 = 9, nH = 2, nKV = 1, D = 4, S = pos0 + T, ld = (nH + 2 * nKV) * D;
    const qkv = rand64(T * ld, 13), kc = rand64(S * D, 14), vc = rand64(S * D, 15), dO = rand64(T * nH * D, 16);
    const q = new Float64Array(T * nH * D);
    for (let t = 0; t < T; t++) q.set(qkv.subarray(t * ld, t * ld + nH * D), t * nH * D);
    const want = R.attentionBackwardRef(q, kc, vc, dO, T, pos0, nH, nKV, D);
    const dK = g.buf(S * D), dV = g.buf(S * D);
    g.setStep(T, pos0);
    g.k.run(g.tk.attentionBackward(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: g.buf(f32(qkv)), kCache: g.buf(f32(kc)), vCache: g.buf(f32(vc)), dO: g.buf(f32(dO)), stats: g.buf(T * nH * 2), dqkv: g.buf(T * ld), dK, dV, past: 0 }), T);
    expect(relErr(await g.read(dK, S * D), want.dK)).toBeLessThan(1e-4);
    expect(relErr(await g.read(dV, S * D), want.dV)).toBeLessThan(TOL);
  });
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
          ug: g.buf(T * 2 * r), dA, dB, dz: withZ ? dz : undefined, dX,
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
