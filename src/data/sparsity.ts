// CUMA Definition 2.1 (Cultural Sparsity), as the paper states it:
//
//   Two groups i, j with means µ_i, µ_j ∈ R^m and covariances Σ_i, Σ_j in an m-dimensional
//   representation space, pooled covariance Σ̄_ij = ½(Σ_i + Σ_j), are culturally sparse when
//       D²_ij = (µ_i − µ_j)ᵀ Σ̄_ij⁻¹ (µ_i − µ_j)  ≫  m.
//
// The paper gives no number for "≫"; `factor` (default 10) makes it one: sparse ⇔ D² ≥ factor·m.
// D²/m is reported so a caller can apply any other cut.
//
// Two uses here:
//  - `mahalanobisSparsity` / `sampleSparsity`: the definition on any vectors (e.g. a model's hidden
//    states for two groups of profiles; there m is the hidden size, as in the paper).
//  - `worldSparsity`: the synthetic world's exact version. The representation of a respondent is their
//    answer vector y ∈ R^m, one coordinate per question (m = number of questions), each answer placed
//    on [0, 1] (option k of K at k/(K−1)) so scales of different length are comparable. A group's
//    population is its drawn profiles, equally weighted, and answers are independent given the
//    profile, so the moments are exact (no sampling):
//        µ_G[q]     = mean_p E*[y_q | p]
//        Σ_G[q, r]  = Cov_p(E*[y_q | p], E*[y_r | p]) + [q = r] · mean_p Var*(y_q | p)
//
// Measured on the `default` world (seed 1, 72 countries, 3,600 people, 41 questions) with the knobs
// changed one at a time from the presets' (separation 3, withinZoneSpread 0.5, zoneEffect 1,
// sharpness 1.5); D²/m with factor 10; entropies in nats, averaged over questions (./world.ts
// `entropyReport`: pooled = a profile-blind model's best, profile = a perfectly conditioned model's):
//
// | knobs                       | zone EMD | joint D²/m min / median | joint sparse pairs | per-question D² median | per-question sparse | H pooled / zone / profile |
// | --------------------------- | -------- | ----------------------- | ------------------ | ---------------------- | ------------------- | ------------------------- |
// | IW geometry (IW_KNOBS)      | 0.190    | 0.01 / 0.2              | 0 %                | 0.26                   | 0 %                 | 1.59 / 1.47 / 1.42        |
// | separation 0                | 0.026    | 0.00 / 0.0              | 0 %                | 0.00                   | 0 %                 | 1.45 / 1.44 / 1.39        |
// | separation 1                | 0.276    | 0.92 / 1.5              | 0 %                | 1.03                   | 6 %                 | 1.56 / 1.24 / 1.19        |
// | separation 2                | 0.406    | 2.61 / 7.6              | 43 %               | 2.83                   | 26 %                | 1.51 / 0.93 / 0.89        |
// | presets (separation 3)      | 0.459    | 5.78 / 39.2             | 96 %               | 4.29                   | 36 %                | 1.40 / 0.71 / 0.68        |
// | separation 4                | 0.483    | 16.1 / 367              | 100 %              | 5.20                   | 41 %                | 1.30 / 0.57 / 0.55        |
//
// So the presets' world is culturally sparse in the paper's sense for 27 of the 28 zone pairs (the
// exception: African-Islamic / Latin America, D²/m ≈ 5.8), while the real map's geometry alone is not.
import { scaledMoments } from './ordinal';
import { participantDistributions, worldZones, type World, type WorldParticipant } from './world';
import type { Zone } from './zones';

export interface SparsityResult {
  /** squared Mahalanobis distance between the centres under the pooled covariance */
  d2: number;
  /** ambient dimension */
  m: number;
  /** d2 / m: Definition 2.1 asks for ≫ 1 */
  ratio: number;
  /** ratio ≥ factor */
  sparse: boolean;
}

export interface SparsityOptions {
  /** how many times m counts as "≫ m" (default 10) */
  factor?: number;
  /**
   * added to the pooled covariance's diagonal as a fraction of its mean diagonal (default 1e-9), so a
   * singular covariance (fewer samples than dimensions, constant coordinates) still gives a number
   */
  ridge?: number;
}

/** Cholesky factor (lower) of a symmetric positive-definite matrix, or null when it is not PD. */
function cholesky(A: Float64Array, m: number): Float64Array | null {
  const L = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * m + j];
      for (let k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * m + i] = Math.sqrt(s);
      } else {
        L[i * m + j] = s / L[j * m + j];
      }
    }
  }
  return L;
}

/** xᵀ A⁻¹ x for symmetric positive-definite A (m × m, row-major). */
export function quadraticFormInverse(A: Float64Array, x: ArrayLike<number>, m: number): number {
  const L = cholesky(A, m);
  if (!L) throw new Error('pooled covariance is not positive definite (raise `ridge`)');
  // solve L z = x; then xᵀA⁻¹x = ‖z‖²
  const z = new Float64Array(m);
  let q = 0;
  for (let i = 0; i < m; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= L[i * m + k] * z[k];
    z[i] = s / L[i * m + i];
    q += z[i] * z[i];
  }
  return q;
}

/** Definition 2.1 from the two groups' moments (covariances m × m, row-major). */
export function mahalanobisSparsity(
  muI: ArrayLike<number>,
  muJ: ArrayLike<number>,
  sigmaI: Float64Array,
  sigmaJ: Float64Array,
  opts: SparsityOptions = {},
): SparsityResult {
  const m = muI.length;
  if (muJ.length !== m || sigmaI.length !== m * m || sigmaJ.length !== m * m) throw new Error('mahalanobisSparsity: dimensions differ');
  const factor = opts.factor ?? 10;
  const pooled = new Float64Array(m * m);
  let trace = 0;
  for (let i = 0; i < m * m; i++) pooled[i] = 0.5 * (sigmaI[i] + sigmaJ[i]);
  for (let i = 0; i < m; i++) trace += pooled[i * m + i];
  const ridge = (opts.ridge ?? 1e-9) * (trace > 0 ? trace / m : 1);
  for (let i = 0; i < m; i++) pooled[i * m + i] += ridge;
  const delta = Float64Array.from({ length: m }, (_, i) => muI[i] - muJ[i]);
  const d2 = quadraticFormInverse(pooled, delta, m);
  return { d2, m, ratio: d2 / m, sparse: d2 / m >= factor };
}

/** Sample mean and (unbiased) covariance of row vectors. */
export function sampleMoments(rows: readonly ArrayLike<number>[]): { mean: Float64Array; cov: Float64Array } {
  const n = rows.length;
  if (n < 2) throw new Error('sampleMoments: need at least two samples');
  const m = rows[0].length;
  const mean = new Float64Array(m);
  for (const r of rows) {
    if (r.length !== m) throw new Error('sampleMoments: rows differ in length');
    for (let i = 0; i < m; i++) mean[i] += r[i] / n;
  }
  const cov = new Float64Array(m * m);
  for (const r of rows) {
    for (let i = 0; i < m; i++) {
      const di = r[i] - mean[i];
      for (let j = 0; j <= i; j++) cov[i * m + j] += (di * (r[j] - mean[j])) / (n - 1);
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) cov[j * m + i] = cov[i * m + j];
  return { mean, cov };
}

/** Definition 2.1 on two sets of sample vectors (e.g. hidden states of two groups). */
export function sampleSparsity(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], opts: SparsityOptions = {}): SparsityResult {
  const A = sampleMoments(a);
  const B = sampleMoments(b);
  return mahalanobisSparsity(A.mean, B.mean, A.cov, B.cov, opts);
}

/** Exact moments of the answer vector over a group of the world's participants (see the header). */
export function groupAnswerMoments(
  world: World,
  members: readonly WorldParticipant[],
  questions: readonly number[] = world.questions.map((_, q) => q),
): { mean: Float64Array; cov: Float64Array } {
  const m = questions.length;
  const n = members.length;
  if (n === 0) throw new Error('groupAnswerMoments: empty group');
  const index = new Map(world.participants.map((p, i) => [p, i] as const));
  const rows = members.map((person) => {
    const i = index.get(person);
    if (i === undefined) throw new Error(`groupAnswerMoments: ${person.id} is not a participant of this world`);
    return i;
  });
  const dists = questions.map((q) => participantDistributions(world, q));
  const means = members.map(() => new Float64Array(m));
  const mean = new Float64Array(m);
  const noise = new Float64Array(m);
  rows.forEach((row, i) => {
    for (let q = 0; q < m; q++) {
      const mo = scaledMoments(dists[q][row]);
      means[i][q] = mo.mean;
      mean[q] += mo.mean / n;
      noise[q] += mo.variance / n;
    }
  });
  const cov = new Float64Array(m * m);
  for (const e of means) {
    for (let q = 0; q < m; q++) {
      const dq = e[q] - mean[q];
      for (let r = 0; r <= q; r++) cov[q * m + r] += (dq * (e[r] - mean[r])) / n;
    }
  }
  for (let q = 0; q < m; q++) {
    for (let r = 0; r < q; r++) cov[r * m + q] = cov[q * m + r];
    cov[q * m + q] += noise[q];
  }
  return { mean, cov };
}

export interface ZonePairSparsity extends SparsityResult {
  a: Zone;
  b: Zone;
}

export interface SparsitySummary {
  /** ambient dimension (number of questions in the representation) */
  m: number;
  pairs: ZonePairSparsity[];
  /** smallest, median, mean and largest D²/m over the pairs */
  minRatio: number;
  medianRatio: number;
  meanRatio: number;
  maxRatio: number;
  /** share of the pairs that are culturally sparse at `factor` */
  sparseShare: number;
}

function summarize(m: number, pairs: ZonePairSparsity[]): SparsitySummary {
  const r = pairs.map((p) => p.ratio).sort((a, b) => a - b);
  const n = r.length;
  return {
    m,
    pairs,
    minRatio: n ? r[0] : 0,
    medianRatio: n ? (n % 2 ? r[(n - 1) / 2] : (r[n / 2 - 1] + r[n / 2]) / 2) : 0,
    meanRatio: n ? r.reduce((s, x) => s + x, 0) / n : 0,
    maxRatio: n ? r[n - 1] : 0,
    sparseShare: n ? pairs.filter((p) => p.sparse).length / n : 0,
  };
}

/**
 * Definition 2.1 for every pair of the world's zones, exact, in the answer space of the given
 * questions (all by default): m = questions.length.
 */
export function zonePairSparsity(world: World, questions?: readonly number[], opts: SparsityOptions = {}): SparsitySummary {
  const qs = questions ?? world.questions.map((_, q) => q);
  const zones = worldZones(world);
  const moments = new Map(zones.map((z) => [z, groupAnswerMoments(world, world.participants.filter((p) => p.zone === z), qs)] as const));
  const pairs: ZonePairSparsity[] = [];
  for (let i = 0; i < zones.length; i++) {
    for (let j = i + 1; j < zones.length; j++) {
      const A = moments.get(zones[i])!;
      const B = moments.get(zones[j])!;
      pairs.push({ a: zones[i], b: zones[j], ...mahalanobisSparsity(A.mean, B.mean, A.cov, B.cov, opts) });
    }
  }
  return summarize(qs.length, pairs);
}

/** Definition 2.1 for one question x, literally P*(y | x, d): the answer y on [0, 1], m = 1. */
export function questionSparsity(world: World, question: number, opts: SparsityOptions = {}): SparsitySummary {
  return zonePairSparsity(world, [question], opts);
}

export interface WorldSparsity {
  /** per question (m = 1): the paper's reading, one prompt x at a time */
  perQuestion: { questionId: string; summary: SparsitySummary }[];
  /** over every (question, zone pair): share that is sparse and the median D²/m */
  questionPairShare: number;
  questionPairMedianRatio: number;
  /** the whole questionnaire as one representation (m = number of questions) */
  joint: SparsitySummary;
}

/** Definition 2.1 on the world's zones: per question and for the joint answer vector. */
export function worldSparsity(world: World, opts: SparsityOptions = {}): WorldSparsity {
  const perQuestion = world.questions.map((q, i) => ({ questionId: q.id, summary: questionSparsity(world, i, opts) }));
  const all = perQuestion.flatMap((x) => x.summary.pairs);
  const s = summarize(1, all);
  return { perQuestion, questionPairShare: s.sparseShare, questionPairMedianRatio: s.medianRatio, joint: zonePairSparsity(world, undefined, opts) };
}
