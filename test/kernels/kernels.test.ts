// Every kernel against its TypeScript reference, at several shapes including ones that do not
// divide the workgroup sizes (64, 8×8 threads × 4×4 tiles, 4 tokens per thread).
import { describe, it, expect, beforeAll } from 'vitest';
import { gpuKernels, rand, maxRelErr } from '../helpers/gpu';
import * as ref from '../reference/kernels';
import { ropeInvFreq, ropeTable } from '../../src/model/config';
import { ATTENTION_TILED_MAX_D, Kernels } from '../../src/gpu/kernels';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { nodeGPU } from '../../src/gpu/node';
import { draw, topK } from '../../src/model/sampling';
import { drawRef, topkRef } from '../reference/kernels';

let g: Awaited<ReturnType<typeof gpuKernels>>;
beforeAll(async () => {
  g = await gpuKernels();
});

describe('embedding gather', () => {
  for (const [V, H, T] of [[50, 64, 3], [37, 70, 9], [300, 1, 1]]) {
    it(`V=${V} H=${H} T=${T}, split into two row chunks`, async () => {
      const table = rand(V * H, 3);
      const ids = Uint32Array.from({ length: T }, (_, i) => (i * 7 + 3) % V);
      const cut = Math.floor(V / 2);
      const out = g.buf(T * H);
      const idsB = g.buf(ids);
      const ops = [
        g.k.embedding(g.step, { H, rowStart: 0, rowCount: cut, ids: idsB, table: g.buf(table.slice(0, cut * H)), out }),
        g.k.embedding(g.step, { H, rowStart: cut, rowCount: V - cut, ids: idsB, table: g.buf(table.slice(cut * H)), out }),
      ];
      g.setStep(T);
      g.k.run(ops, T);
      expect(await g.read(out, T * H)).toEqual(ref.embeddingRef(table, ids, H));
    });
  }
});

describe('argmax (greedy decoding on the GPU)', () => {
  for (const n of [1, 7, 255, 256, 257, 1000, 49152, 151936]) {
    it(`n=${n}: the first index of the largest value, as the CPU's argmax`, async () => {
      const x = rand(n, n, 10);
      const out = g.buf(4);
      const read = async (v: Float32Array) => {
        g.k.run([g.k.argmax({ n, x: g.buf(v), out })], 1);
        return new Uint32Array((await g.read(out, 1)).buffer)[0];
      };
      expect(await read(x)).toBe(ref.argmaxRef(x));
      // ties: the earliest of equal maxima wins, wherever the threads' strides put them
      if (n > 3) {
        const t = x.slice();
        const m = t.reduce((a, b) => Math.max(a, b), -Infinity) + 1;
        t[n - 1] = m;
        t[Math.floor(n / 2)] = m;
        t[n > 300 ? 300 : 1] = m;
        expect(await read(t)).toBe(ref.argmaxRef(t));
        expect(ref.argmaxRef(t)).toBe(n > 300 ? 300 : 1);
      }
    });
  }
});

describe('topk (sampling\'s candidates on the GPU)', () => {
  for (const [n, k] of [[1, 1], [7, 7], [300, 5], [1000, 64], [49152, 40], [2137, 256]]) {
    it(`n=${n} k=${k}: the k largest in the CPU sampler's order, ties by lower index, with their logits`, async () => {
      const x = rand(n, n + k, 10);
      // ties: several copies of values inside and at the edge of the top k, spread over the threads' strides
      if (n > 300) for (const j of [3, 299, n - 1, Math.floor(n / 3)]) x[j] = x[topkRef(x, k)[Math.min(k - 1, 2)]];
      const out = g.buf(2 * k);
      g.k.run([g.k.topk({ n, k, x: g.buf(x), out })], 1);
      const got = new Uint32Array((await g.read(out, 2 * k)).buffer);
      const idx = Array.from(got.filter((_, j) => j % 2 === 0));
      const vals = Array.from(new Float32Array(got.buffer).filter((_, j) => j % 2 === 1));
      expect(idx).toEqual(topkRef(x, k));
      expect(idx).toEqual(topK(x, k));
      expect(vals).toEqual(idx.map((i) => x[i]));
    });
  }
  it('refuses k outside 1..n by name', () => {
    expect(() => g.k.topk({ n: 5, k: 6, x: g.buf(5), out: g.buf(12) })).toThrow(/topk needs 1 ≤ k ≤ n, got k = 6, n = 5/);
  });
});

describe('draw (a sampled token from top-k\'s candidates, on the GPU)', () => {
  // [k, temperature, top-p, spread of the logits]
  const cases: [number, number, number, number][] = [[1, 1, 1, 1], [2, 0.7, 1, 1], [7, 1, 0.9, 2], [40, 0.8, 0.95, 3], [41, 1.3, 1, 0.5], [256, 1, 0.9, 4], [256, 2, 0.5, 1]];
  for (const [k, T, topP, spread] of cases) {
    it(`k=${k} T=${T} top-p ${topP}: the CPU sampler's token for 64 uniforms, wherever f32 rounding cannot decide it`, async () => {
      const x = rand(Math.max(k, 300), k * 31 + 5, spread);
      const idx = topkRef(x, k), vals = idx.map((i) => x[i]);
      const pairs = new Uint32Array(2 * k);
      const bits = new Float32Array(pairs.buffer);
      idx.forEach((i, j) => {
        pairs[2 * j] = i;
        bits[2 * j + 1] = vals[j];
      });
      const out = g.buf(4);
      const op = g.k.draw({ k, invT: 1 / T, topP, u: 0, pairs: g.buf(pairs), out });
      let decided = 0;
      for (let s = 0; s < 64; s++) {
        // the ends of [0, 1) too: u = 0 takes the first candidate, u → 1 the last one kept
        const u = s === 0 ? 0 : s === 63 ? 1 - 2 ** -24 : Math.fround(((s * 0.6180339887) % 1));
        g.k.setParam(op, 'u', u);
        g.k.run([op], 1);
        const got = new Uint32Array((await g.read(out, 1)).buffer)[0];
        const want = drawRef(idx, vals, 1 / T, topP, u);
        expect(draw(idx, vals, { temperature: T, topP }, () => u), 'the reference is the CPU sampler').toBe(want.id);
        if (want.margin > 1e-5) {
          expect(got, `u = ${u}`).toBe(want.id);
          decided++;
        }
      }
      expect(decided).toBeGreaterThan(56);
    });
  }
  it('refuses k outside 1..256 by name', () => {
    expect(() => g.k.draw({ k: 257, invT: 1, topP: 1, u: 0, pairs: g.buf(514), out: g.buf(4) })).toThrow(/draw takes 1 ≤ k ≤ 256 candidates, got k = 257/);
  });
});

describe('nucleus (top-p\'s candidates on the GPU)', () => {
  const read = async (out: GPUBuffer, cap: number) => {
    const u = new Uint32Array((await g.read(out, 4 + 2 * cap)).buffer);
    const bits = new Float32Array(u.buffer);
    return { count: u[0], m: bits[1], Z: bits[2], tau: bits[3], idx: Array.from({ length: Math.min(u[0], cap) }, (_, j) => u[4 + 2 * j]), vals: Array.from({ length: Math.min(u[0], cap) }, (_, j) => bits[5 + 2 * j]) };
  };
  // [n, temperature, top-p, spread of the logits, how many stand out by ~10 (a language model's peaked head)]
  const cases: [number, number, number, number, number][] = [[1, 1, 0.9, 1, 0], [7, 1.3, 0.5, 1, 0], [1000, 0.7, 0.9, 2, 0], [2137, 1, 0.95, 3, 40], [49157, 1.5, 0.9, 2, 300], [49152, 0.8, 0.99, 2, 100], [49152, 1, 0.9, 3, 0]];
  for (const [n, T, topP, spread, head] of cases) {
    it(`n=${n} T=${T} top-p ${topP}${head ? `, ${head} standing out` : ', flat'}: m, Z within 1e-5 of the f64 sum, the candidates are {u ≥ τ} and hold the mass, no more (or over cap)`, async () => {
      const x = rand(n, n + 7, spread);
      for (let j = 0; j < head; j++) x[(j * 7919) % n] += 10 + (j % 13) / 2;
      if (n > 100) for (const j of [5, 77, n - 1]) x[j] = x[topkRef(x, 3)[1]]; // ties at the top, across strides
      const cap = 1024, out = g.buf(4 + 2 * cap);
      g.k.run([g.k.nucleus({ n, cap, invT: 1 / T, topP, x: g.buf(x), out })], 1);
      const r = await read(out, cap);
      const { m, u, Z, set: want, mass: massOf } = ref.nucleusRef(x, 1 / T, r.tau);
      expect(r.m).toBe(m);
      expect(Math.abs(r.Z - Z) / Z).toBeLessThan(1e-5);
      if (want.length > cap) {
        expect(head, 'only a flat distribution needs more than cap').toBe(0);
        expect(r.count, 'over cap').toBe(0xffffffff);
        return;
      }
      expect(r.count).toBe(want.length);
      expect([...r.idx].sort((a, b) => a - b)).toEqual(want);
      expect(r.vals).toEqual(r.idx.map((i) => x[i]));
      const target = Math.min(1, topP + 1e-3) * Z;
      expect(massOf(want)).toBeGreaterThanOrEqual(target * (1 - 1e-5));
      // the bisection's other end (90 / 2^24 above τ) holds less than the target: the set is not larger than it must be
      if (want.length < n) expect(massOf(want.filter((i) => u[i] >= r.tau + 1e-5))).toBeLessThan(target * (1 + 1e-5));
    });
  }
  it('more candidates than cap: count 0xffffffff (the CPU reads the logits back); top-p ≥ 1 − slack: everything', async () => {
    const n = 3000, x = rand(n, 11, 0.01); // nearly flat: the 0.9 nucleus holds ~2700 tokens
    const out = g.buf(4 + 2 * 64);
    g.k.run([g.k.nucleus({ n, cap: 64, invT: 1, topP: 0.9, x: g.buf(x), out })], 1);
    expect((await read(out, 64)).count).toBe(0xffffffff);
    const y = rand(40, 12, 2), out2 = g.buf(4 + 2 * 64);
    g.k.run([g.k.nucleus({ n: 40, cap: 64, invT: 1, topP: 0.9995, x: g.buf(y), out: out2 })], 1);
    const r = await read(out2, 64);
    expect(r.count).toBe(40);
    expect([...r.idx].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});

describe('rmsnorm', () => {
  for (const [rows, dim, last] of [[1, 64, 0], [5, 37, 0], [7, 300, 1], [3, 1000, 1]]) {
    it(`rows=${rows} dim=${dim} lastRowOnly=${!!last}`, async () => {
      const x = rand(rows * dim, 5, 3);
      const w = rand(dim, 6);
      const y = g.buf(rows * dim);
      g.setStep(rows);
      g.k.run([g.k.rmsnorm(g.step, { dim, eps: 1e-5, lastRowOnly: !!last, x: g.buf(x), w: g.buf(w), y })], rows);
      const want = ref.rmsnormRef(last ? x.slice((rows - 1) * dim) : x, w, dim, 1e-5);
      expect(maxRelErr(await g.read(y, want.length), want)).toBeLessThan(1e-5);
    });
  }
});

describe('matmul (prefill) and matvec (decode)', () => {
  for (const [T, N, K, bias, acc] of [
    [1, 64, 64, false, false],
    [5, 33, 17, true, false],
    [37, 65, 129, true, true],
    [64, 96, 48, false, true],
    [3, 7, 3, false, false],
  ] as [number, number, number, boolean, boolean][]) {
    it(`T=${T} N=${N} K=${K} bias=${bias} accumulate=${acc}`, async () => {
      const X = rand(T * K, 11), W = rand(N * K, 12), b = rand(N, 13), Y0 = rand(T * N, 14);
      const want = ref.linearRef(X, W, T, N, K, bias ? b : undefined);
      if (acc) for (let i = 0; i < want.length; i++) want[i] += Y0[i];
      const y = g.buf(acc ? Y0 : new Float32Array(T * N));
      g.setStep(T);
      g.k.run([g.k.matmul(g.step, { N, K, x: g.buf(X), W: g.buf(W), bias: bias ? g.buf(b) : undefined, y, accumulate: acc })], T);
      expect(maxRelErr(await g.read(y, T * N), want)).toBeLessThan(1e-5);
      // decode path on the last row
      const xl = X.slice((T - 1) * K);
      const yv = g.buf(acc ? Y0.slice((T - 1) * N) : new Float32Array(N));
      g.k.run([g.k.matvec({ N, K, x: g.buf(xl), W: g.buf(W), bias: bias ? g.buf(b) : undefined, y: yv, accumulate: acc })], 1);
      expect(maxRelErr(await g.read(yv, N), want.slice((T - 1) * N))).toBeLessThan(1e-5);
    });
  }

  it('vec4 variants (matmul_vec4, matvec_vec4; K % 4 == 0) agree with the reference', async () => {
    for (const [T, N, K, acc] of [[1, 65, 36, false], [37, 70, 132, true], [5, 7, 4, false], [64, 33, 576, true]] as [number, number, number, boolean][]) {
      const X = rand(T * K, 71), W = rand(N * K, 72), b = rand(N, 73), Y0 = rand(T * N, 74);
      const want = ref.linearRef(X, W, T, N, K, b);
      if (acc) for (let i = 0; i < want.length; i++) want[i] += Y0[i];
      const y = g.buf(acc ? Y0 : new Float32Array(T * N)), yv = g.buf(acc ? Y0.slice((T - 1) * N) : new Float32Array(N));
      g.setStep(T);
      g.k.run([g.k.matmulVec4(g.step, { N, K, x: g.buf(X), W: g.buf(W), bias: g.buf(b), y, accumulate: acc })], T);
      g.k.run([g.k.matvecVec4({ N, K, x: g.buf(X.slice((T - 1) * K)), W: g.buf(W), bias: g.buf(b), y: yv, accumulate: acc })], 1);
      expect(maxRelErr(await g.read(y, T * N), want)).toBeLessThan(1e-5);
      expect(maxRelErr(await g.read(yv, N), want.slice((T - 1) * N))).toBeLessThan(1e-5);
    }
    expect(() => g.k.matvecVec4({ N: 4, K: 6, x: g.k.empty, W: g.k.empty, y: g.k.empty })).toThrow(/K % 4/);
  });

  for (const form of ['coalesced', 'subgroup'] as const)
  it(`${form} decode GEMV (matvec_${form}: a workgroup or a subgroup per 4 rows, threads along K) agrees with the reference`, async () => {
    const gemv = (o: Parameters<typeof g.k.matvecCoalesced>[0]) => (form === 'coalesced' ? g.k.matvecCoalesced(o) : g.k.matvecSubgroup(o));
    // both emulators (and the GPUs we design for) have subgroups: SwiftShader's are 4 lanes, lavapipe's 8
    if (form === 'subgroup') expect(g.dev.features.has('subgroups')).toBe(true);
    // N not a multiple of 4 (a partial last block), K of one vec4, K past the 64 threads' first stride and not a
    // multiple of 256, offsets into a wider output, and N past 65535 blocks of 4 (the grid wraps into y)
    for (const [N, K, acc, bias, nOff, ldY] of [
      [1, 4, false, false, 0, 1],
      [7, 36, true, true, 0, 7],
      [65, 260, false, true, 3, 70],
      [130, 1028, true, false, 0, 130],
      [262_149, 4, false, true, 0, 262_149],
    ] as [number, number, boolean, boolean, number, number][]) {
      const x = rand(K, 81), W = rand(N * K, 82), b = rand(N, 83), Y0 = rand(ldY, 84);
      const rowWant = ref.linearRef(x, W, 1, N, K, bias ? b : undefined);
      const want = acc ? Float32Array.from(Y0) : new Float32Array(ldY);
      for (let n = 0; n < N; n++) want[nOff + n] = (acc ? Y0[nOff + n] : 0) + rowWant[n];
      const y = g.buf(acc ? Y0 : new Float32Array(ldY));
      g.k.run([gemv({ N, K, ldY, nOff, x: g.buf(x), W: g.buf(W), bias: bias ? g.buf(b) : undefined, y, accumulate: acc })], 1);
      expect(maxRelErr(await g.read(y, ldY), want), `N=${N} K=${K}`).toBeLessThan(1e-5);
    }
    expect(() => gemv({ N: 4, K: 6, x: g.k.empty, W: g.k.empty, y: g.k.empty })).toThrow(/K % 4/);
  });

  it('the subgroup kernels are refused by name on a device without the subgroups feature', async () => {
    const plain = await (await nodeGPU().requestAdapter())!.requestDevice();
    try {
      const k2 = new Kernels(plain, loadShaderLibrary());
      expect(() => k2.matvecSubgroup({ N: 4, K: 4, x: k2.empty, W: k2.empty, y: k2.noOutput })).toThrow(/no subgroups feature/);
      expect(() => k2.rmsnormGateUpSilu({ I: 4, K: 4, eps: 1e-6, x: k2.empty, normW: k2.empty, Wg: k2.empty, Wu: k2.empty, act: k2.noOutput, form: 'subgroup' })).toThrow(/no subgroups feature/);
    } finally {
      plain.destroy();
    }
  });

  it('transposed-weight variants (matmul_t, matvec_t) agree with the reference', async () => {
    for (const [T, N, K] of [[1, 65, 33], [37, 70, 129], [5, 7, 3]]) {
      const X = rand(T * K, 61), W = rand(N * K, 62), b = rand(N, 63);
      const Wt = new Float32Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Wt[k * N + n] = W[n * K + k];
      const want = ref.linearRef(X, W, T, N, K, b);
      const y = g.buf(T * N), yv = g.buf(N);
      g.setStep(T);
      g.k.run([g.k.matmulT(g.step, { N, K, x: g.buf(X), W: g.buf(Wt), bias: g.buf(b), y })], T);
      g.k.run([g.k.matvecT({ N, K, x: g.buf(X.slice((T - 1) * K)), W: g.buf(Wt), bias: g.buf(b), y: yv })], 1);
      expect(maxRelErr(await g.read(y, T * N), want)).toBeLessThan(1e-5);
      expect(maxRelErr(await g.read(yv, N), want.slice((T - 1) * N))).toBeLessThan(1e-5);
    }
  });

  it('writes a split matrix into column offsets (nOff, ldY)', async () => {
    const T = 3, N = 70, K = 9, cut = 33;
    const X = rand(T * K, 1), W = rand(N * K, 2);
    const y = g.buf(T * N), yv = g.buf(N);
    g.setStep(T);
    const parts = [
      { W: g.buf(W.slice(0, cut * K)), N: cut, nOff: 0 },
      { W: g.buf(W.slice(cut * K)), N: N - cut, nOff: cut },
    ];
    g.k.run(parts.map((p) => g.k.matmul(g.step, { ...p, K, ldY: N, x: g.buf(X), y })), T);
    g.k.run(parts.map((p) => g.k.matvec({ ...p, K, ldY: N, x: g.buf(X.slice(0, K)), y: yv })), 1);
    const want = ref.linearRef(X, W, T, N, K);
    expect(maxRelErr(await g.read(y, T * N), want)).toBeLessThan(1e-5);
    expect(maxRelErr(await g.read(yv, N), want.slice(0, N))).toBeLessThan(1e-5);
  });
});

describe('rope (with and without Qwen3 q/k norm)', () => {
  for (const [T, nQ, nK, D, pos0, norm] of [
    [1, 2, 1, 8, 5, false],
    [6, 4, 2, 16, 0, false],
    [3, 3, 1, 130, 17, true],
    [9, 2, 2, 6, 2, true],
  ] as [number, number, number, number, number, boolean][]) {
    it(`T=${T} heads=${nQ}+${nK} D=${D} pos0=${pos0} qkNorm=${norm}`, async () => {
      const nHeads = nQ + nK;
      const ld = (nQ + 2 * nK) * D; // q, k, v heads per row; v is left alone
      const qkv = rand(T * ld, 21, 2);
      const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
      const normW = rand(2 * D, 22);
      const b = g.buf(qkv);
      g.setStep(T, pos0);
      g.k.run([g.k.rope(g.step, { headDim: D, nHeads, nQHeads: nQ, ldQKV: ld, eps: 1e-6, cosSin: g.buf(ropeTable(invFreq, pos0 + T)), normW: norm ? g.buf(normW) : undefined, qkv: b })], T);
      // reference: split q|k, optional per-head rmsnorm, rotate, reassemble
      const want = qkv.slice();
      for (let t = 0; t < T; t++) {
        let heads = qkv.slice(t * ld, t * ld + nHeads * D);
        if (norm) {
          const q = ref.rmsnormRef(heads.slice(0, nQ * D), normW.slice(0, D), D, 1e-6);
          const k = ref.rmsnormRef(heads.slice(nQ * D), normW.slice(D), D, 1e-6);
          heads = new Float32Array([...q, ...k]);
        }
        want.set(ref.ropeRef(heads, 1, nHeads, D, pos0 + t, invFreq), t * ld);
      }
      expect(maxRelErr(await g.read(b, T * ld), want)).toBeLessThan(1e-5);

      // inference's RoPE appends the KV cache in the same dispatch: equal, bit for bit, to RoPE then kv_append
      const S = pos0 + T + 2, kvDim = nK * D;
      const run = async (fused: boolean) => {
        const q2 = g.buf(qkv), kc = g.buf(rand(S * kvDim, 23)), vc = g.buf(rand(S * kvDim, 24));
        const o = { headDim: D, nHeads, nQHeads: nQ, ldQKV: ld, eps: 1e-6, cosSin: g.buf(ropeTable(invFreq, pos0 + T)), normW: norm ? g.buf(normW) : undefined, qkv: q2 };
        g.setStep(T, pos0);
        g.k.run(fused ? [g.k.rope(g.step, { ...o, kv: { kCache: kc, vCache: vc } })] : [g.k.rope(g.step, o), g.k.kvAppend(g.step, { kvDim, ldQKV: ld, kOff: nQ * D, vOff: (nQ + nK) * D, qkv: q2, kCache: kc, vCache: vc })], T);
        return [await g.read(q2, T * ld), await g.read(kc, S * kvDim), await g.read(vc, S * kvDim)];
      };
      const [fq, fk, fv] = await run(true), [uq, uk, uv] = await run(false);
      expect(fq).toEqual(uq);
      expect(fk).toEqual(uk);
      expect(fv).toEqual(uv);
    });
  }
});

describe('kv append + causal GQA attention', () => {
  for (const [T, pos0, nH, nKV, D] of [
    [1, 0, 2, 1, 8],
    [7, 0, 4, 2, 16],
    [1, 300, 3, 1, 64], // decode past one 256-score chunk
    [5, 3, 6, 3, 10],
    [70, 0, 2, 2, 130],
  ]) {
    it(`T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}`, async () => {
      const S = pos0 + T;
      const kvDim = nKV * D;
      const ld = (nH + 2 * nKV) * D;
      const past = { k: rand(pos0 * kvDim, 31), v: rand(pos0 * kvDim, 32) };
      const qkv = rand(T * ld, 33);
      const kCache = new Float32Array(S * kvDim), vCache = new Float32Array(S * kvDim);
      kCache.set(past.k); vCache.set(past.v);
      const kB = g.buf(kCache), vB = g.buf(vCache), qB = g.buf(qkv), out = g.buf(T * nH * D);
      g.setStep(T, pos0);
      g.k.run([
        g.k.kvAppend(g.step, { kvDim, ldQKV: ld, kOff: nH * D, vOff: (nH + nKV) * D, qkv: qB, kCache: kB, vCache: vB }),
        g.k.attention(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: qB, kCache: kB, vCache: vB, out }),
      ], T);
      const q = new Float32Array(T * nH * D);
      for (let t = 0; t < T; t++) {
        q.set(qkv.slice(t * ld, t * ld + nH * D), t * nH * D);
        kCache.set(qkv.slice(t * ld + nH * D, t * ld + (nH + nKV) * D), (pos0 + t) * kvDim);
        vCache.set(qkv.slice(t * ld + (nH + nKV) * D, (t + 1) * ld), (pos0 + t) * kvDim);
      }
      expect(await g.read(kB, S * kvDim)).toEqual(kCache);
      expect(await g.read(vB, S * kvDim)).toEqual(vCache);
      const want = ref.attentionRef(q, kCache, vCache, T, pos0, nH, nKV, D);
      expect(maxRelErr(await g.read(out, want.length), want)).toBeLessThan(1e-5);
    });
  }
});

describe('tiled prefill attention (attention_tiled) against the reference and the per-token kernel', () => {
  // odd T (blocks of 16 with a short last one), a cached past that is not a multiple of the 16-key tile,
  // GQA groups of 1–3, head_dim from 8 to the tiled limit of 64 (a multiple of 4, not always of 16), and
  // two it does not take (72 > 64, 10 % 4 ≠ 0: attentionPrefill falls back to attention)
  for (const [T, pos0, nH, nKV, D] of [
    [1, 0, 2, 1, 8],
    [17, 0, 4, 2, 16],
    [33, 5, 6, 2, 64],
    [16, 0, 1, 1, 64],
    [50, 21, 3, 1, 12],
    [9, 40, 4, 4, 36],
    [20, 3, 2, 1, 72],
    [18, 2, 2, 1, 10],
  ]) {
    it(`T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}`, async () => {
      const S = pos0 + T;
      const kvDim = nKV * D;
      const ld = (nH + 2 * nKV) * D;
      const qkv = rand(T * ld, 51);
      const kCache = rand(S * kvDim, 52), vCache = rand(S * kvDim, 53);
      const qB = g.buf(qkv), kB = g.buf(kCache), vB = g.buf(vCache), tiled = g.buf(T * nH * D), perToken = g.buf(T * nH * D);
      const o = { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv: qB, kCache: kB, vCache: vB };
      g.setStep(T, pos0);
      const op = g.k.attentionPrefill(g.step, { ...o, out: tiled });
      expect(op.label).toBe(D <= ATTENTION_TILED_MAX_D && D % 4 === 0 ? 'attention_tiled' : 'attention');
      g.k.run([op, g.k.attention(g.step, { ...o, out: perToken })], T);
      const q = new Float32Array(T * nH * D);
      for (let t = 0; t < T; t++) q.set(qkv.slice(t * ld, t * ld + nH * D), t * nH * D);
      const want = ref.attentionRef(q, kCache, vCache, T, pos0, nH, nKV, D);
      const got = await g.read(tiled, want.length);
      expect(maxRelErr(got, want)).toBeLessThan(1e-5);
      expect(maxRelErr(got, await g.read(perToken, want.length))).toBeLessThan(1e-5);
    });
  }
});

describe('fused SiLU-gated MLP and residual add', () => {
  for (const [T, I, K] of [[1, 64, 32], [6, 65, 17], [9, 130, 70]]) {
    it(`gate_up_silu T=${T} I=${I} K=${K}`, async () => {
      const x = rand(T * K, 41), Wg = rand(I * K, 42), Wu = rand(I * K, 43);
      const out = g.buf(T * I);
      g.setStep(T);
      g.k.run([g.k.gateUpSilu(g.step, { I, K, x: g.buf(x), Wg: g.buf(Wg), Wu: g.buf(Wu), out })], T);
      expect(maxRelErr(await g.read(out, T * I), ref.siluGateRef(x, Wg, Wu, T, I, K))).toBeLessThan(1e-5);
    });
  }
  for (const [T, I, K] of [[1, 64, 32], [6, 65, 20], [9, 130, 72]]) {
    it(`gate_up_silu_vec4 T=${T} I=${I} K=${K}`, async () => {
      const x = rand(T * K, 44), Wg = rand(I * K, 45), Wu = rand(I * K, 46);
      const out = g.buf(T * I);
      g.setStep(T);
      g.k.run([g.k.gateUpSiluVec4(g.step, { I, K, x: g.buf(x), Wg: g.buf(Wg), Wu: g.buf(Wu), out })], T);
      expect(maxRelErr(await g.read(out, T * I), ref.siluGateRef(x, Wg, Wu, T, I, K))).toBeLessThan(1e-5);
    });
  }
  for (const n of [1, 63, 1000]) {
    it(`add n=${n}`, async () => {
      const x = rand(n, 51), y = rand(n, 52);
      const xb = g.buf(x);
      g.k.run([g.k.add({ n, x: xb, y: g.buf(y) })], 1);
      expect(await g.read(xb, n)).toEqual(ref.addRef(x, y));
    });
  }
});
