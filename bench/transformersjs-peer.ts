// The peer most people would pick to run a Llama in a browser: transformers.js (onnxruntime-web, on WebGPU in the
// page), loading our model's ONNX export (bench/onnx-llama.ts) the way its documentation shows, and timed through
// its own generate(): greedy, its KV cache kept where transformers.js keeps it (on the GPU with WebGPU).
import { AutoModelForCausalLM, env, Tensor, type PreTrainedModel } from '@huggingface/transformers';

export interface TransformersJsPeer {
  /** what it ran on: the graph and the onnxruntime device */
  label: string;
  /** generate n tokens greedily after ids (n = 1: the prefill and one pick) */
  generate(ids: number[], n: number): Promise<number[]>;
  dispose(): Promise<void>;
}

/** transformers.js with models from `root` (a folder, or a path on this page's origin), offline */
export async function loadTransformersJs(root: string, name: string, device: 'webgpu' | 'cpu'): Promise<TransformersJsPeer> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root.endsWith('/') ? root : root + '/';
  // the bundled onnxruntime .wasm (Vite serves it), not the CDN transformers.js points at: no network here
  const wasm = env.backends.onnx.wasm;
  const paths = wasm?.wasmPaths;
  const url = typeof paths === 'string' ? paths : paths?.wasm;
  if (wasm && typeof url === 'string' && url.startsWith('https://')) wasm.wasmPaths = undefined;
  const model = (await AutoModelForCausalLM.from_pretrained(name, { local_files_only: true, dtype: 'fp32', device })) as PreTrainedModel;
  const ids64 = (ids: number[]) => new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  return {
    label: `transformers.js ${name} (${device})`,
    async generate(ids, n) {
      const out = (await model.generate({ input_ids: ids64(ids), attention_mask: ids64(ids.map(() => 1)), max_new_tokens: n, min_new_tokens: n, do_sample: false })) as Tensor;
      return Array.from(out.data as BigInt64Array, Number).slice(ids.length);
    },
    async dispose() {
      await model.dispose();
    },
  };
}
