// The survey metrics as the papers' evaluation scripts compute them, over raw predictions: one row per
// (participant, question) test answer with the gold option and the model's option probabilities.
// A results.json row carries exactly these rows (`predictions`), so anyone can recompute every number.
import { emd } from './distribution';
import { fail } from './validate';

/** One scored test answer. Indices are 0-based options of the question. */
export interface Prediction {
  /** question id */
  question: string;
  /** participant (profile) id */
  profile: string;
  country: string;
  /** the participant's answer */
  gold: number;
  /** the model's answer: argmax of probs (the first on a tie) */
  argmax: number;
  /** the model's distribution over the question's options */
  probs: number[];
  /** the profile's other demographic groups (age group, gender, education, …) for σ_inequity */
  attributes?: Record<string, string>;
}

function check(fn: string, preds: readonly Prediction[]): void {
  if (!Array.isArray(preds) || preds.length === 0) fail(fn, 'no predictions');
  preds.forEach((p, i) => {
    const K = p.probs.length;
    if (!Number.isInteger(p.gold) || p.gold < 0 || p.gold >= K) fail(fn, `predictions[${i}].gold = ${p.gold} is not an option index in [0, ${K})`);
    if (!Number.isInteger(p.argmax) || p.argmax < 0 || p.argmax >= K) fail(fn, `predictions[${i}].argmax = ${p.argmax} is not an option index in [0, ${K})`);
  });
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/**
 * WorldValuesBench's EMD (its evaluation/evaluate.py; CUMA reports the same): per question, the
 * Wasserstein-1 distance between the histogram of the gold answers and the histogram of the argmax
 * answers over all test participants, divided by the scale's range K − 1; then the mean over questions
 * (each question counts once, however many answers it has). In [0, 1]; lower is better. A model that
 * answers every participant with the question's majority option scores the distance of that spike from
 * the real spread of answers: this is the metric that shows mean collapse.
 *
 * Example: one question, K = 3, gold [0, 0, 1, 2], argmax [0, 0, 0, 0] → CDFs (.5, .75) vs (1, 1) →
 * (.5 + .25)/2 = 0.375.
 */
export function emdWvb(preds: readonly Prediction[]): number {
  check('emdWvb', preds);
  const perQ: number[] = [];
  for (const [q, g] of groupBy(preds, (p) => p.question)) {
    const K = g[0].probs.length;
    if (g.some((p) => p.probs.length !== K)) fail('emdWvb', `question ${q} has predictions with different numbers of options`);
    const gold = new Array<number>(K).fill(0), pred = new Array<number>(K).fill(0);
    for (const p of g) {
      gold[p.gold]++;
      pred[p.argmax]++;
    }
    perQ.push(emd(pred, gold));
  }
  return perQ.reduce((a, b) => a + b, 0) / perQ.length;
}

/** Accuracy of argmax against gold within each country: country → { n, acc }. */
export function accuracyByCountry(preds: readonly Prediction[]): Map<string, { n: number; acc: number }> {
  check('accuracyByCountry', preds);
  const out = new Map<string, { n: number; acc: number }>();
  for (const [c, g] of groupBy(preds, (p) => p.country)) out.set(c, { n: g.length, acc: g.filter((p) => p.argmax === p.gold).length / g.length });
  return out;
}

/**
 * CUMA's country macro-accuracy: the accuracy within each country, averaged with every country
 * counting once (so a large country does not hide a small one's failures). Higher is better.
 */
export function countryMacroAccuracy(preds: readonly Prediction[]): number {
  const accs = [...accuracyByCountry(preds).values()].map((a) => a.acc);
  return accs.reduce((a, b) => a + b, 0) / accs.length;
}

/**
 * CUMA's σ_inequity (evaluate_wvs.py): for each demographic dimension (country, and each attribute the
 * predictions carry: age group, gender, education, religion, ethnicity, employment), the accuracy of every
 * subgroup with at least 5 answers ('Unknown' and missing values skipped); the population standard
 * deviation (numpy's np.std, ddof = 0) of those accuracies when there are two or more; then the mean over
 * the dimensions that had one. Lower is fairer: 0 when every group is served equally well. NaN when no
 * dimension has two subgroups of 5 answers.
 */
export function sigmaInequity(preds: readonly Prediction[]): number {
  check('sigmaInequity', preds);
  const dims = ['country', ...new Set(preds.flatMap((p) => Object.keys(p.attributes ?? {})))];
  const sigmas: number[] = [];
  for (const dim of dims) {
    const groups = groupBy(
      preds.filter((p) => {
        const v = dim === 'country' ? p.country : p.attributes?.[dim];
        return v !== undefined && v !== '' && v !== 'Unknown';
      }),
      (p) => (dim === 'country' ? p.country : p.attributes![dim]),
    );
    const accs = [...groups.values()].filter((g) => g.length >= 5).map((g) => g.filter((p) => p.argmax === p.gold).length / g.length);
    if (accs.length < 2) continue;
    const m = accs.reduce((a, b) => a + b, 0) / accs.length;
    sigmas.push(Math.sqrt(accs.reduce((s, a) => s + (a - m) ** 2, 0) / accs.length));
  }
  return sigmas.length ? sigmas.reduce((a, b) => a + b, 0) / sigmas.length : Number.NaN;
}

/** CUMA's age groups (WVS X003R): 16-24, 25-34, 35-44, 45-54, 55-64 years old, 65 and over. */
export { ageGroupOf as ageGroup } from '../condition/profile';

/** The index of the largest probability, the first on a tie (numpy's argmax). */
export function argmaxOf(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}
