// Input checks shared by the metrics. Every failure is an Error whose message starts with the
// metric's name, says what was wrong and where (index), so a bad call is easy to trace.

/** A numeric vector: plain array or typed array (e.g. a Float32Array read back from the GPU). */
export type Vec = ArrayLike<number>;

export function fail(fn: string, msg: string): never {
  throw new Error(`${fn}: ${msg}`);
}

/** Every entry finite; returns the values as a plain array. */
export function finiteVector(fn: string, name: string, v: Vec): number[] {
  if (v == null || typeof v.length !== 'number') fail(fn, `${name} is not an array`);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(fn, `${name}[${i}] = ${String(x)} is not a finite number`);
    out[i] = x;
  }
  return out;
}

/** A positive integer (k, K, class counts). */
export function positiveInt(fn: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) fail(fn, `${name} must be a positive integer (got ${String(n)})`);
}

/** Integer labels in [0, numClasses). */
export function labelVector(fn: string, name: string, v: readonly number[], numClasses: number): void {
  if (!Array.isArray(v)) fail(fn, `${name} is not an array`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isInteger(x) || x < 0 || x >= numClasses) {
      fail(fn, `${name}[${i}] = ${String(x)} is not a class index in [0, ${numClasses})`);
    }
  }
}

/** How far a normalized distribution's sum may stray from 1 (float rounding only). */
export const SUM_TOLERANCE = 1e-6;

/**
 * A probability distribution over K options from non-negative weights: the entries are divided by
 * their sum, so probabilities, float32 probabilities that sum to 1 ± ε and raw counts (histograms)
 * are all accepted. Negative or non-finite entries, an empty vector and an all-zero vector are
 * errors; so is a sum that is not ≈ 1 after normalization (an overflowing sum, e.g. 1e308 + 1e308).
 */
export function toDistribution(fn: string, name: string, v: Vec): number[] {
  const p = finiteVector(fn, name, v);
  if (p.length === 0) fail(fn, `${name} is empty (a distribution needs at least one option)`);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 0) fail(fn, `${name}[${i}] = ${p[i]} is negative`);
    sum += p[i];
  }
  if (!(sum > 0)) fail(fn, `${name} sums to 0 (no probability mass)`);
  if (!Number.isFinite(sum)) fail(fn, `${name} sums to ${sum}`);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    p[i] /= sum;
    total += p[i];
  }
  if (Math.abs(total - 1) > SUM_TOLERANCE) fail(fn, `${name} sums to ${total} after normalization, not 1`);
  return p;
}
