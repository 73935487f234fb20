// npm run bench (Chromium half): the same benchmark in the page, on Chromium's WebGPU adapter.
// bench/chromium.ts serves this page and reads window.__benchResult.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { shaderLibrary } from '../src/gpu/shaders.browser';
import { urlSource } from '../src/model/sources';
import { runBench } from './core';
import { loadTransformersJs } from './transformersjs-peer';

const params = new URLSearchParams(location.search);
const logEl = document.getElementById('log')!;
const log = (s: string) => {
  logEl.textContent += '\n' + s;
  console.log(s);
};
// transformers.js on WebGPU, on each ONNX export bench/chromium.ts wrote (?onnx=<root>)
const onnxRoot = params.get('onnx');
const peers = (model: string) => (onnxRoot ? (['standard', 'fused'] as const).map((kind) => () => loadTransformersJs(onnxRoot, `${model}-${kind}`, 'webgpu')) : []);
const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
(async () => {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend did not start');
  w.__benchResult = await runBench({
    gpu: navigator.gpu,
    shaders: shaderLibrary,
    tf,
    quick: params.has('quick'),
    trainOnly: params.has('train-only'),
    adaptersOnly: params.has('adapters-only'),
    train: params.has('no-train') ? [] : [{ name: 'embedded default', files: urlSource('/models/default', 'embedded default'), batch: 8, minTokens: 40, maxTokens: 60, steps: 3 }],
    runtime: `chromium (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'unknown'})`,
    log,
    models: [
      { name: 'embedded default', files: urlSource('/models/default', 'embedded default'), transformersJs: peers('default') },
      { name: 'SmolLM2-135M-shaped (random)', files: urlSource(params.get('smol') ?? '', 'smol'), adapters: true, transformersJs: peers('smol') },
    ],
  });
})().catch((e: Error) => {
  w.__benchError = e.message;
  log('error: ' + e.message);
});
