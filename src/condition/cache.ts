// Embeddings keyed by (encoder id, text). A profile is re-embedded every time the UI or an
// evaluation touches it, and a hub encoder takes tens to hundreds of ms per text.
import type { ConditionEncoder } from './encoder';
import { parseSafetensors, tensorToF32, writeSafetensors } from '../model/safetensors';

export class EmbeddingCache {
  private readonly map = new Map<string, Float32Array>();

  /** @param maxEntries oldest-used entries are dropped beyond this */
  constructor(readonly maxEntries = 10_000) {}

  private static key(encoderId: string, text: string): string {
    // NUL cannot occur in an encoder id, so (id, text) pairs map to distinct keys
    return `${encoderId}\u0000${text}`;
  }

  get(encoderId: string, text: string): Float32Array | undefined {
    const k = EmbeddingCache.key(encoderId, text);
    const v = this.map.get(k);
    if (v) {
      // re-insert: Map keeps insertion order, so the first key is always the least recently used
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }

  set(encoderId: string, text: string, v: Float32Array): void {
    const k = EmbeddingCache.key(encoderId, text);
    this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }

  /** Every (text, vector) of one encoder, least recently used first. */
  entries(encoderId: string): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    const prefix = `${encoderId}\u0000`;
    for (const [k, v] of this.map) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * The encoder with a cache in front: only texts not seen before (each once, however often it
 * appears in the batch) reach the model. Callers get copies, so changing a returned vector
 * cannot change what the cache hands out later.
 */
export function withCache(encoder: ConditionEncoder, cache = new EmbeddingCache()): ConditionEncoder {
  return {
    id: encoder.id,
    dim: encoder.dim,
    async embed(texts) {
      // Vectors are collected here rather than re-read from the cache at the end: a batch larger
      // than maxEntries would evict its own first texts.
      const found = new Map<string, Float32Array>();
      const missing = new Set<string>();
      for (const t of texts) {
        if (found.has(t) || missing.has(t)) continue;
        const v = cache.get(encoder.id, t);
        if (v) found.set(t, v);
        else missing.add(t);
      }
      if (missing.size) {
        const list = [...missing];
        const vs = await encoder.embed(list);
        list.forEach((t, i) => {
          found.set(t, vs[i]);
          cache.set(encoder.id, t, vs[i]);
        });
      }
      return texts.map((t) => found.get(t)!.slice());
    },
    dispose: encoder.dispose?.bind(encoder),
  };
}

/**
 * An encoder whose model is created at the first text it has to embed: with a full cache in front
 * (`withCache`), a run that only re-reads known profiles never loads the model's files at all.
 */
export function lazyEncoder(id: string, dim: number, create: () => Promise<ConditionEncoder>): ConditionEncoder {
  let inner: Promise<ConditionEncoder> | null = null;
  return {
    id,
    dim,
    async embed(texts) {
      inner ??= create().then((e) => {
        if (e.id !== id || e.dim !== dim) throw new Error(`lazyEncoder: expected ${id} (${dim}-d), the model is ${e.id} (${e.dim}-d)`);
        return e;
      });
      return (await inner).embed(texts);
    },
    dispose() {
      void inner?.then((e) => e.dispose?.(), () => undefined);
    },
  };
}

/** The vectors of one encoder, keyed by text, as a safetensors file can hold them. */
export interface EmbeddingFile {
  encoderId: string;
  dim: number;
  vectors: Map<string, Float32Array>;
}

/**
 * A safetensors file with one tensor `embeddings` [n, dim] and the n texts (JSON) and the encoder id in
 * its metadata: the experiment CLI keeps a run's condition embeddings in one, so a rerun (or a machine
 * without the encoder's model files) embeds nothing.
 */
export function writeEmbeddingFile(f: EmbeddingFile): Uint8Array {
  const texts = [...f.vectors.keys()];
  const data = new Float32Array(texts.length * f.dim);
  texts.forEach((t, i) => {
    const v = f.vectors.get(t)!;
    if (v.length !== f.dim) throw new Error(`writeEmbeddingFile: "${t.slice(0, 40)}" has ${v.length} numbers, the encoder ${f.dim}`);
    data.set(v, i * f.dim);
  });
  return writeSafetensors({ embeddings: { shape: [texts.length, f.dim], data } }, { encoder: f.encoderId, texts: JSON.stringify(texts) });
}

export function readEmbeddingFile(bytes: Uint8Array, file = 'embeddings.safetensors'): EmbeddingFile {
  const st = parseSafetensors(bytes, file);
  const encoderId = st.metadata.encoder;
  const t = st.tensors.get('embeddings');
  if (!encoderId || !t || t.shape.length !== 2) throw new Error(`${file}: not an embeddings file (needs metadata "encoder" and "texts" and one tensor "embeddings" [n, dim])`);
  let texts: unknown;
  try {
    texts = JSON.parse(st.metadata.texts ?? '');
  } catch {
    texts = null;
  }
  const [n, dim] = t.shape;
  if (!Array.isArray(texts) || texts.length !== n || !texts.every((x) => typeof x === 'string')) throw new Error(`${file}: metadata "texts" must be a JSON list of ${n} strings`);
  const data = tensorToF32(st, t);
  const vectors = new Map<string, Float32Array>();
  (texts as string[]).forEach((s, i) => vectors.set(s, data.slice(i * dim, (i + 1) * dim)));
  return { encoderId, dim, vectors };
}
