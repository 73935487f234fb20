// The ordinal (cumulative-logit, "proportional odds") answer model and the distribution measures
// used on its output.
//
//   P(Y ≤ k) = σ(s·(θ_k − η)),  k = 0 … K−2;   P(Y = k) = P(Y ≤ k) − P(Y ≤ k−1)
//
// with increasing thresholds θ, latent score η and sharpness s (1 = standard logistic noise).
// A larger η moves mass toward the last option.

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Probabilities of the K = thresholds.length + 1 options. Exact up to rounding; sums to one. */
export function cumulativeLogit(eta: number, thresholds: readonly number[], sharpness = 1): Float64Array {
  const K = thresholds.length + 1;
  const p = new Float64Array(K);
  let prev = 0;
  for (let k = 0; k < K - 1; k++) {
    if (k > 0 && !(thresholds[k] > thresholds[k - 1])) throw new Error('cumulativeLogit: thresholds must increase');
    const c = sigmoid(sharpness * (thresholds[k] - eta));
    p[k] = c - prev;
    prev = c;
  }
  p[K - 1] = 1 - prev;
  // c is increasing, so every difference is ≥ 0 up to rounding; clamp the rounding away
  for (let k = 0; k < K; k++) if (p[k] < 0) p[k] = 0;
  return p;
}

/** K − 1 thresholds spaced `step` apart and centred on `center`. */
export function evenThresholds(K: number, step: number, center = 0): number[] {
  return Array.from({ length: K - 1 }, (_, k) => center + step * (k - (K - 2) / 2));
}

/** Shannon entropy in nats. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}

/**
 * Wasserstein-1 (EMD) between two distributions over the same K ordered options, with the options
 * placed at 0, 1/(K−1), …, 1: Σ_k |F_p(k) − F_q(k)| / (K − 1). In [0, 1].
 */
export function emd(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`emd: ${p.length} vs ${q.length} options`);
  const K = p.length;
  if (K < 2) return 0;
  let fp = 0;
  let fq = 0;
  let d = 0;
  for (let k = 0; k < K - 1; k++) {
    fp += p[k];
    fq += q[k];
    d += Math.abs(fp - fq);
  }
  return d / (K - 1);
}

/** Mean and variance of the answer placed on [0, 1] (option k at k/(K−1)). */
export function scaledMoments(p: ArrayLike<number>): { mean: number; variance: number } {
  const K = p.length;
  let m = 0;
  let m2 = 0;
  for (let k = 0; k < K; k++) {
    const y = K > 1 ? k / (K - 1) : 0;
    m += p[k] * y;
    m2 += p[k] * y * y;
  }
  return { mean: m, variance: Math.max(0, m2 - m * m) };
}
