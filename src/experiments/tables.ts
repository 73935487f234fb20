// What a run gives back: Table 1's and Table 2's rows, the reference rows, the markdown tables, and the merge of
// runs that split one experiment between them.
import { METHODS, type ExperimentConfig, type ExperimentMethod } from './config';
import { experimentData } from './data';
import { ZONES } from '../data';
import { type SignatureSet } from './signatures';
import type { Prediction } from '../eval/survey';
import { BOOTSTRAP, chanceAccuracy, pairMetrics, resultFlags, SMOKE_TEST_N, table1Metrics, type Item, type Table1Metrics } from './metrics';

export interface MethodRow extends Table1Metrics {
  method: ExperimentMethod;
  label: string;
  /** trainable parameters as % of the backbone's */
  paramsPct: number;
  trainableParams: number;
  wallSeconds: number;
  nTrain: number;
  nTest: number;
  /** training losses, one per step (empty for persona prompting) */
  losses: number[];
  /** per-country signatures after training (conditioned and routed methods) */
  signatures?: SignatureSet;
  /** every test answer: question, profile, country, gold, argmax and option probabilities */
  predictions: Prediction[];
}
/** A method a run could not train: the runner no longer makes one (every method trains), but results files
 *  written before that carry them, and the run log still reads and shows them. */
export interface SkippedRow {
  method: ExperimentMethod;
  label: string;
  skipped: string;
}
export type ResultRow = MethodRow | SkippedRow;

/**
 * Table 2: one zone, one method: accuracy and EMD on that zone's test answers, trained with everything (full) and
 * trained without them (held out). split 'zone': the whole zone left out; 'profiles' (Appendix E.2): only the test
 * answers of the zone's held-out profiles, whose every answer was kept out of training; the zone's other profiles
 * were trained on. Rows without split are whole-zone (files written before E.2).
 */
export interface LocoRow {
  method: ExperimentMethod;
  label: string;
  zone: string;
  split?: 'zone' | 'profiles';
  nTest: number;
  full: PairMetrics;
  loco: PairMetrics;
}

export interface Results {
  config: ExperimentConfig;
  model: { label: string; architecture: string; numParams: number };
  encoder: { id: string; dim: number };
  /** how the answer letter is appended: " A" after "Answer:", or "A" after "Answer: " */
  answerForm: 'space-letter' | 'letter';
  rows: ResultRow[];
  /** Table 1 in markdown, the reference rows last */
  table: string;
  /** rows no model produced (referenceRows); absent in results written before they were */
  references?: ReferenceRow[];
  loco: LocoRow[];
  /** Table 2 in markdown ('' without it) */
  table2: string;
  /** true when the run was stopped early: rows hold the methods that finished */
  stopped: boolean;
  /** set by mergeResults: what each joined run covered */
  parts?: { methods: ExperimentMethod[]; loco: ExperimentConfig['loco'] }[];
}

/** A row of Table 1 that no model produced: where the methods sit between knowing nothing of the person and knowing P*. */
export interface ReferenceRow extends Table1Metrics {
  name: 'question-prior' | 'zone-prior' | 'exact';
  label: string;
}

/**
 * Reference rows from the training answers and the ground truth alone:
 * - question prior: each question's answer frequencies in the training set, the same for everyone. This is
 *   what an adapter that collapses to the mean converges to, so its EMD is the mean-collapse line.
 * - zone prior: the frequencies per question and cultural zone, what knowing only a person's zone can give.
 * - exact P*: the ground truth itself; its accuracy is the ceiling that sampled answers allow.
 * Frequencies are add-one smoothed so that no option has probability zero.
 */
export function referenceRows(train: readonly Item[], test: readonly Item[], truth: readonly number[][]): ReferenceRow[] {
  const freq = (key: (it: Item) => string) => {
    const counts = new Map<string, number[]>();
    for (const it of train) {
      const k = key(it);
      const c = counts.get(k) ?? new Array<number>(it.K).fill(1);
      c[it.answer]++;
      counts.set(k, c);
    }
    return test.map((it) => {
      const c = counts.get(key(it)) ?? new Array<number>(it.K).fill(1);
      const n = c.reduce((a, b) => a + b, 0);
      return c.map((x) => x / n);
    });
  };
  const row = (name: ReferenceRow['name'], label: string, probs: number[][]): ReferenceRow => ({ name, label, ...table1Metrics(probs, test, truth) });
  return [
    row('question-prior', 'Question prior (no persona: the mean)', freq((it) => `${it.question}`)),
    row('zone-prior', 'Zone prior (question × zone frequencies)', freq((it) => `${it.question}|${it.zone}`)),
    row('exact', 'Exact P* (ground truth)', truth.map((p) => [...p])),
  ];
}

/** The reference rows of a config's data (for results written before they were). */
function configReferences(config: ExperimentConfig): ReferenceRow[] {
  const { train, test, truth } = experimentData(config);
  return referenceRows(train, test, truth);
}

/** Table 2's pair of numbers on one zone's test answers. */
export type PairMetrics = ReturnType<typeof pairMetrics>;

export function isSkipped(r: ResultRow): r is SkippedRow {
  return 'skipped' in r;
}

/**
 * CUMA Table 1's shape: Method | Acc | Macro-F1 | EMD (WorldValuesBench's) | EMD to P* | Entropy | country macro-accuracy |
 * σ_inequity | Params %, and the zones' silhouette in signature space.
 */
export function markdownTable(rows: readonly ResultRow[], references: readonly ReferenceRow[] = []): string {
  const done = rows.filter((r): r is MethodRow => !isSkipped(r));
  const n = done[0]?.nTest;
  const lines = [
    `| Method | Acc ↑ | Macro-F1 ↑ | EMD (WVB) ↓ | EMD to P* ↓ | Entropy | Macro-acc ↑ | σ_inequity ↓ | Params % | Zone silhouette ↑ |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const withCi = (v: number, ci: [number, number] | undefined) => (ci ? `${f3(v)} [${f3(ci[0])}, ${f3(ci[1])}]` : f3(v));
  const nums = (r: Table1Metrics) =>
    [withCi(r.acc, r.ci?.acc), withCi(r.macroF1, r.ci?.macroF1), withCi(r.emdWvb, r.ci?.emdWvb), withCi(r.emdCalibration, r.ci?.emdCalibration), f3(r.entropy), f3(r.macroAcc), f3(r.sigmaInequity)].join(' | ');
  for (const r of rows) {
    if (isSkipped(r)) lines.push(`| ${r.label} | — | — | — | — | — | — | — | — | — (${r.skipped}) |`);
    else {
      const sil = r.signatures?.silhouette;
      lines.push(`| ${r.label} | ${nums(r)} | ${fmtPct(r.paramsPct)} | ${sil == null ? '—' : `${sil.toFixed(3)} (${r.signatures!.kind})`} |`);
    }
  }
  for (const r of references) lines.push(`| _${r.label}_ | ${nums(r)} | — | — |`);
  if (n !== undefined) {
    lines.push('', `${n < SMOKE_TEST_N ? `**Smoke test: n = ${n} test answers** (fewer than ${SMOKE_TEST_N}; the intervals show how little these numbers say). ` : `Test answers n = ${n}. `}[lo, hi]: seeded 95% bootstrap interval over the test answers (${BOOTSTRAP.B} resamples). EMD (WVB): per question, the histogram of participants' answers against the histogram of the model's argmax answers, W1/(K−1), mean over questions. EMD to P*: per answer, the model's option distribution against the true one.`);
    const flags = flagRows(done, references);
    if (flags.length) lines.push('', ...flags.map(([label, f]) => `- ⚠ ${label}: ${f.join('; ')}`));
  }
  return lines.join('\n') + '\n';
}

/** Each method row's warnings (resultFlags) against the question prior and chance, [label, flags] for the rows that have any. */
export function flagRows(rows: readonly MethodRow[], references: readonly ReferenceRow[] = []): [string, string[]][] {
  const prior = references.find((r) => r.name === 'question-prior');
  return rows.flatMap((r): [string, string[]][] => {
    const f = resultFlags(r, prior, chanceAccuracy(r.predictions.map((p) => ({ K: p.probs.length }))));
    return f.length ? [[r.label, f]] : [];
  });
}

/** CUMA Table 2's shape: per zone and method, accuracy and EMD with full supervision and with the zone left out. */
export function locoTable(rows: readonly LocoRow[]): string {
  const lines = ['| Held out | Zone | Method | n | Acc full | Acc held out | Δ Acc | EMD (WVB) full | EMD (WVB) held out | EMD to P* full | EMD to P* held out |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const d = r.loco.acc - r.full.acc;
    lines.push(`| ${r.split === 'profiles' ? 'profiles (App. E.2)' : 'whole zone'} | ${r.zone} | ${r.label} | ${r.nTest} | ${f3(r.full.acc)} | ${f3(r.loco.acc)} | ${d >= 0 ? '+' : ''}${d.toFixed(3)} | ${f3(r.full.emdWvb)} | ${f3(r.loco.emdWvb)} | ${f3(r.full.emdCalibration)} | ${f3(r.loco.emdCalibration)} |`);
  }
  return lines.join('\n') + '\n';
}

/** Three decimals, or '—' for a number a file lacks (NaN, which JSON writes as null). */
function f3(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—';
}

function fmtPct(p: number): string {
  if (p === 0) return '0';
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(2);
}

/**
 * Joins the results of runs that split one experiment between processes (each its own --methods, or
 * --loco-zones): the same world, seed, budget and model are required, and no method or (method, zone)
 * may come twice. Rows follow METHODS' order and Table 2 the zones' order, as one run would write them.
 */
export function mergeResults(parts: readonly Results[]): Results {
  if (parts.length === 0) throw new Error('nothing to merge');
  const [first] = parts;
  const same = (what: string, f: (r: Results) => unknown) => {
    const a = JSON.stringify(f(first));
    parts.forEach((r, i) => {
      if (JSON.stringify(f(r)) !== a) throw new Error(`part ${i + 1} differs from part 1 in ${what}: these are not runs of one experiment`);
    });
  };
  same('the world', (r) => [r.config.world, r.config.data ?? null]);
  same('the seed', (r) => r.config.seed);
  same('the budget (steps, batch size, rates, examples)', (r) => [r.config.steps, r.config.batchSize, r.config.lr, r.config.lrFor, r.config.lrBackoff ?? false, r.config.maxExamples, r.config.maxTest ?? null, r.config.maxOptions ?? null]);
  same('the adapters (rank, targets, λ, persona in prompt, centred conditions, chat template, recipe)', (r) => [r.config.rank, r.config.targets, r.config.lbLambda, r.config.personaInPrompt, r.config.centerConditions ?? false, r.config.chat ?? false, r.config.recipe ?? 'atlas', r.config.recipeFor ?? {}]);
  same('the model', (r) => r.model);
  same('the encoder', (r) => r.encoder);
  const locoSteps = new Set(parts.flatMap((r) => (r.config.loco ? [r.config.loco.steps] : [])));
  if (locoSteps.size > 1) throw new Error(`the parts' Table 2 runs differ in steps (${[...locoSteps].join(', ')}): these are not runs of one experiment`);
  const rows: ResultRow[] = [];
  for (const r of parts) for (const row of r.rows) {
    if (rows.some((x) => x.method === row.method)) throw new Error(`${row.method} is in more than one part`);
    rows.push(row);
  }
  rows.sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
  const loco: LocoRow[] = [];
  for (const r of parts) for (const row of r.loco) {
    if (loco.some((x) => x.method === row.method && x.zone === row.zone && (x.split ?? 'zone') === (row.split ?? 'zone'))) throw new Error(`Table 2's ${row.method} without ${row.zone}${row.split === 'profiles' ? ' (held-out profiles)' : ''} is in more than one part`);
    loco.push(row);
  }
  const zoneIdx = (z: string) => (ZONES as readonly string[]).indexOf(z);
  const splitIdx = (r: LocoRow) => (r.split === 'profiles' ? 1 : 0);
  loco.sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method) || splitIdx(a) - splitIdx(b) || zoneIdx(a.zone) - zoneIdx(b.zone));
  const locoMethods = [...new Set(parts.flatMap((r) => r.config.loco?.methods ?? []))];
  const [steps] = locoSteps;
  // the same world and split in every part, so one part's references serve all; older files have none
  const references = first.references ?? configReferences(first.config);
  return {
    ...first,
    config: {
      ...first.config,
      methods: rows.map((r) => r.method),
      loco: steps === undefined ? null : { methods: locoMethods, steps, ...(parts.some((r) => r.config.loco?.heldOutProfiles) ? { heldOutProfiles: Math.max(...parts.map((r) => r.config.loco?.heldOutProfiles ?? 0)) } : {}) },
    },
    rows,
    table: markdownTable(rows, references),
    references,
    loco,
    table2: loco.length ? locoTable(loco) : '',
    stopped: parts.some((r) => r.stopped),
    parts: parts.flatMap((r) => r.parts ?? [{ methods: r.config.methods, loco: r.config.loco }]),
  };
}
