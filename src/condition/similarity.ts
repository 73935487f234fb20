/** Cosine similarity; 0 when either vector is all zeros (no direction to compare). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine of vectors of different lengths (${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Indices of `candidates` by decreasing cosine similarity to `query`. */
export function rankBySimilarity(query: ArrayLike<number>, candidates: ArrayLike<number>[]): number[] {
  const sims = candidates.map((c) => cosine(query, c));
  return sims.map((_, i) => i).sort((i, j) => sims[j] - sims[i]);
}
