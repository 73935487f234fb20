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

// EMD and entropy are the metrics' own (src/eval): the world's ground truth is measured with the same rulers.
export { emd, entropy } from '../eval/distribution';

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
