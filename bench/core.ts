// The benchmark itself, shared by Node (bench/bench.ts, Dawn) and Chromium (bench/browser.ts):
// our kernels and whole-model prefill/decode against tfjs on its webgpu backend on the same adapter,
// in the same run. On CPU-emulated WebGPU only the ratios mean anything.
import type * as TF from '@tensorflow/tfjs';
import { Kernels, stepBuffer, writeStep, type Dispatch } from '../src/gpu/kernels';
import { storage } from '../src/gpu/buffers';
import type { ShaderLibrary } from '../src/gpu/shaders';
import { Runtime } from '../src/model/runtime';
import type { ModelFiles } from '../src/model/sources';
import { TfjsLlama } from './tfjs-llama';

export interface BenchModel {
  name: string;
  files: ModelFiles;
}

export type Row = Record<string, number | string>;

export interface BenchReport {
  date: string;
  runtime: string;
  adapter: Runtime['info'];
  kernels: Row[];
  models: Row[];
}

/** SmolLM2-135M's shapes: hidden 576, 30 layers, 9 heads / 3 kv heads of 64, intermediate 1536, vocab 49152. */
export const SMOL = { hidden: 576, layers: 30, heads: 9, kvHeads: 3, headDim: 64, intermediate: 1536, vocab: 49152 };

export function lcg(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

export async function runBench(o: {
  gpu: GPU;
  shaders: ShaderLibrary;
  tf: typeof TF;
  models: BenchModel[];
  quick: boolean;
  runtime: string;
  log: (s: string) => void;
}): Promise<BenchReport> {
  const { tf, log } = o;
  const rt = await Runtime.create(o.gpu, o.shaders);
  const dev = rt.device;
  const k = new Kernels(dev, o.shaders);
  log(`adapter: ${rt.info.vendor} ${rt.info.architecture} ${rt.info.description}`);

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
  for (const [name, N, K] of shapes) {
    for (const T of [1, 64]) {
      if (name === 'lm_head' && T > 1) continue; // only the last position goes through lm_head
      const X = storage(dev, lcg(T * K, 1, 1)), W = storage(dev, lcg(N * K, 0.05, 2)), Y = storage(dev, T * N);
      writeStep(dev, step, T, 0);
      const rows = await timeOps(T === 1 ? k.matvec({ N, K, x: X, W, y: Y }) : k.matmul(step, { N, K, x: X, W, y: Y }), T, reps);
      const trans = await timeOps(T === 1 ? k.matvecT({ N, K, x: X, W, y: Y }) : k.matmulT(step, { N, K, x: X, W, y: Y }), T, reps);
      const vec4 = await timeOps(T === 1 ? k.matvecVec4({ N, K, x: X, W, y: Y }) : k.matmulVec4(step, { N, K, x: X, W, y: Y }), T, reps);
      const xt = tf.randomNormal([T, K]), wt = tf.randomNormal([N, K]);
      const peer = await timeTf(() => tf.matMul(xt, wt, false, true), reps);
      xt.dispose();
      wt.dispose();
      X.destroy();
      W.destroy();
      Y.destroy();
      const flops = 2 * T * N * K, bytes = 4 * (N * K + T * K + T * N);
      const best = Math.min(rows, trans, vec4);
      kernels.push({
        kernel: T === 1 ? 'matvec' : 'matmul',
        shape: `${name} T=${T} N=${N} K=${K}`,
        gflops_rows: +(flops / rows / 1e9).toFixed(3),
        gflops_transposed: +(flops / trans / 1e9).toFixed(3),
        gflops_vec4: +(flops / vec4 / 1e9).toFixed(3),
        gbps_best: +(bytes / best / 1e9).toFixed(3),
        tfjs_gflops: +(flops / peer / 1e9).toFixed(3),
        // against the variant the model uses (vec4 whenever K % 4 == 0)
        ratio_vs_tfjs: +(peer / (K % 4 ? rows : vec4)).toFixed(2),
      });
      log(JSON.stringify(kernels.at(-1)));
    }
  }
  step.destroy();

  const models: Row[] = [];
  const PROMPT = o.quick ? 16 : 32, DECODE = o.quick ? 4 : 8;
  for (const m of o.models) {
    await rt.load(m.files, undefined, undefined, { maxContext: 512 });
    const ids = Array.from({ length: PROMPT }, (_, i) => (i * 37 + 5) % 300);
    const model = rt.model!;
    await model.forward(ids.slice(0, 4)); // warm up prefill and decode
    await model.forward([1]);
    await model.forward([2]);
    model.reset();
    let t0 = performance.now();
    await model.forward(ids);
    const oursPrefill = PROMPT / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < DECODE; i++) await model.forward([ids[i]]);
    const oursDecode = DECODE / ((performance.now() - t0) / 1000);
    const dispatches = model.decodeDispatches;
    rt.unload();

    const peer = new TfjsLlama(tf, await m.files.readText('config.json'), await m.files.readBytes('model.safetensors'), PROMPT + DECODE);
    await peer.forward(ids); // warm up with the timed shapes: tfjs compiles per shape
    await peer.forward([1]);
    await peer.forward([2]);
    peer.reset();
    t0 = performance.now();
    await peer.forward(ids);
    const tfPrefill = PROMPT / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let i = 0; i < DECODE; i++) await peer.forward([ids[i]]);
    const tfDecode = DECODE / ((performance.now() - t0) / 1000);
    peer.dispose();
    models.push({
      model: m.name,
      prompt_tokens: PROMPT,
      decode_tokens: DECODE,
      dispatches_per_token: dispatches,
      ours_prefill_tok_s: +oursPrefill.toFixed(2),
      tfjs_prefill_tok_s: +tfPrefill.toFixed(2),
      prefill_ratio: +(oursPrefill / tfPrefill).toFixed(2),
      ours_decode_tok_s: +oursDecode.toFixed(2),
      tfjs_decode_tok_s: +tfDecode.toFixed(2),
      decode_ratio: +(oursDecode / tfDecode).toFixed(2),
    });
    log(JSON.stringify(models.at(-1)));
  }
  const report = { date: new Date().toISOString(), runtime: o.runtime, adapter: rt.info, kernels, models };
  rt.destroy();
  return report;
}
