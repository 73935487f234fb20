import { describe, it, expect } from 'vitest';
import { EmbeddingCache, lazyEncoder, readEmbeddingFile, withCache, writeEmbeddingFile } from '../../src/condition/cache';
import { writeSafetensors } from '../../src/model/safetensors';
import { cosine, rankBySimilarity } from '../../src/condition/similarity';
import type { ConditionEncoder } from '../../src/condition/encoder';

/** An encoder that records what reaches it; the vector encodes the text's length and first char. */
function counting(id: string): ConditionEncoder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id,
    dim: 2,
    calls,
    async embed(texts) {
      calls.push([...texts]);
      return texts.map((t) => Float32Array.of(t.length, t.charCodeAt(0) || 0));
    },
  };
}

describe('cosine', () => {
  it('is 1 for parallel, -1 for opposite, 0 for orthogonal or zero vectors', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-3, 0])).toBeCloseTo(-1, 12);
    expect(cosine([1, 0], [0, 5])).toBe(0);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(cosine(Float32Array.of(3, 4), [4, 3])).toBeCloseTo(24 / 25, 6);
    expect(() => cosine([1], [1, 2])).toThrow(/different lengths/);
  });

  it('ranks candidates by similarity', () => {
    expect(rankBySimilarity([1, 0], [[0, 1], [1, 0.1], [-1, 0], [1, 1]])).toEqual([1, 3, 0, 2]);
  });
});

describe('embedding cache', () => {
  it('embeds each new text once, keyed by encoder id and text', async () => {
    const cache = new EmbeddingCache();
    const a = counting('enc-a');
    const ca = withCache(a, cache);
    expect(ca.id).toBe('enc-a');
    expect(ca.dim).toBe(2);
    const first = await ca.embed(['x', 'yy', 'x']);
    expect(a.calls).toEqual([['x', 'yy']]);
    expect(first.map((v) => Array.from(v))).toEqual([[1, 120], [2, 121], [1, 120]]);
    await ca.embed(['yy', 'zzz']);
    expect(a.calls).toEqual([['x', 'yy'], ['zzz']]);
    expect(cache.size).toBe(3);
    // another encoder's vectors for the same text are a different space
    const b = counting('enc-b');
    await withCache(b, cache).embed(['x']);
    expect(b.calls).toEqual([['x']]);
    expect(cache.size).toBe(4);
  });

  it('hands out copies, so a caller cannot corrupt the cache', async () => {
    const a = counting('enc');
    const ca = withCache(a);
    const [v] = await ca.embed(['hello']);
    v[0] = 999;
    expect(Array.from((await ca.embed(['hello']))[0])).toEqual([5, 104]);
    expect(a.calls.length).toBe(1);
  });

  it('drops the least recently used entries beyond its size, even within one batch', async () => {
    const cache = new EmbeddingCache(2);
    const a = counting('enc');
    const ca = withCache(a, cache);
    await ca.embed(['a', 'b']);
    await ca.embed(['a']); // 'a' is now the most recent
    await ca.embed(['c']); // evicts 'b'
    expect(cache.get('enc', 'b')).toBeUndefined();
    expect(cache.get('enc', 'a')).toBeDefined();
    const out = await ca.embed(['p', 'q', 'r', 's']);
    expect(out.map((v) => v[1])).toEqual([112, 113, 114, 115]);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});

describe('embeddings file and lazy encoder', () => {
  it('round-trips texts (unicode, commas, quotes) and vectors through safetensors', () => {
    const vectors = new Map([
      ['Country: Japan, age 34 — "quoted"', Float32Array.of(0.5, -1, 2)],
      ['Ünïcödé ✓', Float32Array.of(3, 4, 5)],
    ]);
    const back = readEmbeddingFile(writeEmbeddingFile({ encoderId: 'enc-a', dim: 3, vectors }));
    expect(back.encoderId).toBe('enc-a');
    expect(back.dim).toBe(3);
    expect([...back.vectors.keys()]).toEqual([...vectors.keys()]);
    expect([...back.vectors.get('Ünïcödé ✓')!]).toEqual([3, 4, 5]);
    expect([...back.vectors.get('Country: Japan, age 34 — "quoted"')!]).toEqual([0.5, -1, 2]);
  });

  it('refuses files that are not embeddings files, and vectors of the wrong length', () => {
    const noTexts = writeSafetensors({ embeddings: { shape: [1, 2], data: Float32Array.of(1, 2) } }, { encoder: 'e' });
    expect(() => readEmbeddingFile(noTexts, 'x.safetensors')).toThrow(/x.safetensors: metadata "texts" must be a JSON list of 1 strings/);
    const noEncoder = writeSafetensors({ embeddings: { shape: [1, 2], data: Float32Array.of(1, 2) } }, { texts: '["a"]' });
    expect(() => readEmbeddingFile(noEncoder)).toThrow(/not an embeddings file/);
    expect(() => writeEmbeddingFile({ encoderId: 'e', dim: 3, vectors: new Map([['a', Float32Array.of(1)]]) })).toThrow(/has 1 numbers, the encoder 3/);
  });

  it('a full cache in front of a lazy encoder never creates the model; a miss creates it once', async () => {
    let created = 0;
    const inner = counting('enc');
    const lazy = lazyEncoder('enc', 2, async () => {
      created++;
      return inner;
    });
    const cache = new EmbeddingCache(Infinity);
    cache.set('enc', 'known', Float32Array.of(9, 9));
    const enc = withCache(lazy, cache);
    expect([...(await enc.embed(['known']))[0]]).toEqual([9, 9]);
    expect(created).toBe(0);
    await enc.embed(['new one', 'known']);
    await enc.embed(['another']);
    expect(created).toBe(1);
    expect(inner.calls).toEqual([['new one'], ['another']]);
    expect([...cache.entries('enc').keys()].sort()).toEqual(['another', 'known', 'new one']);
    expect(cache.entries('other').size).toBe(0);
  });

  it('a lazy encoder whose model turns out different fails instead of mixing vector spaces', async () => {
    const lazy = lazyEncoder('enc', 3, async () => counting('enc'));
    await expect(lazy.embed(['a'])).rejects.toThrow(/expected enc \(3-d\), the model is enc \(2-d\)/);
  });
});
