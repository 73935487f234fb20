// Condition embeddings kept in a file across runs (Node): the experiment CLI's and train:defaults' --embeddings.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createEncoder, DEFAULT_ENCODER_ID, type ConditionEncoder } from '../condition/encoder';
import { EmbeddingCache, lazyEncoder, readEmbeddingFile, withCache, writeEmbeddingFile } from '../condition/cache';
import { USE_LITE_DIM } from '../condition/use-lite';
import { linearize } from '../condition/profile';
import { generateWorld, type WorldConfig } from '../data';

/**
 * The encoder `id`, behind the vectors of `file` when one is named: read first, the missing ones embedded and
 * written back at dispose(). When the file holds every text asked for, the encoder's model is never loaded.
 */
export async function conditionEncoder(id: string, file: string | undefined): Promise<ConditionEncoder> {
  if (!file) return createEncoder(id);
  const cache = new EmbeddingCache(Infinity);
  let dim = id === DEFAULT_ENCODER_ID ? USE_LITE_DIM : null;
  if (existsSync(file)) {
    const saved = readEmbeddingFile(new Uint8Array(readFileSync(file)), file);
    if (saved.encoderId !== id) throw new Error(`--embeddings ${file} holds ${saved.encoderId} vectors, the run uses ${id}: name another file`);
    dim = saved.dim;
    for (const [t, v] of saved.vectors) cache.set(id, t, v);
  }
  const known = cache.size;
  const inner = dim === null ? await createEncoder(id) : lazyEncoder(id, dim, () => createEncoder(id));
  const cached = withCache(inner, cache);
  return {
    ...cached,
    dispose() {
      if (cache.size > known) {
        writeFileSync(file, writeEmbeddingFile({ encoderId: id, dim: inner.dim, vectors: cache.entries(id) }));
        process.stderr.write(`${file}: ${cache.size} condition embeddings (${cache.size - known} new)\n`);
      }
      inner.dispose?.();
    },
  };
}

/** Embeds every participant's profile of the world: a superset of what any split or sample of it uses. */
export async function embedWorldProfiles(encoder: ConditionEncoder, world: WorldConfig): Promise<number> {
  const texts = [...new Set(generateWorld(world).participants.map((p) => linearize(p.profile)))];
  for (let i = 0; i < texts.length; i += 64) await encoder.embed(texts.slice(i, i + 64));
  return texts.length;
}
