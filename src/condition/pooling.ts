// Pooling of token states into one vector per text, in f32 whatever the model's output type.
// transformers.js pools in the output's own typed array, which for fp16 exports in Node (no
// Float16Array) is a Uint16Array of raw bits: mean and normalize come out as garbage. Its
// last_token also takes the last column of the padded batch, a pad for shorter texts.

export type Pooling = 'cls' | 'mean' | 'last_token';

/**
 * @param hidden row-major [batch, seq, dim]
 * @param mask row-major [batch, seq], 1 for real tokens (either padding side)
 */
export function pool(hidden: Float32Array, mask: ArrayLike<number | bigint>, batch: number, seq: number, dim: number, pooling: Pooling): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const row = (t: number) => hidden.subarray((b * seq + t) * dim, (b * seq + t + 1) * dim);
    const real = (t: number) => Number(mask[b * seq + t]) !== 0;
    const v = new Float32Array(dim);
    if (pooling === 'cls') {
      v.set(row(0));
    } else if (pooling === 'last_token') {
      let t = seq - 1;
      while (t > 0 && !real(t)) t--;
      v.set(row(t));
    } else {
      let n = 0;
      for (let t = 0; t < seq; t++) {
        if (!real(t)) continue;
        const r = row(t);
        for (let d = 0; d < dim; d++) v[d] += r[d];
        n++;
      }
      // clamp as sentence-transformers does, so an all-padding row stays zero instead of NaN
      const inv = 1 / Math.max(n, 1e-9);
      for (let d = 0; d < dim; d++) v[d] *= inv;
    }
    out.push(v);
  }
  return out;
}

/** In place to unit L2 length; a zero vector stays zero. */
export function normalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
