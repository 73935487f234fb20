// npm run bench: our kernels and whole-model prefill/decode against tfjs on its webgpu backend, on the
// same adapter in the same run. On CPU-emulated WebGPU only the ratios mean anything.
// Writes bench/results/<date>-node.json with the adapter's info.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { Kernels, stepBuffer, writeStep, type Dispatch } from '../src/gpu/kernels';
import { storage } from '../src/gpu/buffers';
import { Runtime } from '../src/model/runtime';
import { dirSource } from '../src/model/sources-node';
import { writeSafetensors, type WriteTensor } from '../src/model/safetensors';
import { makeTokenizer } from '../scripts/make-test-models';
import { TfjsLlama } from './tfjs-llama';

const QUICK = process.argv.includes('--quick');
const gpu = nodeGPU();
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend did not start');

const rt = await Runtime.create(gpu, loadShaderLibrary());
const dev = rt.device;
const k = new Kernels(dev, loadShaderLibrary());
console.log(`adapter: ${rt.info.vendor} ${rt.info.architecture} ${rt.info.description}`);

function rand(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

async function timeOps(ops: Dispatch[], T: number, reps: number): Promise<number> {
  k.run(ops, T);
  await dev.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) k.run(ops, T);
  await dev.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / 1000 / reps;
}

async function timeTf(fn: () => import('@tensorflow/tfjs').Tensor, reps: number): Promise<number> {
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
}

// SmolLM2-135M's shapes: hidden 576, 30 layers, 9 heads / 3 kv heads of 64, intermediate 1536, vocab 49152.
const SMOL = { hidden: 576, layers: 30, heads: 9, kvHeads: 3, headDim: 64, intermediate: 1536, vocab: 49152 };
const kernelRows: Record<string, number | string>[] = [];
const step = stepBuffer(dev);
const shapes: [string, number, number][] = [
  ['qkv', 576 + 2 * 192, 576],
  ['o_proj', 576, 576],
  ['gate/up', 1536, 576],
  ['down', 576, 1536],
  ['lm_head', 49152, 576],
];
for (const [name, N, K] of shapes) {
  for (const T of [1, 64]) {
    if (name === 'lm_head' && T > 1) continue; // only the last position goes through lm_head
    const X = storage(dev, rand(T * K, 1, 1)), W = storage(dev, rand(N * K, 0.05, 2)), Y = storage(dev, T * N);
    writeStep(dev, step, T, 0);
    const op = T === 1 ? k.matvec({ N, K, x: X, W, y: Y }) : k.matmul(step, { N, K, x: X, W, y: Y });
    const reps = QUICK ? 2 : 5;
    const ours = await timeOps([op], T, reps);
    const xt = tf.randomNormal([T, K]), wt = tf.randomNormal([N, K]);
    const peer = await timeTf(() => tf.matMul(xt, wt, false, true), reps);
    xt.dispose(); wt.dispose(); X.destroy(); W.destroy(); Y.destroy();
    const flops = 2 * T * N * K, bytes = 4 * (N * K + T * K + T * N);
    kernelRows.push({
      kernel: T === 1 ? 'matvec' : 'matmul', shape: `${name} T=${T} N=${N} K=${K}`,
      ours_gflops: +(flops / ours / 1e9).toFixed(3), ours_gbps: +(bytes / ours / 1e9).toFixed(3),
      tfjs_gflops: +(flops / peer / 1e9).toFixed(3), ratio_vs_tfjs: +(peer / ours).toFixed(2),
    });
    console.log(JSON.stringify(kernelRows[kernelRows.length - 1]));
  }
}

function writeSmolShaped(dir: string) {
  mkdirSync(dir, { recursive: true });
  const tok = makeTokenizer();
  const H = SMOL.hidden, D = SMOL.headDim, I = SMOL.intermediate;
  const t: Record<string, WriteTensor> = {};
  let seed = 7;
  const m = (r: number, c: number, s = 0.04): WriteTensor => ({ shape: [r, c], data: rand(r * c, s, seed++) });
  const v = (n: number): WriteTensor => ({ shape: [n], data: Float32Array.from(rand(n, 0.1, seed++), (x) => 1 + x) });
  t['model.embed_tokens.weight'] = m(SMOL.vocab, H, 0.5);
  for (let l = 0; l < SMOL.layers; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(t, {
      [p + 'input_layernorm.weight']: v(H),
      [p + 'self_attn.q_proj.weight']: m(SMOL.heads * D, H),
      [p + 'self_attn.k_proj.weight']: m(SMOL.kvHeads * D, H),
      [p + 'self_attn.v_proj.weight']: m(SMOL.kvHeads * D, H),
      [p + 'self_attn.o_proj.weight']: m(H, SMOL.heads * D),
      [p + 'post_attention_layernorm.weight']: v(H),
      [p + 'mlp.gate_proj.weight']: m(I, H),
      [p + 'mlp.up_proj.weight']: m(I, H),
      [p + 'mlp.down_proj.weight']: m(H, I),
    });
  }
  t['model.norm.weight'] = v(H);
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: H, intermediate_size: I,
    num_hidden_layers: SMOL.layers, num_attention_heads: SMOL.heads, num_key_value_heads: SMOL.kvHeads,
    vocab_size: SMOL.vocab, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true, max_position_embeddings: 8192,
    bos_token_id: 0, eos_token_id: 0,
  }));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
}

const tmp = mkdtempSync(join(tmpdir(), 'atlas-bench-'));
const smolDir = join(tmp, 'smol-shaped');
writeSmolShaped(smolDir);
const models: [string, string][] = [['embedded default', 'public/models/default'], ['SmolLM2-135M-shaped (random)', smolDir]];
const modelRows: Record<string, number | string>[] = [];
const PROMPT = QUICK ? 16 : 32, DECODE = QUICK ? 4 : 8;
for (const [name, dir] of models) {
  await rt.load(dirSource(dir), undefined, undefined, { maxContext: 512 });
  const ids = Array.from({ length: PROMPT }, (_, i) => (i * 37 + 5) % 300);
  const m = rt.model!;
  m.reset();
  await m.forward(ids.slice(0, 4)); // warm pipelines
  m.reset();
  let t0 = performance.now();
  await m.forward(ids);
  const oursPrefill = PROMPT / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < DECODE; i++) await m.forward([ids[i]]);
  const oursDecode = DECODE / ((performance.now() - t0) / 1000);
  const dispatches = m.decodeDispatches;
  rt.unload();

  const peer = new TfjsLlama(tf, dir);
  await peer.forward(ids.slice(0, 4));
  peer.reset();
  t0 = performance.now();
  await peer.forward(ids);
  const tfPrefill = PROMPT / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < DECODE; i++) await peer.forward([ids[i]]);
  const tfDecode = DECODE / ((performance.now() - t0) / 1000);
  peer.reset();
  tf.disposeVariables();
  tf.engine().reset();
  await tf.setBackend('webgpu');
  modelRows.push({
    model: name, prompt_tokens: PROMPT, decode_tokens: DECODE, dispatches_per_token: dispatches,
    ours_prefill_tok_s: +oursPrefill.toFixed(2), tfjs_prefill_tok_s: +tfPrefill.toFixed(2), prefill_ratio: +(oursPrefill / tfPrefill).toFixed(2),
    ours_decode_tok_s: +oursDecode.toFixed(2), tfjs_decode_tok_s: +tfDecode.toFixed(2), decode_ratio: +(oursDecode / tfDecode).toFixed(2),
  });
  console.log(JSON.stringify(modelRows[modelRows.length - 1]));
}

console.log('\nkernels (ratio = tfjs time / our time, >1 means we are faster):');
console.table(kernelRows);
console.log('models:');
console.table(modelRows);
mkdirSync('bench/results', { recursive: true });
const date = new Date().toISOString();
const file = join('bench/results', `${date.slice(0, 19).replace(/[:T]/g, '-')}-node.json`);
writeFileSync(file, JSON.stringify({ date, runtime: 'node (webgpu/Dawn)', adapter: rt.info, kernels: kernelRows, models: modelRows }, null, 2));
console.log(`wrote ${file}`);
rt.destroy();
process.exit(0);
