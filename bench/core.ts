// The benchmark itself, shared by Node (bench/bench.ts, Dawn) and Chromium (bench/browser.ts):
// our kernels and whole-model prefill/decode against tfjs on its webgpu backend on the same adapter,
// in the same run. On CPU-emulated WebGPU only the ratios mean anything.
import type * as TF from '@tensorflow/tfjs';
import { Kernels, stepBuffer, writeStep, type Dispatch, type WeightDtype } from '../src/gpu/kernels';
import { storage, readF32 } from '../src/gpu/buffers';
import type { ShaderLibrary } from '../src/gpu/shaders';
import { Runtime } from '../src/model/runtime';
import type { ModelFiles } from '../src/model/sources';
import { TfjsLlama } from './tfjs-llama';
import { createAdapter, defaultSpec } from '../src/adapters/create';
import type { AdapterPath } from '../src/model/model';
import { lcg } from './lcg';
import { trainBench, type TrainBenchModel } from './train';
import type { TransformersJsPeer } from './transformersjs-peer';

export interface BenchModel {
  name: string;
  files: ModelFiles;
  /** also time decode with Zhyper and CUMA adapters on this model (fused and unfused) */
  adapters?: boolean;
  /** transformers.js on this model's ONNX exports (bench/onnx-llama.ts), one peer per graph; none: not timed */
  transformersJs?: (() => Promise<TransformersJsPeer>)[];
  /** ours in f16 only: no f32 weights, no tfjs peer (the large shapes: their f32 copy and tfjs's would not fit an emulator's time) */
  oursOnly?: boolean;
}

export type Row = Record<string, number | string>;

export interface BenchReport {
  date: string;
  runtime: string;
  adapter: Runtime['info'];
  /** the kernel variants this adapter ran (src/gpu/variants.ts) */
  variants?: Runtime['variants'];
  kernels: Row[];
  models: Row[];
  /** decode and prefill with adapters, as ratios to the plain backbone in the same run */
  adapters: Row[];
  /** a LoRA training step, ours against tfjs-webgpu (bench/train.ts); absent in older reports */
  training?: Row[];
}

/** SmolLM2-135M's shapes: hidden 576, 30 layers, 9 heads / 3 kv heads of 64, intermediate 1536, vocab 49152. */
export const SMOL = { hidden: 576, layers: 30, heads: 9, kvHeads: 3, headDim: 64, intermediate: 1536, vocab: 49152 };

export { lcg };

/**
 * The device's practical memory bandwidth: copyBufferToBuffer of `bytes`, checked (the copy equals its source),
 * then timed; GB/s counts the bytes read and written. The decode GEMV's share of it (share_of_copy) is what a
 * bandwidth-bound kernel can be held to on any device.
 */
export async function copyGBps(dev: GPUDevice, bytes: number): Promise<number> {
  const n = bytes / 4, src = storage(dev, lcg(n, 1, 99)), dst = storage(dev, n);
  const run = () => {
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
    dev.queue.submit([enc.finish()]);
  };
  try {
    run();
    const [a, b] = [await readF32(dev, src, 0, 1024), await readF32(dev, dst, 0, 1024)];
    if (a.some((v, i) => v !== b[i])) throw new Error('the copy did not copy; not timed');
    for (let i = 0; i < 2; i++) run();
    await dev.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) run();
    await dev.queue.onSubmittedWorkDone();
    return (2 * bytes) / ((performance.now() - t0) / 5 / 1000) / 1e9;
  } finally {
    src.destroy();
    dst.destroy();
  }
}

export async function runBench(o: {
  gpu: GPU;
  shaders: ShaderLibrary;
  tf: typeof TF;
  models: BenchModel[];
  quick: boolean;
  /** only the adapters table (skips the kernel and tfjs-peer sections) */
  adaptersOnly?: boolean;
  /** the training section's models (none: no training section) */
  train?: TrainBenchModel[];
  /** only the training section */
  trainOnly?: boolean;
  runtime: string;
  log: (s: string) => void;
}): Promise<BenchReport> {
  const { tf, log } = o;
  const rt = await Runtime.create(o.gpu, o.shaders);
  const dev = rt.device;
  // the device's own kernel variants, so the kernels table times the GEMV form its models run
  const k = new Kernels(dev, o.shaders, rt.variants);
  log(`adapter: ${rt.info.vendor} ${rt.info.architecture} ${rt.info.description}; decode GEMV ${rt.variants.gemv} (${rt.variants.reason})`);

  const timeOps = async (op: Dispatch, T: number, reps: number) => {
    k.run([op], T);
    await dev.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) k.run([op], T);
    await dev.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / 1000 / reps;
  };
  const timeTf = async (fn: () => TF.Tensor, reps: number) => {
    const w = fn();
    await w.data();
    w.dispose();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) {
      const y = fn();
      await y.data();
      y.dispose();
    }
    return (performance.now() - t0) / 1000 / reps;
  };

  // Kernels at the backbone's shapes; both weight layouts of our linear kernels compete side by side.
  const kernels: Row[] = [];
  const step = stepBuffer(dev);
  const shapes: [string, number, number][] = [
    ['qkv', SMOL.hidden + 2 * SMOL.kvHeads * SMOL.headDim, SMOL.hidden],
    ['o_proj', SMOL.hidden, SMOL.heads * SMOL.headDim],
    ['gate/up', SMOL.intermediate, SMOL.hidden],
    ['down', SMOL.hidden, SMOL.intermediate],
    ['lm_head', SMOL.vocab, SMOL.hidden],
  ];
  const reps = o.quick ? 2 : 5;
  const copy = o.adaptersOnly || o.trainOnly ? 0 : await copyGBps(dev, 64 * 2 ** 20);
  if (copy) log(`copyBufferToBuffer of 64 MiB: ${copy.toFixed(2)} GB/s (read + written): share_of_copy = the decode GEMV's weight GB/s ÷ this`);
  /** the decode GEMV the models run on this device (model/layer.ts plainLinear; the fused kernels take the same form) */
  const deviceGemv = (lo: Parameters<Kernels['matvec']>[0]) => (k.variants.gemv === 'subgroup' ? k.matvecSubgroup(lo) : k.variants.gemv === 'coalesced' ? k.matvecCoalesced(lo) : k.matvecVec4(lo));
  for (const [name, N, K] of o.adaptersOnly || o.trainOnly ? [] : shapes) {
    for (const T of [1, 64]) {
      if (name === 'lm_head' && T > 1) continue; // only the last position goes through lm_head
      const X = storage(dev, lcg(T * K, 1, 1)), W = storage(dev, lcg(N * K, 0.05, 2)), Y = storage(dev, T * N);
      writeStep(dev, step, T, 0);
      const rows = await timeOps(T === 1 ? k.matvec({ N, K, x: X, W, y: Y }) : k.matmul(step, { N, K, x: X, W, y: Y }), T, reps);
      const trans = await timeOps(T === 1 ? k.matvecT({ N, K, x: X, W, y: Y }) : k.matmulT(step, { N, K, x: X, W, y: Y }), T, reps);
      const vec4 = await timeOps(T === 1 ? k.matvecVec4({ N, K, x: X, W, y: Y }) : k.matmulVec4(step, { N, K, x: X, W, y: Y }), T, reps);
      const device = T > 1 ? vec4 : K % 4 ? rows : await timeOps(deviceGemv({ N, K, x: X, W, y: Y }), T, reps);
      const xt = tf.randomNormal([T, K]), wt = tf.randomNormal([N, K]);
      const peer = await timeTf(() => tf.matMul(xt, wt, false, true), reps);
      xt.dispose();
      wt.dispose();
      X.destroy();
      W.destroy();
      Y.destroy();
      const flops = 2 * T * N * K, bytes = 4 * (N * K + T * K + T * N);
      const best = Math.min(rows, trans, vec4, device);
      kernels.push({
        kernel: T === 1 ? 'matvec' : 'matmul',
        shape: `${name} T=${T} N=${N} K=${K}`,
        gflops_rows: +(flops / rows / 1e9).toFixed(3),
        gflops_transposed: +(flops / trans / 1e9).toFixed(3),
        gflops_vec4: +(flops / vec4 / 1e9).toFixed(3),
        gbps_best: +(bytes / best / 1e9).toFixed(3),
        ...(T === 1 ? { gemv_device: k.variants.gemv, gflops_device: +(flops / device / 1e9).toFixed(3), weight_gbps_device: +((4 * N * K) / device / 1e9).toFixed(3), share_of_copy: +((4 * N * K) / device / 1e9 / copy).toFixed(3) } : {}),
        tfjs_gflops: +(flops / peer / 1e9).toFixed(3),
        // against the variant the model uses (the device's GEMV at decode, vec4 at prefill, whenever K % 4 == 0)
        ratio_vs_tfjs: +(peer / (K % 4 ? rows : device)).toFixed(2),
      });
      log(JSON.stringify(kernels.at(-1)));
    }
  }
  step.destroy();

  const models: Row[] = [];
  const adapters: Row[] = [];
  const PROMPT = o.quick ? 16 : 32, DECODE = o.quick ? 4 : 8;
  for (const m of o.trainOnly ? [] : o.models) {
    if (o.adaptersOnly && !m.adapters) continue;
    if (o.adaptersOnly) {
      await rt.load(m.files, undefined, undefined, { maxContext: 512 });
      adapters.push(...(await adapterBench(rt, Array.from({ length: PROMPT }, (_, i) => (i * 37 + 5) % 300), o.quick, log)));
      rt.unload();
      continue;
    }
    const ids = Array.from({ length: PROMPT }, (_, i) => (i * 37 + 5) % 300);
    /** prefill and decode tokens/s with the weights in `weights`; decode reads the logits back, greedy the argmax's 4 bytes */
    const timeOurs = async (weights: WeightDtype) => {
      await rt.load(m.files, undefined, undefined, { maxContext: 512, weights });
      const model = rt.model!;
      await model.forward(ids.slice(0, 4)); // warm up prefill and decode
      await model.forward([1]);
      await model.forwardArgmax([2]);
      model.reset();
      let t0 = performance.now();
      await model.forward(ids);
      const prefill = PROMPT / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      for (let i = 0; i < DECODE; i++) await model.forward([ids[i]]);
      const decode = DECODE / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      for (let i = 0; i < DECODE; i++) await model.forwardArgmax([ids[i]]);
      const greedy = DECODE / ((performance.now() - t0) / 1000);
      // greedy with each step queued before the last id is read (what generate() does)
      t0 = performance.now();
      let pending = model.greedyStep([ids[0]]);
      for (let i = 1; i < DECODE; i++) {
        const ahead = model.greedyStep(null);
        await pending;
        pending = ahead;
      }
      await pending;
      const queued = DECODE / ((performance.now() - t0) / 1000);
      return { prefill, decode, greedy, queued, dispatches: model.decodeDispatches, gpuBytes: rt.summary!.gpuBytes, format: rt.summary!.weightFormat };
    };
    const f16 = await timeOurs('f16');
    const oursPrefill = f16.prefill, oursDecode = f16.decode, dispatches = f16.dispatches;
    const head: Row = { model: m.name, prompt_tokens: PROMPT, decode_tokens: DECODE, dispatches_per_token: dispatches, weights: f16.format, gpu_mib_f16: +(f16.gpuBytes / 2 ** 20).toFixed(1) };
    // the group-wise integer forms (src/model/quant.ts): a quarter and a sixth of f32's bytes, dequantised in the kernels
    const quantised: Row = {};
    for (const q of ['q8', 'q4'] as const) {
      const r = await timeOurs(q);
      Object.assign(quantised, {
        [`gpu_mib_${q}`]: +(r.gpuBytes / 2 ** 20).toFixed(1),
        [`ours_prefill_tok_s_${q}`]: +r.prefill.toFixed(2),
        [`ours_decode_tok_s_${q}`]: +r.decode.toFixed(2),
        [`ours_greedy_decode_tok_s_${q}`]: +r.greedy.toFixed(2),
        [`${q}_decode_speedup_vs_f16`]: +(r.decode / f16.decode).toFixed(2),
      });
    }
    if (m.oursOnly) {
      rt.unload();
      models.push({
        ...head,
        ...quantised,
        ours_prefill_tok_s: +oursPrefill.toFixed(2),
        ours_decode_tok_s: +oursDecode.toFixed(2),
        ours_greedy_decode_tok_s: +f16.greedy.toFixed(2),
        ours_greedy_queued_decode_tok_s: +f16.queued.toFixed(2),
      });
      log(JSON.stringify(models.at(-1)));
      continue;
    }
    if (m.adapters) adapters.push(...(await adapterBench(rt, ids, o.quick, log)));
    const f32 = await timeOurs('f32');
    rt.unload();

    const peer = new TfjsLlama(tf, await m.files.readText('config.json'), await m.files.readBytes('model.safetensors'), PROMPT + 2 * DECODE);
    await peer.forward(ids); // warm up with the timed shapes: tfjs compiles per shape
    await peer.forward([1]);
    await peer.forward([2]);
    await peer.forwardArgmax([3]);
    peer.reset();
    let t0 = performance.now();
    await peer.forward(ids);
    const tfPrefill = PROMPT / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < DECODE; i++) await peer.forward([ids[i]]);
    const tfDecode = DECODE / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < DECODE; i++) await peer.forwardArgmax([ids[i]]);
    const tfGreedy = DECODE / ((performance.now() - t0) / 1000);
    peer.dispose();
    // transformers.js, the same prompt: prefill = generate 1 token; decode = the extra time of DECODE more, per token
    const tjs: Row = {};
    let bestTjs = 0;
    for (const load of m.transformersJs ?? []) {
      const p = await load();
      try {
        // warm up with every shape timed: onnxruntime-web compiles a kernel per input shape on first use
        await p.generate(ids, 1 + DECODE);
        let t0 = performance.now();
        await p.generate(ids, 1);
        const one = (performance.now() - t0) / 1000;
        t0 = performance.now();
        const got = await p.generate(ids, 1 + DECODE);
        const more = (performance.now() - t0) / 1000;
        if (more <= one) throw new Error(`${p.label}: ${1 + DECODE} tokens took ${more.toFixed(3)} s, no longer than 1 token (${one.toFixed(3)} s): the timing is not usable`);
        const decode = DECODE / (more - one);
        const kind = p.label.includes('fused') ? 'fused' : 'standard';
        Object.assign(tjs, { [`transformersjs_${kind}_prefill_tok_s`]: +(PROMPT / one).toFixed(2), [`transformersjs_${kind}_decode_tok_s`]: +decode.toFixed(2), [`transformersjs_${kind}_tokens`]: got.length });
        bestTjs = Math.max(bestTjs, decode);
        log(`${p.label}: prefill ${(PROMPT / one).toFixed(2)} tok/s, decode ${decode.toFixed(2)} tok/s`);
      } finally {
        await p.dispose();
      }
    }
    if (bestTjs > 0) Object.assign(tjs, { decode_ratio_vs_transformersjs: +(oursDecode / bestTjs).toFixed(2), greedy_decode_ratio_vs_transformersjs: +(f16.greedy / bestTjs).toFixed(2) });
    models.push({
      ...head,
      gpu_mib_f32: +(f32.gpuBytes / 2 ** 20).toFixed(1),
      ours_prefill_tok_s: +oursPrefill.toFixed(2),
      ours_prefill_tok_s_f32: +f32.prefill.toFixed(2),
      tfjs_prefill_tok_s: +tfPrefill.toFixed(2),
      prefill_ratio: +(oursPrefill / tfPrefill).toFixed(2),
      ours_decode_tok_s: +oursDecode.toFixed(2),
      ours_decode_tok_s_f32: +f32.decode.toFixed(2),
      f16_decode_speedup: +(f16.decode / f32.decode).toFixed(2),
      /** greedy decoding with the argmax on the GPU: 4 bytes read back per token instead of the logits */
      ours_greedy_decode_tok_s: +f16.greedy.toFixed(2),
      /** the same, each step queued before the last one's id is read back (generate() does this) */
      ours_greedy_queued_decode_tok_s: +f16.queued.toFixed(2),
      tfjs_decode_tok_s: +tfDecode.toFixed(2),
      decode_ratio: +(oursDecode / tfDecode).toFixed(2),
      tfjs_greedy_decode_tok_s: +tfGreedy.toFixed(2),
      greedy_decode_ratio: +(f16.greedy / tfGreedy).toFixed(2),
      ...quantised,
      ...tjs,
    });
    log(JSON.stringify(models.at(-1)));
  }
  const training = o.train && !o.adaptersOnly ? await trainBench(rt, tf, o.train, o.quick, log) : [];
  const report = { date: new Date().toISOString(), runtime: o.runtime, adapter: rt.info, variants: rt.variants, kernels, models, adapters, training };
  rt.destroy();
  return report;
}

/**
 * Decode (and prefill) with Zhyper (r = 8, q and v) and CUMA (N = 8, k = 2, r = 8, q and v), fused and
 * unfused (separate base, lora_down and lora_up dispatches), against the plain backbone. The configurations
 * take turns within each round so that drift in the machine's speed hits them all alike; each reports its
 * median over the rounds.
 */
async function adapterBench(rt: Runtime, ids: number[], quick: boolean, log: (s: string) => void): Promise<Row[]> {
  const model = rt.model!;
  const dims = rt.dims();
  const zh = () => createAdapter(defaultSpec('zhyper', 512), dims, 1, 'random');
  const cu = () => createAdapter(defaultSpec('cuma', 512), dims, 2, 'random');
  const configs: { name: string; make: () => ReturnType<typeof zh> | null; path: AdapterPath }[] = [
    { name: 'backbone', make: () => null, path: 'fused' },
    ...(['fused', 'split', 'unfused'] as const).flatMap((path) => [
      { name: `Zhyper diag r=8 q,v (${path})`, make: zh, path },
      { name: `CUMA N=8 k=2 r=8 q,v (${path})`, make: cu, path },
    ]),
  ];

  const made = configs.map((c) => c.make());
  const cond = lcg(512, 0.05, 7);
  const rounds = quick ? 1 : 3, DECODE = quick ? 4 : 8, PRE = ids.length;
  const decode: number[][] = configs.map(() => []);
  const prefill: number[][] = configs.map(() => []);
  const dispatches: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < configs.length; i++) {
      const ad = rt.attachAdapter(made[i], { path: configs[i].path });
      ad?.setCondition(cond);
      dispatches[i] = model.decodeDispatches;
      await model.forward(ids.slice(0, 4)); // warm up this configuration's pipelines
      await model.forward([1]);
      model.reset();
      let t0 = performance.now();
      await model.forward(ids);
      prefill[i].push(PRE / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      for (let j = 0; j < DECODE; j++) await model.forward([ids[j]]);
      decode[i].push(DECODE / ((performance.now() - t0) / 1000));
    }
  }
  rt.attachAdapter(null);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = { d: median(decode[0]), p: median(prefill[0]) };
  return configs.map((c, i) => {
    const d = median(decode[i]), p = median(prefill[i]);
    const row: Row = {
      config: c.name,
      dispatches_per_token: dispatches[i],
      decode_tok_s: +d.toFixed(3),
      // time per token relative to the backbone's (the bar: Zhyper <= 1.10, CUMA <= 1.25)
      decode_cost_vs_backbone: +(base.d / d).toFixed(3),
      prefill_tok_s: +p.toFixed(2),
      prefill_cost_vs_backbone: +(base.p / p).toFixed(3),
      rounds,
    };
    log(JSON.stringify(row));
    return row;
  });
}
