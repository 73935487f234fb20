// Table 1's and Table 2's numbers for one method, computed from its raw predictions on the test answers.
// Every row of results.json carries those predictions, so each number here can be recomputed from the file.
import { accuracy, bootstrapIntervals, macroF1, emd, entropy } from '../eval';
import type { Profile } from '../condition/profile';
import { ageGroup, argmaxOf, countryMacroAccuracy, emdWvb, sigmaInequity, type Prediction } from '../eval/survey';

/** One answer of the experiment's data, with what its prompt and metrics need. */
export interface Item {
  response: number;
  /** index into the data's questions, and the question's id */
  question: number;
  questionId: string;
  /** the participant's id (their profile) */
  participantId: string;
  answer: number;
  K: number;
  profileText: string;
  /** CUMA's profile sentence (C8), the code recipe's system prompt and e_d text */
  sentence: string;
  country: string;
  zone: string;
  /** the profile's demographic groups besides country, for σ_inequity (CUMA's dimensions) */
  attributes: Record<string, string>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** probabilities in results.json: 6 decimals keep every argmax and metric and a third of the bytes */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The raw predictions of option distributions `probs` on `items` (results.json's `predictions`). */
export function predictionsOf(probs: readonly (readonly number[])[], items: readonly Item[]): Prediction[] {
  return probs.map((p, i) => ({ question: items[i].questionId, profile: items[i].participantId, country: items[i].country, gold: items[i].answer, argmax: argmaxOf(p), probs: p.map(round6), attributes: items[i].attributes }));
}

export interface Table1Metrics {
  /** accuracy of the argmax against the participant's answer, pooled over test answers ↑ */
  acc: number;
  /** macro-F1 over option indices, pooled ↑ */
  macroF1: number;
  /** WorldValuesBench's EMD (the papers'): per question, gold vs argmax histograms over participants ↓ */
  emdWvb: number;
  /** per test answer, the model's option distribution against the exact P*, mean ↓ (synthetic worlds only have P*) */
  emdCalibration: number;
  /** mean entropy of the model's option distributions, nats (high = mean collapse) */
  entropy: number;
  /** CUMA: accuracy per country, averaged with each country once ↑ */
  macroAcc: number;
  /** CUMA: population std of subgroup accuracies, averaged over demographic dimensions ↓ (NaN: no two groups of 5) */
  sigmaInequity: number;
  /** countries in the test answers */
  nCountries: number;
  /** test answers the numbers are over */
  n?: number;
  /** seeded 95% percentile-bootstrap intervals over the test answers (results written before them lack these) */
  ci?: { acc: [number, number]; macroF1: [number, number]; emdWvb: [number, number]; emdCalibration: [number, number] };
}

/** Table 1's intervals: 1000 resamples of the test answers, seed 1, 95%. */
export const BOOTSTRAP = { B: 1000, seed: 1, level: 0.95 } as const;

/** Table 1's numbers for option distributions `probs` of `items`, against the exact `truth` (P*). */
export function table1Metrics(probs: readonly number[][], items: readonly Item[], truth: readonly (readonly number[])[]): Table1Metrics {
  const preds = predictionsOf(probs, items);
  const pred = preds.map((p) => p.argmax), gold = items.map((it) => it.answer);
  const K = Math.max(...items.map((it) => it.K));
  const emds = probs.map((p, i) => emd(p, truth[i]));
  const [acc, f1, wvb, cal] = bootstrapIntervals(
    items.length,
    (idx) => {
      const ps = Array.from(idx, (i) => pred[i]), gs = Array.from(idx, (i) => gold[i]);
      return [accuracy(ps, gs), macroF1(ps, gs, K), emdWvb(Array.from(idx, (i) => preds[i])), mean(Array.from(idx, (i) => emds[i]))];
    },
    BOOTSTRAP,
  );
  return {
    acc: accuracy(pred, gold),
    macroF1: macroF1(pred, gold, K),
    emdWvb: emdWvb(preds),
    emdCalibration: mean(emds),
    entropy: mean(probs.map((p) => entropy(p))),
    macroAcc: countryMacroAccuracy(preds),
    sigmaInequity: sigmaInequity(preds),
    nCountries: new Set(items.map((it) => it.country)).size,
    n: items.length,
    ci: { acc, macroF1: f1, emdWvb: wvb, emdCalibration: cal },
  };
}

/** Chance accuracy on these answers: the mean of 1/K over them (a uniform guess). */
export function chanceAccuracy(items: readonly Pick<Item, 'K'>[]): number {
  return mean(items.map((it) => 1 / it.K));
}

/**
 * What a reader must be told about a method's numbers: accuracy below chance, or below the question prior (an
 * adapter that ignores the person does as well), EMD to P* worse than the question prior's, and runs so small
 * they are smoke tests. `chance` is chanceAccuracy of the test answers.
 */
export function resultFlags(r: Table1Metrics, prior: Table1Metrics | undefined, chance: number): string[] {
  const flags: string[] = [];
  if (r.acc < chance) flags.push(`accuracy below chance (${chance.toFixed(3)})`);
  if (prior && r.acc < prior.acc) flags.push(`accuracy below the question prior (${prior.acc.toFixed(3)})`);
  if (prior && r.emdCalibration > prior.emdCalibration) flags.push(`EMD to P* worse than the question prior (${prior.emdCalibration.toFixed(3)})`);
  return flags;
}

/** Below this many test answers a run is a smoke test: its intervals are wide enough that differences mean little. */
export const SMOKE_TEST_N = 100;

/** Table 2's numbers (and the training probe's) for `probs`, whose rows are the first of `items` and `truth`. */
export function pairMetrics(probs: readonly number[][], items: readonly Item[], truth: readonly (readonly number[])[]): { acc: number; emdWvb: number; emdCalibration: number } {
  const its = items.slice(0, probs.length);
  const preds = predictionsOf(probs, its);
  return {
    acc: accuracy(preds.map((p) => p.argmax), its.map((it) => it.answer)),
    emdWvb: emdWvb(preds),
    emdCalibration: mean(probs.map((p, i) => emd(p, truth[i]))),
  };
}

/** A profile's demographic groups besides country, as CUMA's σ_inequity groups people. */
export function profileAttributes(p: Profile): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.age !== undefined) out.age_group = ageGroup(p.age);
  for (const k of ['gender', 'education', 'religion', 'ethnicity', 'employment'] as const) if (p[k]) out[k] = p[k]!;
  return out;
}
