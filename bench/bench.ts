// npm run bench (Node half): Dawn through the `webgpu` package; tfjs-webgpu on the same adapter.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { runBench, type BenchReport, type Row } from './core';
import { writeSmolShaped, writeLargeShaped, LARGE_SHAPES } from './smol-model';

export function saveReport(r: BenchReport, tag: string): string {
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `${r.date.slice(0, 19).replace(/[:T]/g, '-')}-${tag}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  const section = (title: string, rows: Row[] | undefined) => {
    if (!rows?.length) return;
    console.log(title);
    console.table(rows);
  };
  console.log(`\n${r.runtime}`);
  section('kernels (ratio_vs_tfjs = tfjs time / our time; > 1 means ours is faster)', r.kernels);
  section('models (ratios > 1 mean ours is faster):', r.models);
  section('adapters (decode_cost_vs_backbone = backbone tok/s ÷ this tok/s; the bar: Zhyper <= 1.10, CUMA <= 1.25):', r.adapters);
  section("training (one LoRA optimizer step; ratio = our processed tokens/s ÷ tfjs-webgpu's, the faster of its two batchings; the bar: >= 2):", r.training);
  console.log(`wrote ${file}`);
  return file;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/bench.ts');
if (isMain) {
  const gpu = nodeGPU();
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend did not start');
  const smol = writeSmolShaped('bench/.cache/smol-shaped');
  const trainOnly = process.argv.includes('--train-only');
  const report = await runBench({
    gpu,
    shaders: loadShaderLibrary(),
    tf,
    quick: process.argv.includes('--quick'),
    adaptersOnly: process.argv.includes('--adapters-only'),
    trainOnly,
    train: process.argv.includes('--no-train')
      ? []
      : [
          { name: 'embedded default', files: dirSource('public/models/default'), batch: 8, minTokens: 40, maxTokens: 60, steps: 5 },
          // minutes per step on a CPU-emulated adapter: only when asked for
          ...(process.argv.includes('--train-smol') ? [{ name: 'SmolLM2-135M-shaped (random)', files: dirSource(smol), batch: 4, minTokens: 40, maxTokens: 60, steps: 2 }] : []),
        ],
    runtime: 'node (Dawn via npm webgpu)',
    log: console.log,
    models: [
      { name: 'embedded default', files: dirSource('public/models/default') },
      { name: 'SmolLM2-135M-shaped (random)', files: dirSource(smol), adapters: true },
      // --large: Qwen2.5-0.5B's and Llama-3.2-1B's shapes too, ours in f16 only (0.5 and 1.2 GB of weights; minutes a
      // token on an emulator, so only when asked for)
      ...(process.argv.includes('--large')
        ? (Object.keys(LARGE_SHAPES) as (keyof typeof LARGE_SHAPES)[]).map((k) => ({ name: LARGE_SHAPES[k].name, files: dirSource(writeLargeShaped(`bench/.cache/${k}-shaped`, k)), oursOnly: true }))
        : []),
    ],
  });
  saveReport(report, process.argv.includes('--adapters-only') ? 'node-adapters' : trainOnly ? 'node-train' : 'node');
  process.exit(0);
}
