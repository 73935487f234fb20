// npm run bench:kernels [-- ENTRY …]: the kernels at SmolLM2-135M's shapes (no models, no tfjs), in the manner
// of llm.c's dev/cuda: each entry builds its inputs once, runs every variant of its kernels, checks each
// variant's output against the reference (test/reference/kernels.ts) and stops with an error if one is
// off, and only then times them. Variants sit side by side in one table, so ratios are read on the same
// adapter in the same run. shaders/README.md says which entry times which kernel.
import { acquireNodeGpu } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { Kernels, stepBuffer, writeStep, type Dispatch, type LoraBinding, type WeightDtype } from '../src/gpu/kernels';
import { dequantize, quantBytes, quantize } from '../src/model/quant';
import { f16Bits, f16Value, packF16 } from '../src/model/f16';
import { TrainKernels, packTargets, sqNormSlots } from '../src/train/kernels';
import { storage, readF32 } from '../src/gpu/buffers';
import { ropeInvFreq, ropeTable } from '../src/model/config';
import * as ref from '../test/reference/kernels';
import { SMOL, lcg, copyGBps } from './core';
import { topK } from '../src/model/sampling';

const gpu = await acquireNodeGpu();
const dev = gpu.device;
dev.onuncapturederror = (e) => {
  throw new Error(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
};
const k = new Kernels(dev, loadShaderLibrary());
/** whether the subgroup forms run here (the `subgroups` feature) */
const sg = dev.features.has('subgroups');
const tk = new TrainKernels(k);
const step = stepBuffer(dev);
const owned: GPUBuffer[] = [];
const buf = (d: Float32Array | Uint32Array | number) => {
  const b = storage(dev, d);
  owned.push(b);
  return b;
};
const read = (b: GPUBuffer, n?: number) => readF32(dev, b, 0, n);
const put = (b: GPUBuffer, d: Float32Array) => dev.queue.writeBuffer(b, 0, new Float32Array(d));

/** One variant: the dispatches to run, how to reset what they accumulate into, and how to read what they made. */
interface Variant {
  name: string;
  ops: Dispatch[];
  /** bytes it reads, where not the entry's (f16 weights read half) */
  bytes?: number;
  reset?: () => void;
  out: () => Promise<Float32Array>;
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 1e-6, e = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / scale;
}

/**
 * Check every variant against `want` (max error relative to the largest |want|, below `tol`), then time
 * each (3 warm runs, the mean of 5). Throws on the first wrong one: a benchmark of a wrong kernel is not run.
 */
async function validateThenTime(shape: string, T: number, variants: Variant[], want: ArrayLike<number>, tol: number, work?: { flops?: number; bytes?: number }): Promise<Record<string, string | number>> {
  const row: Record<string, string | number> = { shape };
  for (const v of variants) {
    v.reset?.();
    k.run(v.ops, T);
    const err = maxRelErr(await v.out(), want);
    if (!(err < tol)) throw new Error(`${shape}: ${v.name} is off its reference by ${err.toExponential(2)} (tolerance ${tol}); not timed`);
    row[`${v.name} err`] = +err.toExponential(1);
  }
  for (const v of variants) {
    for (let i = 0; i < 3; i++) k.run(v.ops, T);
    await dev.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) k.run(v.ops, T);
    await dev.queue.onSubmittedWorkDone();
    const s = (performance.now() - t0) / 5 / 1000;
    row[`${v.name} µs`] = +(s * 1e6).toFixed(0);
    if (work?.flops) row[`${v.name} GFLOP/s`] = +(work.flops / s / 1e9).toFixed(3);
    const bytes = v.bytes ?? work?.bytes;
    if (bytes) row[`${v.name} GB/s`] = +(bytes / s / 1e9).toFixed(3);
  }
  return row;
}

const transpose = (W: Float32Array, N: number, K: number) => {
  const t = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let i = 0; i < K; i++) t[i * N + n] = W[n * K + i];
  return t;
};

const H = SMOL.hidden, I = SMOL.intermediate, D = SMOL.headDim, nH = SMOL.heads, nKV = SMOL.kvHeads;
const qkvDim = (nH + 2 * nKV) * D;

/** entry id → what it times; the ids are the bench column of shaders/README.md */
export const ENTRIES: Record<string, { kernels: string[]; run: () => Promise<Record<string, string | number>[]> }> = {
  linear: {
    kernels: ['matvec', 'matvec_t', 'matvec_vec4', 'matvec_coalesced', 'matvec_subgroup', 'matmul', 'matmul_t', 'matmul_vec4'],
    async run() {
      const rows = [];
      const copy = await copyGBps(dev, 64 * 2 ** 20);
      console.log(`copyBufferToBuffer of 64 MiB: ${copy.toFixed(2)} GB/s (read + written); share_of_copy = a decode GEMV's weight GB/s ÷ this`);
      for (const [N, K] of [[qkvDim, H], [I, H], [H, I], [SMOL.vocab, H]]) {
        for (const T of [1, 64]) {
          if (N === SMOL.vocab && T > 1) continue;
          const Xh = lcg(T * K, 1, 1), Wh = lcg(N * K, 0.05, 2);
          const X = buf(Xh), W = buf(Wh), Wt = buf(transpose(Wh, N, K)), Y = buf(T * N);
          writeStep(dev, step, T, 0);
          const o = { N, K, x: X, W, y: Y }, ot = { ...o, W: Wt };
          const out = () => read(Y);
          const v: Variant[] = T === 1
            ? [{ name: 'rows', ops: [k.matvec(o)], out }, { name: 'transposed', ops: [k.matvecT(ot)], out }, { name: 'vec4', ops: [k.matvecVec4(o)], out }, { name: 'coalesced', ops: [k.matvecCoalesced(o)], out }, ...(sg ? [{ name: 'subgroup', ops: [k.matvecSubgroup(o)], out }] : [])]
            : [{ name: 'rows', ops: [k.matmul(step, o)], out }, { name: 'transposed', ops: [k.matmulT(step, ot)], out }, { name: 'vec4', ops: [k.matmulVec4(step, o)], out }];
          const row = await validateThenTime(`linear T=${T} N=${N} K=${K}`, T, v, ref.linearRef(Xh, Wh, T, N, K), 1e-4, { flops: 2 * T * N * K, bytes: 4 * N * K });
          if (T === 1) for (const x of v) row[`${x.name} share_of_copy`] = +((row[`${x.name} GB/s`] as number) / copy).toFixed(3);
          rows.push(row);
        }
      }
      return rows;
    },
  },

  /** the decode GEMV and prefill matmul on f16 weights (read unpacked from u32 pairs, and as array<f16> where the
   *  device has shader-f16) beside the f32 ones, on the same f16-rounded weights */
  'linear-f16': {
    kernels: ['matvec_vec4', 'matvec_coalesced', 'matvec_subgroup', 'matmul_vec4', 'argmax', 'topk', 'draw', 'nucleus'],
    async run() {
      const rows = [];
      const copy = await copyGBps(dev, 64 * 2 ** 20);
      console.log(`copyBufferToBuffer of 64 MiB: ${copy.toFixed(2)} GB/s; shader-f16 ${dev.features.has('shader-f16') ? 'on' : 'not on this adapter'}`);
      const forms = [['f32', 'unpack'], ['f16', 'unpack'], ...(dev.features.has('shader-f16') ? [['f16', 'native']] : [])] as ['f32' | 'f16', 'unpack' | 'native'][];
      for (const [N, K] of [[qkvDim, H], [I, H], [H, I], [SMOL.vocab, H]]) {
        for (const T of [1, 64]) {
          if (N === SMOL.vocab && T > 1) continue;
          const Xh = lcg(T * K, 1, 1), Wh = Float32Array.from(lcg(N * K, 0.05, 2), (x) => f16Value(f16Bits(x)));
          const X = buf(Xh), W32 = buf(Wh), W16 = buf(packF16(Wh, 'W')), Y = buf(T * N);
          writeStep(dev, step, T, 0);
          const out = () => read(Y);
          const v: Variant[] = [];
          for (const [wDtype, f16] of forms) {
            k.variants = { ...k.variants, f16 };
            const o = { N, K, x: X, W: wDtype === 'f16' ? W16 : W32, y: Y, wDtype };
            const tag = wDtype === 'f32' ? 'f32' : `f16-${f16}`;
            const bytes = (wDtype === 'f16' ? 2 : 4) * N * K;
            if (T === 1) {
              v.push({ name: `vec4 ${tag}`, ops: [k.matvecVec4(o)], out, bytes }, { name: `coalesced ${tag}`, ops: [k.matvecCoalesced(o)], out, bytes });
              if (sg) v.push({ name: `subgroup ${tag}`, ops: [k.matvecSubgroup(o)], out, bytes });
            }
            else v.push({ name: `vec4 ${tag}`, ops: [k.matmulVec4(step, o)], out, bytes });
          }
          const row = await validateThenTime(`linear-f16 T=${T} N=${N} K=${K}`, T, v, ref.linearRef(Xh, Wh, T, N, K), 1e-4, { flops: 2 * T * N * K });
          if (T === 1) for (const x of v) row[`${x.name} share_of_copy`] = +((row[`${x.name} GB/s`] as number) / copy).toFixed(3);
          rows.push(row);
        }
      }
      // greedy decoding's argmax over SmolLM2's vocabulary (what a greedy step reads back: 4 bytes, not V·4)
      const logits = lcg(SMOL.vocab, 3, 5), L = buf(logits), out = buf(4);
      rows.push(await validateThenTime(`argmax V=${SMOL.vocab}`, 1, [{ name: 'argmax', ops: [k.argmax({ n: SMOL.vocab, x: L, out })], out: async () => Float32Array.from([new Uint32Array((await read(out, 1)).buffer)[0]]) }], [ref.argmaxRef(logits)], 1e-12, { bytes: 4 * SMOL.vocab }));
      // sampling's top-k on the GPU (8k bytes back) beside what the CPU path does: read the logits back, select on the CPU
      for (const kk of [1, 40, 64]) {
        const tk2 = buf(2 * kk);
        const row = await validateThenTime(`topk k=${kk} V=${SMOL.vocab}`, 1, [{ name: 'topk', ops: [k.topk({ n: SMOL.vocab, k: kk, x: L, out: tk2 })], out: async () => Float32Array.from(new Uint32Array((await read(tk2, 2 * kk)).buffer).filter((_, j) => j % 2 === 0)) }], topK(logits, kk), 1e-12, { bytes: 4 * SMOL.vocab });
        const reps = 5, t0 = performance.now();
        for (let r = 0; r < reps; r++) topK(await read(L, SMOL.vocab), kk);
        row['logits back + CPU top-k µs'] = Math.round(((performance.now() - t0) / reps) * 1000);
        rows.push(row);
      }
      // a token drawn on the GPU from top-k's candidates (draw.wgsl), which a queued sampled step reads as its input:
      // topk then draw, checked on the token the reference draws, beside topk alone
      for (const kk of [40, 256]) {
        const tk2 = buf(2 * kk), dOut = buf(4);
        const topkOp = k.topk({ n: SMOL.vocab, k: kk, x: L, out: tk2 });
        const want = topK(logits, kk);
        const u = 0.37;
        const tok = ref.drawRef(want, want.map((i) => logits[i]), 1 / 0.8, 0.95, u).id;
        const drawOp = k.draw({ k: kk, invT: 1 / 0.8, topP: 0.95, u, pairs: tk2, out: dOut });
        rows.push(await validateThenTime(`topk + draw k=${kk} V=${SMOL.vocab}`, 1, [{ name: 'topk + draw', ops: [topkOp, drawOp], out: async () => Float32Array.from([new Uint32Array((await read(dOut, 1)).buffer)[0]]) }], [tok], 1e-12, { bytes: 4 * SMOL.vocab }));
      }
      // top-p's candidates on the GPU (nucleus.wgsl) over logits with a peaked head, as a language model's are; checked
      // on its largest logit and Z, beside reading the logits back and drawing on the CPU (what sampling does otherwise)
      const peaked = lcg(SMOL.vocab, 2, 6);
      for (let j = 0; j < 60; j++) peaked[(j * 7919) % SMOL.vocab] += 10 + (j % 13) / 2;
      const P = buf(peaked), nOut = buf(4 + 2 * 1024), mPeak = Math.max(...peaked);
      const zPeak = Array.from(peaked).reduce((a, v) => a + Math.exp(Math.fround(v - mPeak)), 0);
      const row = await validateThenTime(`nucleus top-p 0.9 V=${SMOL.vocab}`, 1, [{ name: 'nucleus', ops: [k.nucleus({ n: SMOL.vocab, cap: 1024, invT: 1, topP: 0.9, x: P, out: nOut })], out: async () => (await read(nOut, 4)).slice(1, 3) }], [mPeak, zPeak], 1e-5, { bytes: 4 * SMOL.vocab });
      const reps = 5, t0 = performance.now();
      for (let r = 0; r < reps; r++) topK(await read(P, SMOL.vocab), 0);
      row['logits back + CPU sort µs'] = Math.round(((performance.now() - t0) / reps) * 1000);
      rows.push(row);
      return rows;
    },
  },

  // the group-wise integer weights (src/model/quant.ts) beside f32 and f16 on the very values they hold: what a
  // quarter and a sixth of f32's bytes buy at decode on this device (share_of_copy counts the bytes each reads)
  'linear-quant': {
    kernels: ['matvec_vec4', 'matvec_coalesced', 'matvec_subgroup'],
    async run() {
      const rows = [];
      const copy = await copyGBps(dev, 64 * 2 ** 20);
      console.log(`copyBufferToBuffer of 64 MiB: ${copy.toFixed(2)} GB/s`);
      for (const [N, K] of [[qkvDim, H], [I, H], [H, I], [SMOL.vocab, H]]) {
        for (const q of ['q8', 'q4'] as const) {
          const Xh = lcg(K, 1, 1), Wq = quantize(lcg(N * K, 0.05, 2), q, 'W'), Wh = dequantize(Wq, N * K, q);
          const X = buf(Xh), Y = buf(N);
          const v: Variant[] = [];
          const forms: [string, WeightDtype, GPUBuffer, number][] = [['f32', 'f32', buf(Wh), 4 * N * K], [q, q, buf(Wq), quantBytes(N * K, q)]];
          for (const [tag, wDtype, W, bytes] of forms) {
            const o = { N, K, x: X, W, y: Y, wDtype };
            v.push({ name: `vec4 ${tag}`, ops: [k.matvecVec4(o)], out: () => read(Y), bytes }, { name: `coalesced ${tag}`, ops: [k.matvecCoalesced(o)], out: () => read(Y), bytes });
            if (sg) v.push({ name: `subgroup ${tag}`, ops: [k.matvecSubgroup(o)], out: () => read(Y), bytes });
          }
          const row = await validateThenTime(`linear-${q} T=1 N=${N} K=${K}`, 1, v, ref.linearRef(Xh, Wh, 1, N, K), 1e-4, { flops: 2 * N * K });
          for (const x of v) row[`${x.name} share_of_copy`] = +((row[`${x.name} GB/s`] as number) / copy).toFixed(3);
          for (const form of ['vec4', 'coalesced', ...(sg ? ['subgroup'] : [])]) row[`${form} ${q} speedup vs f32`] = +((row[`${form} f32 µs`] as number) / (row[`${form} ${q} µs`] as number)).toFixed(2);
          rows.push(row);
        }
      }
      return rows;
    },
  },

  attention: {
    kernels: ['attention', 'attention_tiled', 'kv_append', 'rope'],
    async run() {
      const rows = [];
      for (const T of [1, 32, 100]) {
        const pos0 = T === 1 ? 99 : 0, S = pos0 + T;
        const qkvH = lcg(T * qkvDim, 1, 3), kcH = lcg(S * nKV * D, 1, 4), vcH = lcg(S * nKV * D, 1, 5);
        // the cache holds the past; this step's k, v come from qkv through kv_append
        for (let t = 0; t < T; t++) {
          kcH.set(qkvH.subarray(t * qkvDim + nH * D, t * qkvDim + (nH + nKV) * D), (pos0 + t) * nKV * D);
          vcH.set(qkvH.subarray(t * qkvDim + (nH + nKV) * D, (t + 1) * qkvDim), (pos0 + t) * nKV * D);
        }
        const qkv = buf(qkvH), kc = buf(S * nKV * D), vc = buf(S * nKV * D), out = buf(T * nH * D);
        const kcPast = kcH.slice(0, pos0 * nKV * D), vcPast = vcH.slice(0, pos0 * nKV * D);
        const reset = () => {
          if (pos0) {
            put(kc, kcPast);
            put(vc, vcPast);
          }
        };
        writeStep(dev, step, T, pos0);
        const o = { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: qkvDim, qkv, kCache: kc, vCache: vc, out };
        const append = k.kvAppend(step, { kvDim: nKV * D, ldQKV: qkvDim, kOff: nH * D, vOff: (nH + nKV) * D, qkv, kCache: kc, vCache: vc });
        const q = new Float32Array(T * nH * D);
        for (let t = 0; t < T; t++) q.set(qkvH.subarray(t * qkvDim, t * qkvDim + nH * D), t * nH * D);
        const want = ref.attentionRef(q, kcH, vcH, T, pos0, nH, nKV, D);
        const v: Variant[] = [{ name: 'per-token', ops: [append, k.attention(step, o)], reset, out: () => read(out) }];
        if (T > 1) v.push({ name: 'tiled', ops: [append, k.attentionPrefill(step, o)], reset, out: () => read(out) });
        rows.push(await validateThenTime(`kv_append + attention T=${T} past=${pos0} heads ${nH}/${nKV} D=${D}`, T, v, want, 1e-4, { flops: 4 * nH * D * (T * pos0 + (T * (T + 1)) / 2) }));
      }
      // RoPE on q and k in place (Llama's: no q/k norm)
      const T = 64, invFreq = ropeInvFreq({ headDim: D, ropeTheta: 100000, ropeScaling: null });
      const x = lcg(T * qkvDim, 1, 6), qkv = buf(x), cosSin = buf(ropeTable(invFreq, T));
      const want = new Float32Array(x);
      const heads = new Float32Array(T * (nH + nKV) * D);
      for (let t = 0; t < T; t++) heads.set(x.subarray(t * qkvDim, t * qkvDim + (nH + nKV) * D), t * (nH + nKV) * D);
      const rot = ref.ropeRef(heads, T, nH + nKV, D, 0, invFreq);
      for (let t = 0; t < T; t++) want.set(rot.subarray(t * (nH + nKV) * D, (t + 1) * (nH + nKV) * D), t * qkvDim);
      writeStep(dev, step, T, 0);
      const op = k.rope(step, { headDim: D, nHeads: nH + nKV, nQHeads: nH, ldQKV: qkvDim, eps: 1e-6, cosSin, qkv });
      rows.push(await validateThenTime(`rope T=${T}`, T, [{ name: 'rope', ops: [op], reset: () => put(qkv, x), out: () => read(qkv) }], want, 1e-5, { bytes: 8 * T * (nH + nKV) * D }));
      return rows;
    },
  },

  'norm-router': {
    kernels: ['rmsnorm', 'router', 'rmsnorm_router', 'router_hidden_subgroup', 'router_gates', 'embedding', 'add'],
    async run() {
      const rows = [];
      const R = 256, E = 8, kk = 2;
      for (const T of [1, 64]) {
        const xh = lcg(T * H, 1, 7), wh = lcg(H, 1, 8), W1h = lcg(R * H, 0.05, 9), c = lcg(R, 0.1, 10), W2 = lcg(E * R, 0.1, 11), b2 = lcg(E, 0.1, 12);
        const x = buf(xh), w = buf(wh), y = buf(T * H), gates = buf(T * E);
        const rt = { R, E, k: kk, gating: 'eq4' as const, W1h: buf(W1h), c: buf(c), W2: buf(W2), b2: buf(b2), gates };
        writeStep(dev, step, T, 0);
        const hWant = ref.rmsnormRef(xh, wh, H, 1e-5);
        const gWant = ref.routerRef(hWant, T, H, W1h, c, W2, b2, E, kk, 'eq4');
        const norm = k.rmsnorm(step, { dim: H, eps: 1e-5, x, w, y });
        rows.push(await validateThenTime(`rmsnorm T=${T} H=${H}`, T, [{ name: 'rmsnorm', ops: [norm], out: () => read(y) }], hWant, 1e-5, { bytes: 8 * T * H }));
        rows.push(
          await validateThenTime(`router T=${T} H=${H} R=${R} E=${E} k=${kk}`, T, [
            { name: 'norm, then router', ops: [norm, k.router(step, { H, ...rt, h: y })], out: () => read(gates) },
            { name: 'rmsnorm_router', ops: [k.rmsnormRouter(step, { dim: H, eps: 1e-5, x, w, y, ...rt })], out: () => read(gates) },
            // decode: the same spread over the device (two dispatches)
            ...(T === 1 && sg ? [{ name: 'router_hidden_subgroup, router_gates (2)', ops: k.rmsnormRouterDecode(step, { dim: H, eps: 1e-5, x, w, y, ...rt, a: buf(R) }), out: () => read(gates) }] : []),
          ], gWant, 1e-4, { flops: 2 * T * (R * H + E * R) }),
        );
      }
      // the embedding gather and the residual add
      const T = 64, V = 4096, table = lcg(V * H, 1, 13), ids = Uint32Array.from({ length: T }, (_, i) => (i * 977) % V);
      const out = buf(T * H);
      writeStep(dev, step, T, 0);
      rows.push(await validateThenTime(`embedding T=${T}`, T, [{ name: 'embedding', ops: [k.embedding(step, { H, rowStart: 0, rowCount: V, ids: buf(ids), table: buf(table), out })], out: () => read(out) }], ref.embeddingRef(table, ids, H), 1e-7, { bytes: 8 * T * H }));
      // add.wgsl: x += y in place
      const a = lcg(T * H, 1, 14), b = lcg(T * H, 1, 15), xb = buf(a);
      rows.push(await validateThenTime(`add n=${T * H}`, T, [{ name: 'add', ops: [k.add({ n: T * H, x: xb, y: buf(b) })], reset: () => put(xb, a), out: () => read(xb) }], ref.addRef(a, b), 1e-7, { bytes: 12 * T * H }));
      return rows;
    },
  },

  mlp: {
    kernels: ['gate_up_silu', 'gate_up_silu_vec4', 'silu_mul'],
    async run() {
      const rows = [];
      for (const T of [1, 64]) {
        const xh = lcg(T * H, 1, 16), Wg = lcg(I * H, 0.05, 17), Wu = lcg(I * H, 0.05, 18);
        const x = buf(xh), g = buf(Wg), u = buf(Wu), out = buf(T * I), gu = buf(T * 2 * I);
        writeStep(dev, step, T, 0);
        const o = { I, K: H, x, Wg: g, Wu: u, out };
        const split = [
          T === 1 ? k.matvecVec4({ N: I, K: H, ldY: 2 * I, x, W: g, y: gu }) : k.matmulVec4(step, { N: I, K: H, ldY: 2 * I, x, W: g, y: gu }),
          T === 1 ? k.matvecVec4({ N: I, K: H, ldY: 2 * I, nOff: I, x, W: u, y: gu }) : k.matmulVec4(step, { N: I, K: H, ldY: 2 * I, nOff: I, x, W: u, y: gu }),
          k.siluMul(step, { I, gu, out }),
        ];
        rows.push(
          await validateThenTime(`gate/up + SiLU T=${T} I=${I} K=${H}`, T, [
            { name: 'gate_up_silu', ops: [k.gateUpSilu(step, o)], out: () => read(out) },
            { name: 'gate_up_silu_vec4', ops: [k.gateUpSiluVec4(step, o)], out: () => read(out) },
            { name: 'two projections + silu_mul', ops: split, out: () => read(out) },
          ], ref.siluGateRef(xh, Wg, Wu, T, I, H), 1e-4, { flops: 4 * T * I * H, bytes: 8 * I * H }),
        );
      }
      return rows;
    },
  },

  /** decode's norm-fused kernels (one dispatch each) beside the dispatches they replace, in both GEMV forms */
  'norm-decode': {
    kernels: ['rmsnorm_qkv_rope', 'rmsnorm_qkv_rope_coalesced', 'rmsnorm_qkv_rope_subgroup', 'attention_o', 'rmsnorm_gate_up_silu', 'rmsnorm_gate_up_silu_coalesced', 'rmsnorm_gate_up_silu_subgroup'],
    async run() {
      const rows = [];
      const pos = 3, S = pos + 1, qDim = nH * D, kvDim = nKV * D;
      const xh = lcg(H, 1, 31), nw = lcg(H, 1, 32), Wh = lcg(qkvDim * H, 0.05, 33);
      const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 100000, ropeScaling: null });
      const x = buf(xh), w = buf(nw), W = buf(Wh), cosSin = buf(ropeTable(invFreq, S)), h = buf(H), qkv = buf(qkvDim), kc = buf(S * kvDim), vc = buf(S * kvDim);
      writeStep(dev, step, 1, pos);
      const got = async () => {
        const [q, kk, vv] = [await read(qkv, qDim), await read(kc), await read(vc)];
        return Float32Array.from([...q, ...kk.slice(pos * kvDim), ...vv.slice(pos * kvDim)]);
      };
      const want = ref.normQkvRopeRef(xh, nw, Wh, undefined, H, D, nH, nKV, pos, invFreq);
      const norm = k.rmsnorm(step, { dim: H, eps: 1e-6, x, w, y: h });
      const rope = k.rope(step, { headDim: D, nHeads: nH + nKV, nQHeads: nH, ldQKV: qkvDim, eps: 1e-6, cosSin, qkv, kv: { kCache: kc, vCache: vc } });
      const fused = { H, headDim: D, nQHeads: nH, nKVHeads: nKV, eps: 1e-6, x, normW: w, W, cosSin, q: qkv, kCache: kc, vCache: vc };
      rows.push(
        await validateThenTime(`norm·qkv·RoPE·append H=${H} N=${qkvDim} pos=${pos}`, 1, [
          { name: 'rmsnorm, matvec_vec4, rope (3)', ops: [norm, k.matvecVec4({ N: qkvDim, K: H, x: h, W, y: qkv }), rope], out: got },
          { name: 'rmsnorm, matvec_coalesced, rope (3)', ops: [norm, k.matvecCoalesced({ N: qkvDim, K: H, x: h, W, y: qkv }), rope], out: got },
          { name: 'rmsnorm_qkv_rope', ops: [k.rmsnormQkvRope(step, { ...fused, form: 'vec4' })], out: got },
          { name: 'rmsnorm_qkv_rope_coalesced', ops: [k.rmsnormQkvRope(step, { ...fused, form: 'coalesced' })], out: got },
          ...(sg ? [{ name: 'rmsnorm_qkv_rope_subgroup', ops: [k.rmsnormQkvRope(step, { ...fused, form: 'subgroup' })], out: got }] : []),
        ], Float32Array.from([...want.q, ...want.k, ...want.v]), 1e-4, { bytes: 4 * qkvDim * H }),
      );
      // attention over 4 positions and Wo: per head (attention_o's parts, summed here) beside attention then o
      const Woh = lcg(H * qDim, 0.05, 36), Wo = buf(Woh), att = buf(qDim), y = buf(H), part = buf(nH * H);
      const qh = await read(qkv, qDim), kh = await read(kc), vh = await read(vc);
      const attOpts = { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: qkvDim, qkv, kCache: kc, vCache: vc };
      const summed = async () => {
        const pr = await read(part);
        return Float32Array.from({ length: H }, (_, n) => { let s = 0; for (let h = 0; h < nH; h++) s += pr[h * H + n]; return s; });
      };
      rows.push(
        await validateThenTime(`attention·o H=${H} heads=${nH}+${nKV} pos=${pos}`, 1, [
          { name: 'attention, matvec_vec4 (2)', ops: [k.attention(step, { ...attOpts, out: att }), k.matvecVec4({ N: H, K: qDim, x: att, W: Wo, y })], out: () => read(y) },
          { name: 'attention, matvec_coalesced (2)', ops: [k.attention(step, { ...attOpts, out: att }), k.matvecCoalesced({ N: H, K: qDim, x: att, W: Wo, y })], out: () => read(y) },
          { name: 'attention_o', ops: [k.attentionO(step, { ...attOpts, H, Wo, part })], out: summed },
        ], ref.linearRef(ref.attentionRef(qh, kh, vh, 1, pos, nH, nKV, D), Woh, 1, H, qDim), 1e-4, { bytes: 4 * H * qDim }),
      );
      const Wg = lcg(I * H, 0.05, 34), Wu = lcg(I * H, 0.05, 35), g = buf(Wg), u = buf(Wu), act = buf(I);
      const o = { I, K: H, eps: 1e-6, x, normW: w, Wg: g, Wu: u, act };
      rows.push(
        await validateThenTime(`norm·gate·up·SiLU I=${I} K=${H}`, 1, [
          { name: 'rmsnorm, gate_up_silu_vec4 (2)', ops: [norm, k.gateUpSiluVec4(step, { I, K: H, x: h, Wg: g, Wu: u, out: act })], out: () => read(act) },
          { name: 'rmsnorm_gate_up_silu', ops: [k.rmsnormGateUpSilu({ ...o, form: 'vec4' })], out: () => read(act) },
          { name: 'rmsnorm_gate_up_silu_coalesced', ops: [k.rmsnormGateUpSilu({ ...o, form: 'coalesced' })], out: () => read(act) },
          ...(sg ? [{ name: 'rmsnorm_gate_up_silu_subgroup', ops: [k.rmsnormGateUpSilu({ ...o, form: 'subgroup' })], out: () => read(act) }] : []),
        ], ref.normSiluGateRef(xh, nw, Wg, Wu, I, H), 1e-4, { bytes: 8 * I * H }),
      );
      // with the heads' parts (the 4-dispatch layer): x + Σ parts first, staged in workgroup memory by the rows form
      const ph = lcg(nH * H, 0.1, 37), r = buf(H);
      const xm = xh.map((v, i) => { let s2 = v; for (let h2 = 0; h2 < nH; h2++) s2 += ph[h2 * H + i]; return s2; });
      const op = { ...o, parts: { n: nH, part: buf(ph), r } };
      rows.push(
        await validateThenTime(`x + Σ ${nH} parts, norm·gate·up·SiLU I=${I} K=${H}`, 1, [
          { name: 'rmsnorm_gate_up_silu', ops: [k.rmsnormGateUpSilu({ ...op, form: 'vec4' })], out: () => read(act) },
          { name: 'rmsnorm_gate_up_silu_coalesced', ops: [k.rmsnormGateUpSilu({ ...op, form: 'coalesced' })], out: () => read(act) },
          ...(sg ? [{ name: 'rmsnorm_gate_up_silu_subgroup', ops: [k.rmsnormGateUpSilu({ ...op, form: 'subgroup' })], out: () => read(act) }] : []),
        ], ref.normSiluGateRef(xm, nw, Wg, Wu, I, H), 1e-4, { bytes: 8 * I * H }),
      );
      return rows;
    },
  },

  adapted: {
    kernels: ['lora_matvec_vec4', 'lora_matmul_vec4', 'lora_down', 'lora_up', 'lora_matvec_up_vec4', 'lora_matvec_up_subgroup'],
    async run() {
      const rows = [];
      // q and v of the fused qkv (two segments), r = 8: Zhyper diag (mode 1) and CUMA top-2 of 8 with a shared A (mode 3)
      const segs = [{ start: 0, len: nH * D }, { start: (nH + nKV) * D, len: nKV * D }];
      const N = qkvDim, K = H, r = 8;
      for (const mode of [1, 3] as const) {
        for (const T of [1, 64]) {
          const E = mode === 3 ? 8 : 1, lenSum = segs.reduce((a, s) => a + s.len, 0);
          const gates = new Float32Array(T * E);
          for (let t = 0; t < T; t++) gates.set(ref.topkGates(Array.from(lcg(E, 1, 100 + t)), 2, 'eq4'), t * E);
          const l: ref.LoraRef = { mode, r, E, EA: 1, segs, scale: 2, A: lcg(segs.length * r * K, 0.05, 19), B: lcg(E * lenSum * r, 0.05, 20), cond: mode === 1 ? lcg(segs.length * r, 1, 21) : gates };
          const Xh = lcg(T * K, 1, 22), Wh = lcg(N * K, 0.05, 23);
          const X = buf(Xh), W = buf(Wh), Y = buf(T * N), U = buf(T * segs.length * r);
          const lora: LoraBinding = { mode, r, E, EA: 1, segs, scale: 2, A: buf(l.A), B: buf(l.B), cond: buf(l.cond) };
          writeStep(dev, step, T, 0);
          const o = { N, K, x: X, W, y: Y, lora };
          const out = () => read(Y);
          const base = T === 1 ? k.matvecVec4(o) : k.matmulVec4(step, o);
          const down = k.loraDown(step, { K, lora, x: X, U });
          const v: Variant[] = [
            { name: 'backbone only', ops: [base], out },
            { name: 'fused', ops: [T === 1 ? k.loraMatvecVec4(step, o) : k.loraMatmulVec4(step, o)], out },
            ...(T === 1 ? [{ name: 'split', ops: [down, k.loraMatvecUpVec4(step, { ...o, U })], out }, ...(sg ? [{ name: 'split (subgroup)', ops: [down, k.loraMatvecUpSubgroup(step, { ...o, U })], out }] : [])] : []),
            { name: 'unfused', ops: [base, down, k.loraUp(step, { N, lora, U, y: Y })], out },
          ];
          const want = ref.adaptedLinearRef(Xh, Wh, T, N, K, l);
          // the backbone-only variant is the peer the adapter's cost is read against: it is checked on its own reference
          const plain = ref.linearRef(Xh, Wh, T, N, K);
          const row = await validateThenTime(`${mode === 1 ? 'Zhyper diag' : 'CUMA top-2 of 8'} q,v T=${T} N=${N} K=${K} r=${r}`, T, v.slice(1), want, 1e-4);
          const peer = await validateThenTime('', T, v.slice(0, 1), plain, 1e-4);
          rows.push({ ...row, 'backbone µs': peer['backbone only µs'] });
        }
      }
      return rows;
    },
  },

  'linear-backward': {
    kernels: ['linear_backward_input', 'linear_backward_input_vec4', 'weight_grad', 'rmsnorm_backward', 'silu_gate_backward'],
    async run() {
      const rows = [];
      const T = 64;
      for (const [N, K] of [[qkvDim, H], [H, I]]) {
        const dYh = lcg(T * N, 1, 24), Wh = lcg(N * K, 0.05, 25), dY = buf(dYh), W = buf(Wh), dX = buf(T * K);
        writeStep(dev, step, T, 0);
        const o = { N, K, dY, W, dX };
        rows.push(
          await validateThenTime(`dX = dY·W T=${T} N=${N} K=${K}`, T, [
            { name: 'linear_backward_input', ops: [tk.linearBackwardInput(step, { ...o, vec4: false })], out: () => read(dX) },
            { name: 'vec4', ops: [tk.linearBackwardInput(step, { ...o, vec4: true })], out: () => read(dX) },
          ], ref.linearBackwardInputRef(dYh, Wh, T, N, K), 1e-4, { flops: 2 * T * N * K }),
        );
        // dW = dYᵀ·X (the router's and the trainer's own weights), r × K-sized here: N = 8 rows
        const Xh = lcg(T * K, 1, 26), n = 8, dW = buf(n * K);
        const want = new Float64Array(n * K);
        for (let i = 0; i < n; i++) for (let j = 0; j < K; j++) for (let t = 0; t < T; t++) want[i * K + j] += dYh[t * N + i] * Xh[t * K + j];
        rows.push(await validateThenTime(`dW = dYᵀ·X T=${T} N=${n} K=${K}`, T, [{ name: 'weight_grad', ops: [tk.weightGrad(step, { N: n, K, ldDY: N, dY, X: buf(Xh), dW })], out: () => read(dW) }], want, 1e-4, { flops: 2 * T * n * K }));
      }
      const xh = lcg(T * H, 1, 27), wh = lcg(H, 1, 28), dyh = lcg(T * H, 1, 29), dx = buf(T * H);
      rows.push(await validateThenTime(`rmsnorm backward T=${T}`, T, [{ name: 'rmsnorm_backward', ops: [tk.rmsnormBackward(step, { dim: H, eps: 1e-5, x: buf(xh), w: buf(wh), dy: buf(dyh), dx })], out: () => read(dx) }], ref.rmsnormBackwardRef(xh, wh, dyh, H, 1e-5), 1e-4));
      const guh = lcg(T * 2 * I, 2, 30), dOut = lcg(T * I, 1, 31), dgu = buf(T * 2 * I);
      rows.push(await validateThenTime(`SiLU gate backward T=${T} I=${I}`, T, [{ name: 'silu_gate_backward', ops: [tk.siluGateBackward(step, { I, gu: buf(guh), dOut: buf(dOut), dgu })], out: () => read(dgu) }], ref.siluGateBackwardRef(guh, dOut, T, I), 1e-5));
      return rows;
    },
  },

  'attention-backward': {
    kernels: ['attention_lse', 'attention_backward_dq', 'attention_backward_dkv', 'attention_lse_tiled', 'attention_backward_dq_tiled', 'attention_backward_dkv_tiled'],
    async run() {
      const rows = [];
      for (const T of [32, 100]) {
        const qkvH = lcg(T * qkvDim, 1, 32), kcH = lcg(T * nKV * D, 1, 33), vcH = lcg(T * nKV * D, 1, 34), dOh = lcg(T * nH * D, 1, 35);
        const qkv = buf(qkvH), kc = buf(kcH), vc = buf(vcH), dO = buf(dOh), stats = buf(T * nH * 2), dqkv = buf(T * qkvDim), dK = buf(T * nKV * D), dV = buf(T * nKV * D);
        writeStep(dev, step, T, 0);
        const q = new Float32Array(T * nH * D);
        for (let t = 0; t < T; t++) q.set(qkvH.subarray(t * qkvDim, t * qkvDim + nH * D), t * nH * D);
        const want = ref.attentionBackwardRef(q, kcH, vcH, dOh, T, 0, nH, nKV, D);
        // dq lands in qkv's q columns; dK, dV in their own buffers: read all three, concatenated
        const got = async () => {
          const d = await read(dqkv), a = await read(dK), b = await read(dV);
          const dq = new Float32Array(T * nH * D);
          for (let t = 0; t < T; t++) dq.set(d.subarray(t * qkvDim, t * qkvDim + nH * D), t * nH * D);
          return Float32Array.from([...dq, ...a, ...b]);
        };
        const o = { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: qkvDim, qkv, kCache: kc, vCache: vc, dO, stats, dqkv, dK, dV };
        rows.push(
          await validateThenTime(`attention backward T=${T} heads ${nH}/${nKV} D=${D}`, T, [
            { name: 'per-token', ops: tk.attentionBackward(step, { ...o, tiled: false }), out: got },
            { name: 'tiled', ops: tk.attentionBackward(step, { ...o, tiled: true }), out: got },
          ], Float64Array.from([...want.dq, ...want.dK, ...want.dV]), 1e-4, { flops: (8 * nH * D * T * (T + 1)) / 2 }),
        );
      }
      return rows;
    },
  },

  'adapter-backward': {
    kernels: ['lora_backward_ug', 'lora_backward_mix', 'lora_backward_params', 'lora_backward_x', 'router_backward'],
    async run() {
      const rows = [];
      const T = 64, N = nH * D, K = H, r = 8;
      const xh = lcg(T * K, 1, 36), dYh = lcg(T * N, 1, 37), Ah = lcg(r * K, 0.05, 38), Bh = lcg(N * r, 0.05, 39), zh = lcg(r, 1, 40);
      const x = buf(xh), dY = buf(dYh), A = buf(Ah), B = buf(Bh), z = buf(zh), ug = buf(T * 4 * r), dA = buf(r * K), dB = buf(N * r), dz = buf(r), dX = buf(T * K);
      writeStep(dev, step, T, 0);
      const want = ref.adaptedBackwardRef({ x: xh, dY: dYh, A: Ah, B: Bh, cond: zh, mode: 1, s: 2, T, K, N, r });
      const ops = tk.loraBackward(step, { K, N, r, scale: 2, mode: 1, x, dY, A, B, z, ug, dA, dB, dz, dX, accumulateX: false });
      const all = async () => Float32Array.from([...(await read(dA)), ...(await read(dB)), ...(await read(dz)), ...(await read(dX))]);
      rows.push(await validateThenTime(`Zhyper diag backward T=${T} N=${N} K=${K} r=${r}`, T, [{ name: 'lora_backward (4 dispatches)', ops, out: all }], Float64Array.from([...want.dA, ...want.dB, ...want.dz!, ...want.dX]), 1e-4));
      // the router's backward, top-2 of 8, with the dense load balance
      const R = 256, E = 8;
      const h = lcg(T * H, 1, 41), W1h = lcg(R * H, 0.05, 42), c = lcg(R, 0.1, 43), W2 = lcg(E * R, 0.1, 44), b2 = lcg(E, 0.1, 45), dg = lcg(T * E, 1, 46);
      const gates = buf(T * E), out = buf(T * (2 * R + E + 1));
      const gr = { dW1h: buf(R * H), dc: buf(R), dW2: buf(E * R), db2: buf(E), accumulate: false };
      const rb = tk.routerBackward(step, { H, R, E, k: 2, gating: 'eq4', lbScale: 0.08, lbForm: 'dense', h: buf(h), W1h: buf(W1h), c: buf(c), W2: buf(W2), b2: buf(b2), gates, dgates: buf(dg), out }, gr);
      const rw = ref.routerBackwardRef({ h, W1h, c, W2, b2, dgates: dg, T, H, R, E, k: 2, gating: 'eq4', lbScale: 0.08 });
      const router = k.router(step, { H, R, E, k: 2, gating: 'eq4', h: buf(h), W1h: buf(W1h), c: buf(c), W2: buf(W2), b2: buf(b2), gates });
      const grads = async () => Float32Array.from([...(await read(gr.dW1h)), ...(await read(gr.dc)), ...(await read(gr.dW2)), ...(await read(gr.db2))]);
      rows.push(await validateThenTime(`router backward T=${T} H=${H} R=${R} E=${E} k=2`, T, [{ name: 'router + router_backward', ops: [router, ...rb], out: grads }], Float64Array.from([...rw.dW1h, ...rw.dc, ...rw.dW2, ...rw.db2]), 1e-4));
      return rows;
    },
  },

  'rope-cache-backward': {
    kernels: ['rope_backward', 'kv_append_backward'],
    async run() {
      const T = 64, invFreq = ropeInvFreq({ headDim: D, ropeTheta: 100000, ropeScaling: null });
      const dh = lcg(T * qkvDim, 1, 47), d = buf(dh), cosSin = buf(ropeTable(invFreq, T));
      const heads = new Float32Array(T * (nH + nKV) * D);
      for (let t = 0; t < T; t++) heads.set(dh.subarray(t * qkvDim, t * qkvDim + (nH + nKV) * D), t * (nH + nKV) * D);
      const back = ref.ropeBackwardRef(heads, T, nH + nKV, D, 0, invFreq);
      const want = Float64Array.from(dh);
      for (let t = 0; t < T; t++) want.set(back.subarray(t * (nH + nKV) * D, (t + 1) * (nH + nKV) * D), t * qkvDim);
      writeStep(dev, step, T, 0);
      const rows = [await validateThenTime(`rope backward T=${T}`, T, [{ name: 'rope_backward', ops: [tk.ropeBackward(step, { headDim: D, nHeads: nH + nKV, ldQKV: qkvDim, cosSin, dqkv: d })], reset: () => put(d, dh), out: () => read(d) }], want, 1e-5)];
      // kv_append's backward: dK, dV written into dqkv's k and v columns (the q columns untouched)
      const dKh = lcg(T * nKV * D, 1, 48), dVh = lcg(T * nKV * D, 1, 49), base = lcg(T * qkvDim, 1, 50), dq = buf(base);
      const kv = Float64Array.from(base);
      for (let t = 0; t < T; t++)
        for (let i = 0; i < nKV * D; i++) {
          kv[t * qkvDim + nH * D + i] = dKh[t * nKV * D + i];
          kv[t * qkvDim + (nH + nKV) * D + i] = dVh[t * nKV * D + i];
        }
      rows.push(await validateThenTime(`kv_append backward T=${T}`, T, [{ name: 'kv_append_backward', ops: [tk.kvAppendBackward(step, { kvDim: nKV * D, ldQKV: qkvDim, kOff: nH * D, vOff: (nH + nKV) * D, dK: buf(dKh), dV: buf(dVh), dqkv: dq })], reset: () => put(dq, base), out: () => read(dq) }], kv, 1e-6));
      return rows;
    },
  },

  'loss-optimizer': {
    kernels: ['cross_entropy', 'sq_norm', 'adamw'],
    async run() {
      const rows = [];
      const rowsN = 8, V = SMOL.vocab, logitsH = lcg(rowsN * V, 4, 51);
      const pairs: [number, number][] = Array.from({ length: rowsN }, (_, i) => [i, (i * 7919) % V]);
      const { targets } = packTargets(pairs, rowsN, V);
      const logits = buf(logitsH), loss = buf(rowsN + 1);
      const ce = tk.crossEntropy({ V, rows: rowsN, count: rowsN, eps: 0.1, targets: buf(targets), logits, loss });
      const w = ref.crossEntropyRef(logitsH, V, pairs, 0.1);
      rows.push(await validateThenTime(`cross-entropy ${rowsN} rows V=${V} ε=0.1`, 1, [{ name: 'cross_entropy (2 dispatches)', ops: ce, reset: () => put(logits, logitsH), out: () => read(logits) }], w.dlogits, 1e-4, { bytes: 8 * rowsN * V }));
      // AdamW on one 576×1536 tensor, clipped by its own norm (sq_norm partials first)
      const n = H * I, p = lcg(n, 0.05, 52), g = lcg(n, 1, 53), m = lcg(n, 0.01, 54), v = Float32Array.from(lcg(n, 0.01, 55), (x) => Math.abs(x));
      const slots = sqNormSlots(n), partials = buf(slots);
      const P = buf(p), G = buf(g), M = buf(m), Vb = buf(v);
      const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.01 };
      const ad = tk.adamw({ n, ...hyper, maxNorm: 1, nPartials: slots, partials, param: P, grad: G, m: M, v: Vb });
      ad.setStep(1);
      const want = ref.adamwRef(p, g, m, v, 1, hyper, ref.clipScaleRef([g], 1).clip);
      const reset = () => {
        put(P, p);
        put(M, m);
        put(Vb, v);
      };
      rows.push(await validateThenTime(`sq_norm + AdamW n=${n}`, 1, [{ name: 'sq_norm + adamw', ops: [tk.sqNorm({ n, outIndex: 0, x: G, partials }), ad], reset, out: () => read(P) }], want.p, 1e-5, { bytes: 4 * 7 * n }));
      return rows;
    },
  },
};

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const id of only) if (!(id in ENTRIES)) throw new Error(`no bench entry "${id}"; the entries: ${Object.keys(ENTRIES).join(', ')}`);
console.log(`kernels on ${gpu.info.vendor} ${gpu.info.description}; each variant checked against test/reference/kernels.ts before it is timed (err: max |error| ÷ max |reference|)`);
for (const [id, e] of Object.entries(ENTRIES)) {
  if (only.length && !only.includes(id)) continue;
  console.log(`\n## ${id} (${e.kernels.join(', ')})`);
  console.table(await e.run());
  for (const b of owned.splice(0)) b.destroy();
}
process.exit(0);
