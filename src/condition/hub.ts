// Sentence encoders from the Hugging Face hub (or a local folder laid out like a hub repo), run by
// transformers.js's feature-extraction pipeline with the pooling each model was trained for.
import { env, pipeline, type DataType, type DeviceType, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { ConditionEncoder } from './encoder';
import { normalizeInPlace, pool, type Pooling } from './pooling';
import { inNode } from './runtime';

export type { Pooling };

export interface PoolingRule {
  pattern: RegExp;
  pooling: Pooling;
  normalize: boolean;
}

/**
 * How each family's model card pools, first match wins. Using another model's pooling does not fail,
 * it silently gives a worse space, so the table is keyed by id rather than left to the caller.
 * CUMA's released code pools Qwen3-Embedding by mean; `{ pooling: 'mean' }` reproduces that.
 */
export const POOLING_RULES: readonly PoolingRule[] = [
  // decoder-only embedders read the final (EOS) token, which has attended to the whole text
  { pattern: /Qwen3-Embedding|gte-Qwen/i, pooling: 'last_token', normalize: true },
  // gte v1.5 and multilingual: [CLS]
  { pattern: /gte-(base|large)-en-v1\.5|gte-multilingual/i, pooling: 'cls', normalize: true },
  { pattern: /bge-/i, pooling: 'cls', normalize: true },
  // sentence-transformers models (MiniLM, mpnet) and thenlper's original gte: mean over real tokens
  { pattern: /MiniLM|mpnet|sentence-transformers\/|thenlper\/gte-/i, pooling: 'mean', normalize: true },
];
const FALLBACK: Omit<PoolingRule, 'pattern'> = { pooling: 'mean', normalize: true };

export function poolingFor(modelId: string): { pooling: Pooling; normalize: boolean } {
  const r = POOLING_RULES.find((rule) => rule.pattern.test(modelId)) ?? FALLBACK;
  return { pooling: r.pooling, normalize: r.normalize };
}

export interface HubEncoderOptions {
  pooling?: Pooling;
  normalize?: boolean;
  /**
   * a folder (Node) or a path on the app's origin (browser) holding
   * `<modelId>/config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx`
   */
  localModelPath?: string;
  /** fetch from the hub when the model is not found locally (default true) */
  allowRemote?: boolean;
  /** which ONNX file: 'fp32' → onnx/model.onnx, 'q8' → onnx/model_quantized.onnx, … */
  dtype?: DataType;
  device?: DeviceType;
}

/**
 * In the browser transformers.js points onnxruntime-web at its .wasm on a CDN; the app's build
 * already carries the same file (Vite emits the asset onnxruntime-web references), and without a
 * path set onnxruntime loads that one, so models run with no third-party host and offline.
 * Paths someone set on purpose are left alone.
 */
function useBundledOrtWasm(): void {
  const wasm = env.backends.onnx.wasm;
  if (inNode()) return;
  const paths = wasm?.wasmPaths;
  const url = typeof paths === 'string' ? paths : paths?.wasm;
  if (wasm && typeof url === 'string' && url.startsWith('https://cdn.jsdelivr.net/npm/onnxruntime-web@')) wasm.wasmPaths = undefined;
}

/**
 * transformers.js only checks that a local file exists (and so whether a model has a tokenizer at
 * all) when localModelPath is a path, not a full URL: with a URL it silently builds a pipeline with
 * no tokenizer. A same-origin URL becomes its path; another origin can't be a local path.
 */
function browserLocalPath(path: string): string {
  if (inNode() || !/^https?:/i.test(path)) return path;
  const url = new URL(path);
  if (url.origin !== self.location.origin) {
    throw new Error(`localModelPath ${path} is on another origin; in the browser it must be a path on this app's origin`);
  }
  return url.pathname;
}

/**
 * A hub encoder, loaded. transformers.js keeps model locations in its global `env`, so creating
 * an encoder sets env.allowRemoteModels (and, with localModelPath, env.localModelPath and
 * env.allowLocalModels) for every later load too; create encoders one at a time.
 */
export async function createHubEncoder(modelId: string, opts: HubEncoderOptions = {}): Promise<ConditionEncoder> {
  const rule = poolingFor(modelId);
  const pooling = opts.pooling ?? rule.pooling;
  const normalize = opts.normalize ?? rule.normalize;
  const allowRemote = opts.allowRemote ?? true;
  env.allowRemoteModels = allowRemote;
  useBundledOrtWasm();
  if (opts.localModelPath !== undefined) {
    env.localModelPath = browserLocalPath(opts.localModelPath);
    env.allowLocalModels = true;
  }
  const extractor: FeatureExtractionPipeline = await pipeline('feature-extraction', modelId, {
    dtype: opts.dtype,
    device: opts.device,
    local_files_only: !allowRemote,
  });

  // The pipeline runs tokenizer and model; pooling is ours (pooling.ts says why). The mask comes
  // from the same tokenizer call with the same options the pipeline makes, so it lines up.
  const run = async (texts: string[]): Promise<Float32Array[]> => {
    const raw = await extractor(texts, { pooling: 'none' });
    const hidden = raw.type === 'float32' ? raw : raw.to('float32');
    try {
      const data = hidden.data as Float32Array;
      let vs: Float32Array[];
      if (hidden.dims.length === 2) {
        // an export whose output is already one vector per text
        const [rows, dim] = hidden.dims;
        vs = Array.from({ length: rows }, (_, i) => data.slice(i * dim, (i + 1) * dim));
      } else {
        const [batch, seq, dim] = hidden.dims;
        const { attention_mask } = extractor.tokenizer(texts, { padding: true, truncation: true });
        if (attention_mask.dims[1] !== seq) throw new Error(`${modelId}: ${seq} token states for ${attention_mask.dims[1]} tokens`);
        vs = pool(data, attention_mask.data as ArrayLike<bigint>, batch, seq, dim, pooling);
      }
      return normalize ? vs.map(normalizeInPlace) : vs;
    } finally {
      hidden.dispose();
      if (hidden !== raw) raw.dispose();
    }
  };

  const config = extractor.model.config as unknown as { hidden_size?: number };
  const dim = typeof config.hidden_size === 'number' ? config.hidden_size : (await run(['probe']))[0].length;

  // The id names everything that changes the vectors, so a cache keyed by it never mixes spaces.
  const variant = [
    pooling !== rule.pooling || normalize !== rule.normalize ? `${pooling}${normalize ? '+norm' : ''}` : '',
    opts.dtype ?? '',
  ].filter(Boolean);
  return {
    id: variant.length ? `${modelId}#${variant.join(',')}` : modelId,
    dim,
    embed: async (texts) => (texts.length === 0 ? [] : run(texts)),
    dispose() {
      void extractor.dispose();
    },
  };
}
