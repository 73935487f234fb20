// Distribution metrics over the K ordinal options of a question: Wasserstein-1 (EMD) between two
// option distributions and the entropy of one (CUMA §4, WorldValuesBench).
import { fail, positiveInt, toDistribution, type Vec } from './validate';

/**
 * Wasserstein-1 distance (Earth Mover's Distance) between two distributions over the same K ordered
 * options, with unit spacing between neighbouring options and divided by the largest possible
 * distance K − 1, so the result lies in [0, 1]. Lower is better (0: identical distributions,
 * 1: all mass on the first option vs all mass on the last).
 *
 *   W1(p, q) = Σ_{k=1}^{K−1} |F_p(k) − F_q(k)| / (K − 1),   F_p(k) = p_1 + … + p_k
 *
 * Inputs are non-negative weights that are normalized to sum 1 first, so probability vectors (also
 * float32 ones off by rounding) and raw answer counts both work. Throws on different lengths, empty
 * input, negative or non-finite entries and all-zero vectors. K = 1 gives 0 (both are [1]).
 *
 * Example: [1,0,0] vs [0,0,1] → (1 + 1)/2 = 1;  [0.5,0.5,0] vs [0,0.5,0.5] → (0.5 + 0.5)/2 = 0.5.
 */
export function emd(p: Vec, q: Vec): number {
  const P = toDistribution('emd', 'p', p);
  const Q = toDistribution('emd', 'q', q);
  if (P.length !== Q.length) fail('emd', `p has ${P.length} options but q has ${Q.length}`);
  const K = P.length;
  if (K === 1) return 0;
  let Fp = 0;
  let Fq = 0;
  let sum = 0;
  for (let k = 0; k < K - 1; k++) {
    Fp += P[k];
    Fq += Q[k];
    sum += Math.abs(Fp - Fq);
  }
  return Math.min(1, sum / (K - 1));
}

/**
 * Histogram of answers (option indices 0..K−1) as counts of length K. Throws on answers that are
 * not integers in [0, K).
 */
export function answerHistogram(answers: readonly number[], K: number): number[] {
  positiveInt('answerHistogram', 'K', K);
  if (!Array.isArray(answers)) fail('answerHistogram', 'answers is not an array');
  const h = new Array<number>(K).fill(0);
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i];
    if (!Number.isInteger(a) || a < 0 || a >= K) fail('answerHistogram', `answers[${i}] = ${String(a)} is not an option index in [0, ${K})`);
    h[a]++;
  }
  return h;
}

/**
 * EMD (see `emd`) between the answer distributions of two groups, as WorldValuesBench computes it:
 * each group's answers (one argmax option index in [0, K) per participant, or per persona for a
 * model) become a normalized histogram over the K options, and the two histograms are compared.
 * Lower is better, range [0, 1]. The groups may differ in size; neither may be empty.
 *
 * Example (K = 3): answers [0,0,1,1] vs [1,1,2,2] → histograms [.5,.5,0] vs [0,.5,.5] → 0.5.
 */
export function emdOfAnswers(answersA: readonly number[], answersB: readonly number[], K: number): number {
  positiveInt('emdOfAnswers', 'K', K);
  if (!Array.isArray(answersA) || answersA.length === 0) fail('emdOfAnswers', 'answersA is empty (a group needs at least one answer)');
  if (!Array.isArray(answersB) || answersB.length === 0) fail('emdOfAnswers', 'answersB is empty (a group needs at least one answer)');
  return emd(answerHistogram(answersA, K), answerHistogram(answersB, K));
}

/**
 * Shannon entropy of an option distribution, H(p) = −Σ p_k log p_k with 0·log 0 = 0, in nats by
 * default (base e) or in the given base (2: bits). Range [0, log K]. Lower means a more decided
 * answer; high entropy across questions is the "mean collapse" the CUMA paper reports for dense
 * adapters (H ≈ 1.38 nats on 4–5 options). The input is normalized like `emd`'s.
 */
export function entropy(p: Vec, base?: number): number {
  const h = nats(toDistribution('entropy', 'p', p));
  if (base === undefined) return h;
  if (!Number.isFinite(base) || base <= 0 || base === 1) fail('entropy', `base must be a positive number other than 1 (got ${String(base)})`);
  return h / Math.log(base);
}

/**
 * Entropy divided by its maximum log K, in [0, 1] whatever the number of options (independent of
 * the base). 1: uniform over the options; 0: one option certain. Lower means more decided. K = 1 gives 0.
 */
export function normalizedEntropy(p: Vec): number {
  const P = toDistribution('normalizedEntropy', 'p', p);
  if (P.length === 1) return 0;
  return Math.min(1, nats(P) / Math.log(P.length));
}

/** −Σ p log p in nats of an already normalized distribution. */
function nats(P: readonly number[]): number {
  let h = 0;
  for (const x of P) if (x > 0) h -= x * Math.log(x);
  return Math.max(0, h);
}

/**
 * Mean of `entropy(p, base)` over a list of option distributions (e.g. one per question, or per
 * persona × question), as the CUMA paper's H_mean. Lower means more decided answers. Throws on an
 * empty list.
 */
export function meanEntropy(ps: readonly Vec[], base?: number): number {
  if (!Array.isArray(ps) || ps.length === 0) fail('meanEntropy', 'no distributions (the list is empty)');
  let s = 0;
  for (let i = 0; i < ps.length; i++) {
    try {
      s += entropy(ps[i], base);
    } catch (e) {
      fail('meanEntropy', `ps[${i}]: ${(e as Error).message}`);
    }
  }
  return s / ps.length;
}
