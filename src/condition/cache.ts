// Embeddings keyed by (encoder id, text). A profile is re-embedded every time the UI or an
// evaluation touches it, and a hub encoder takes tens to hundreds of ms per text.
import type { ConditionEncoder } from './encoder';

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
