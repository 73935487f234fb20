// A training run as the page keeps it: the configuration, the log the runner's progress events build
// (losses, probe metrics, the newest signatures per method, finished rows), its status, and the files
// it exports (results JSON in the CLI's results.json shape plus the log; Table 1 / Table 2 CSV). Pure
// functions, so the Train view, IndexedDB and the tests all see the same record.
import { z } from 'zod';
import { experimentConfig, EXPERIMENT_PRESETS, isSkipped, locoTable, markdownTable, METHOD_NAMES, METHODS, runLabel, type ExperimentConfig, type ExperimentMethod, type LocoRow, type Progress, type ReferenceRow, type ResultRow, type Results } from '../experiments/runner';
import type { SignatureSet } from '../experiments/signatures';
import { RECIPES, type Recipe } from '../experiments/recipes';
import { worldConfig, ZONES, zoneOf, type WorldConfig } from '../data';
import type { WorkerError } from '../worker/protocol';

// ---------------------------------------------------------------------------------------------
// The form

export type WorldChoice = 'tiny' | 'quick' | 'contrast' | 'default';
export const WORLD_CHOICE_IDS: readonly WorldChoice[] = ['tiny', 'quick', 'contrast', 'default'];

export const WORLD_CHOICES: Record<WorldChoice, { label: string; note: string }> = {
  tiny: { label: 'Tiny (8 countries, 4 zones)', note: '2 countries in each of 4 zones × 6 people × 4 questions = 192 answers: a demo that trains in minutes even on a CPU-emulated GPU' },
  quick: { label: 'Quick (16 countries)', note: '2 countries per zone × 12 people × 8 questions = 1,536 answers' },
  contrast: {
    label: 'Contrast (4 countries, 4 zones)',
    note: 'Sweden, Nigeria, Japan, Mexico × 50 people × 4 questions = 800 answers, with the contrast preset’s settings (no profile in the prompt, centred conditions, 150 steps of 8 at 2e-3): where dense LoRA collapses to the mean and CUMA does not',
  },
  default: { label: 'Default world (72 countries)', note: 'every country × 50 people × 12 questions = 43,200 answers: for a real GPU' },
};

export interface TrainForm {
  methods: ExperimentMethod[];
  world: WorldChoice;
  steps: number;
  batchSize: number;
  lr: number;
  /** Zhyper's peak learning rate (its hypernetwork overshoots at the others' rate); null: lr */
  lrZhyper: number | null;
  /** CUMA's load-balancing weight λ */
  lbLambda: number;
  seed: number;
  personaInPrompt: boolean;
  /** feed Zhyper and CUMA (e_d − μ)/m instead of e_d (see src/adapters/centre.ts); kept adapters read raw e_d */
  centerConditions: boolean;
  /** prompts in the model's chat template (when it has one), as Compare scores them by default */
  chat: boolean;
  /** null: no limit */
  maxExamples: number | null;
  maxTest: number | null;
  maxOptions: number | null;
  metricsEvery: number;
  signaturesEvery: number;
  probeSize: number;
  signatureProfiles: number;
  /** Table 2: leave one zone out */
  loco: boolean;
  locoSteps: number;
  locoMethods: ExperimentMethod[];
  /** Table 2 also holds out this share of every zone's profiles (Appendix E.2); 0: whole zones only */
  heldOutProfiles: number;
  /** every method's recipe (src/experiments/recipes.ts), and the methods that take the other one */
  recipe: Recipe;
  recipes: Partial<Record<ExperimentMethod, Recipe>>;
  /** the data: the synthetic world (`world`), or a GlobalOpinionQA file loaded in this tab */
  data: 'synthetic' | 'goqa';
  /** GlobalOpinionQA: the questions most countries answered, and people sampled per country */
  goqaQuestions: number;
  goqaParticipants: number;
}

export function defaultForm(): TrainForm {
  const q = experimentConfig('quick');
  return {
    // the papers' comparison in three rows: the dense baseline and the two conditioned methods
    methods: ['lora', 'zhyper-diag', 'cuma'],
    world: 'quick',
    steps: q.steps,
    batchSize: q.batchSize,
    lr: q.lr,
    lrZhyper: q.lrFor?.['zhyper-diag'] ?? null,
    lbLambda: q.lbLambda,
    seed: 1,
    personaInPrompt: true,
    // profile embeddings differ little around a large shared mean; centred, the conditioned methods use them
    centerConditions: true,
    // Compare scores in the chat template by default: adapters kept from a run should see the same prompts
    chat: true,
    maxExamples: q.maxExamples,
    maxTest: q.maxTest ?? null,
    // every question (the embedded default has A–J as one token each; the runner says so when a tokenizer does not)
    maxOptions: null,
    metricsEvery: 5,
    signaturesEvery: 5,
    probeSize: 32,
    signatureProfiles: q.signatureProfiles,
    loco: false,
    locoSteps: 20,
    locoMethods: ['cuma'],
    heldOutProfiles: 0.2,
    recipe: 'atlas',
    recipes: {},
    data: 'synthetic',
    goqaQuestions: 12,
    goqaParticipants: 20,
  };
}

/** Tiny's countries: two per zone, so the zones' silhouette is defined (a zone of one country has no within-zone distance). */
export const TINY_COUNTRIES = ['Norway', 'Sweden', 'Japan', 'China', 'Nigeria', 'Egypt', 'Brazil', 'Mexico'] as const;

export function worldFor(choice: WorldChoice, seed: number): WorldConfig {
  if (choice === 'contrast') return experimentConfig('contrast', { seed }).world;
  if (choice === 'tiny') return worldConfig('quick', { seed, countries: TINY_COUNTRIES, participantsPerCountry: 6, questionsPerParticipant: 4 });
  return worldConfig(choice, { seed });
}

/** What picking a world changes besides the world: the contrast world comes with its preset's settings. */
export function worldPatch(w: WorldChoice): Partial<TrainForm> {
  if (w !== 'contrast') return { world: w };
  const c = experimentConfig('contrast');
  return { world: w, methods: [...c.methods], steps: c.steps, batchSize: c.batchSize, lr: c.lr, lrZhyper: null, personaInPrompt: c.personaInPrompt, centerConditions: !!c.centerConditions, maxExamples: c.maxExamples, maxTest: c.maxTest ?? null, signatureProfiles: c.signatureProfiles, loco: false };
}

/** Methods in the table's order (the order the runner trains them). */
export function orderedMethods(ms: readonly ExperimentMethod[]): ExperimentMethod[] {
  return METHODS.filter((m) => ms.includes(m));
}

/** The runner's configuration for the form (`goqaFile`: the name of the GlobalOpinionQA file loaded in this tab). */
export function buildConfig(f: TrainForm, goqaFile?: string): ExperimentConfig {
  const locoMethods = orderedMethods(f.locoMethods).filter((m) => m !== 'persona-prompting');
  // the methods whose recipe differs from the form's one
  const recipeFor = Object.fromEntries(Object.entries(f.recipes).filter(([m, r]) => (METHODS as readonly string[]).includes(m) && RECIPES.includes(r!) && r !== f.recipe));
  return experimentConfig(f.world === 'default' || f.world === 'contrast' ? f.world : 'quick', {
    seed: f.seed,
    methods: orderedMethods(f.methods),
    steps: f.steps,
    batchSize: f.batchSize,
    lr: f.lr,
    lrFor: f.lrZhyper == null ? {} : { 'zhyper-diag': f.lrZhyper, 'zhyper-square': f.lrZhyper },
    lbLambda: f.lbLambda,
    personaInPrompt: f.personaInPrompt,
    centerConditions: f.centerConditions,
    chat: f.chat,
    world: worldFor(f.world, f.seed),
    maxExamples: f.maxExamples,
    maxTest: f.maxTest,
    maxOptions: f.maxOptions,
    signatureProfiles: f.signatureProfiles,
    loco: f.loco && locoMethods.length ? { methods: locoMethods, steps: f.locoSteps, heldOutProfiles: f.heldOutProfiles } : null,
    recipe: f.recipe,
    ...(Object.keys(recipeFor).length ? { recipeFor } : {}),
    ...(f.data === 'goqa' && goqaFile ? { data: { kind: 'goqa' as const, file: goqaFile, questions: f.goqaQuestions, participantsPerCountry: f.goqaParticipants } } : {}),
  });
}

/** What is wrong with the form, in words; null when it can start. `goqaLoaded`: a GlobalOpinionQA file is loaded in this tab. */
export function formProblem(f: TrainForm, goqaLoaded = false): string | null {
  const posInt = (v: number | null, what: string) => (v != null && !(Number.isInteger(v) && v >= 1) ? `${what} must be a whole number ≥ 1` : null);
  if (!f.methods.length) return 'Pick at least one method.';
  if (f.data === 'goqa' && !goqaLoaded) return 'Load a GlobalOpinionQA file (or fetch it from the hub) first, or pick the synthetic world.';
  return (
    (f.data === 'goqa' ? (posInt(f.goqaQuestions, 'Questions') ?? posInt(f.goqaParticipants, 'People per country')) : null) ??
    (f.loco && !(f.heldOutProfiles >= 0 && f.heldOutProfiles < 1) ? 'The held-out share of profiles must be between 0 and 1 (0: whole zones only).' : null) ??
    posInt(f.steps, 'Steps') ??
    posInt(f.batchSize, 'Batch size') ??
    (!(f.lr > 0 && Number.isFinite(f.lr)) ? 'The learning rate must be a number > 0.' : null) ??
    (f.lrZhyper != null && !(f.lrZhyper > 0 && Number.isFinite(f.lrZhyper)) ? 'Zhyper’s learning rate must be a number > 0 (blank: the learning rate).' : null) ??
    (!(f.lbLambda >= 0 && Number.isFinite(f.lbLambda)) ? 'λ must be a number ≥ 0.' : null) ??
    (!Number.isInteger(f.seed) ? 'The seed must be a whole number.' : null) ??
    posInt(f.maxExamples, 'Training answers') ??
    posInt(f.maxTest, 'Test answers') ??
    (f.maxOptions != null && !(Number.isInteger(f.maxOptions) && f.maxOptions >= 2) ? 'Max options must be a whole number ≥ 2.' : null) ??
    posInt(f.probeSize, 'Probe size') ??
    posInt(f.signatureProfiles, 'Profiles per country') ??
    (!(Number.isInteger(f.metricsEvery) && f.metricsEvery >= 0) ? '“Metrics every” must be a whole number ≥ 0.' : null) ??
    (!(Number.isInteger(f.signaturesEvery) && f.signaturesEvery >= 0) ? '“Signatures every” must be a whole number ≥ 0.' : null) ??
    (f.loco ? posInt(f.locoSteps, 'Table 2 steps') : null) ??
    (f.loco && !f.locoMethods.some((m) => m !== 'persona-prompting') ? 'Table 2 needs at least one trained method.' : null)
  );
}

// ---------------------------------------------------------------------------------------------
// The run record

export type RunStatus = 'running' | 'paused' | 'done' | 'stopped' | 'failed' | 'interrupted' | 'imported';

export interface TrainPoint {
  /** a Table 1 method, or a Table 2 run's label ("cuma (without Confucian)") */
  method: string;
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
}
export interface MetricPoint {
  method: string;
  step: number;
  acc: number;
  emd: number;
}
/** One frame of a run's recording: a method's signatures at a step. */
export interface RecordedSignatures {
  step: number;
  set: SignatureSet;
}

/** Frames kept per method: enough for a replay to look continuous, few enough for IndexedDB and a results file. */
export const RECORDING_MAX = 48;

/** The recording with one more frame; past RECORDING_MAX every other earlier frame goes (the first and the newest stay). */
export function recordFrame(frames: readonly RecordedSignatures[], frame: RecordedSignatures): RecordedSignatures[] {
  const out = [...frames, frame];
  if (out.length <= RECORDING_MAX) return out;
  const last = out[out.length - 1];
  return [...out.slice(0, -1).filter((_, i) => i % 2 === 0), last];
}

export interface SignatureSnapshot {
  method: string;
  step: number;
  set: SignatureSet;
  /** how many signature events this method has had (the Atlas warm-starts from the last one) */
  updates: number;
}
export interface RunPhase {
  /** the label of the method being run (Table 2's carry the zone) */
  label: string;
  method: string;
  phase: 'prepare' | 'train' | 'evaluate' | 'done';
  step: number;
  steps: number;
  table: 1 | 2;
}
export interface StoredAdapterInfo {
  method: ExperimentMethod;
  name: string;
  bytes: number;
}

export interface RunRecord {
  version: 1;
  id: string;
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  config: ExperimentConfig;
  encoderId: string;
  model: Results['model'] | null;
  encoder: Results['encoder'] | null;
  answerForm: Results['answerForm'] | null;
  train: TrainPoint[];
  metrics: MetricPoint[];
  signatures: Record<string, SignatureSnapshot>;
  /** every method's signatures as they came during training (thinned to at most RECORDING_MAX), for the Atlas's replay */
  recording?: Record<string, RecordedSignatures[]>;
  rows: ResultRow[];
  /** Table 1's reference rows (question prior, zone prior, P*), once the runner returned */
  references?: ReferenceRow[];
  loco: LocoRow[];
  phase: RunPhase | null;
  /** Table 2 runs started so far */
  locoStarted: number;
  error: WorkerError | null;
  adapters: StoredAdapterInfo[];
  /** imported runs: the file they came from */
  source?: string;
}

export function newRunId(now = Date.now()): string {
  return `run-${now.toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}

export function newRun(id: string, config: ExperimentConfig, meta: { encoderId: string; model: Results['model'] | null; now?: number }): RunRecord {
  const now = meta.now ?? Date.now();
  return {
    version: 1,
    id,
    createdAt: now,
    updatedAt: now,
    status: 'running',
    config,
    encoderId: meta.encoderId,
    model: meta.model,
    encoder: null,
    answerForm: null,
    train: [],
    metrics: [],
    signatures: {},
    rows: [],
    loco: [],
    phase: null,
    locoStarted: 0,
    error: null,
    adapters: [],
  };
}

/** The run after a batch of the runner's progress events (a new object; the old one is untouched). */
export function applyEvents(run: RunRecord, events: readonly Progress[], now = Date.now()): RunRecord {
  if (!events.length) return run;
  const train = run.train.slice();
  const metrics = run.metrics.slice();
  const signatures = { ...run.signatures };
  const recording = { ...(run.recording ?? {}) };
  const rows = run.rows.slice();
  let phase = run.phase;
  let locoStarted = run.locoStarted;
  for (const p of events) {
    // every event says which run it belongs to (Table 1's, or one of Table 2's): its label is built here
    const label = runLabel(p);
    switch (p.phase) {
      case 'prepare': {
        const table = p.table ?? 1;
        if (table === 2) locoStarted++;
        phase = { label, method: p.method, phase: 'prepare', step: 0, steps: table === 1 ? run.config.steps : (run.config.loco?.steps ?? 0), table };
        break;
      }
      case 'train':
        train.push({ method: label, step: p.step, loss: p.loss, gradNorm: p.gradNorm, lr: p.lr });
        phase = { ...(phase ?? { label, method: p.method, table: 1 as const }), phase: 'train', step: p.step, steps: p.steps };
        break;
      case 'metrics':
        metrics.push({ method: label, step: p.step, acc: p.acc, emd: p.emd });
        break;
      case 'signatures':
        signatures[p.method] = { method: p.method, step: p.step, set: p.set, updates: (signatures[p.method]?.updates ?? 0) + 1 };
        // Table 2's runs report under the bare method name too: only Table 1's are recorded
        if (label === p.method) recording[p.method] = recordFrame(recording[p.method] ?? [], { step: p.step, set: p.set });
        break;
      case 'evaluate':
        if (phase) phase = { ...phase, phase: 'evaluate' };
        break;
      case 'result': {
        const i = rows.findIndex((r) => r.method === p.row.method);
        if (i >= 0) rows[i] = p.row;
        else rows.push(p.row);
        break;
      }
      case 'done':
        if (phase) phase = { ...phase, phase: 'done' };
        break;
    }
  }
  return { ...run, train, metrics, signatures, recording, rows, phase, locoStarted, updatedAt: now };
}

/** The run once the runner returned. */
export function finishRun(run: RunRecord, res: Results, now = Date.now()): RunRecord {
  const signatures = { ...run.signatures };
  for (const r of res.rows) {
    if (!isSkipped(r) && r.signatures && !signatures[r.method]) signatures[r.method] = { method: r.method, step: res.config.steps, set: r.signatures, updates: 1 };
  }
  return {
    ...run,
    status: res.stopped ? 'stopped' : 'done',
    rows: res.rows,
    ...(res.references ? { references: res.references } : {}),
    loco: res.loco,
    model: res.model,
    encoder: res.encoder,
    answerForm: res.answerForm,
    signatures,
    phase: run.phase ? { ...run.phase, phase: 'done' } : null,
    updatedAt: now,
  };
}

export function failRun(run: RunRecord, error: WorkerError, now = Date.now()): RunRecord {
  return { ...run, status: 'failed', error, updatedAt: now };
}

/** A run the page lost while it was going (a reload, a crash): it keeps what it had. */
export function interruptRun(run: RunRecord): RunRecord {
  return run.status === 'running' || run.status === 'paused' ? { ...run, status: 'interrupted', phase: run.phase ? { ...run.phase } : null } : run;
}

export const isLive = (r: RunRecord) => r.status === 'running' || r.status === 'paused';

/** Zones a Table 2 run goes over: those of the world's countries. */
export function worldZones(w: WorldConfig, data?: ExperimentConfig['data']): string[] {
  if (data) return [...ZONES]; // a survey file's zones are known once it is read: at most all of them
  if (Array.isArray(w.countries)) return ZONES.filter((z) => (w.countries as readonly string[]).some((c) => zoneOf(c) === z));
  return [...ZONES];
}

export interface RunProgress {
  /** 0..1 over the whole run */
  fraction: number;
  table: 1 | 2;
  /** 1-based */
  index: number;
  count: number;
  label: string;
  step: number;
  steps: number;
  phase: RunPhase['phase'] | 'waiting';
  text: string;
}

/** Where a run is: method i of n, step s of S, and the fraction of the whole run done. */
export function progressOf(run: RunRecord): RunProgress {
  const c = run.config;
  const n1 = c.methods.length;
  const zones = c.loco ? worldZones(c.world, c.data).length : 0;
  // (GlobalOpinionQA runs have no E.2 rows: a profile there is a country)
  // Table 2 retrains a method on the full set only when its step budget differs from Table 1's
  const e2 = c.loco && !c.loco.zones && !c.data && (c.loco.heldOutProfiles ?? 0) > 0 ? 1 : 0;
  const n2 = c.loco ? c.loco.methods.reduce((k, m) => k + zones + e2 + (c.loco!.steps === c.steps && c.methods.includes(m) ? 0 : 1), 0) : 0;
  const total = n1 + n2;
  const ph = run.phase;
  const finished = run.status === 'done' || run.status === 'stopped' || run.status === 'imported';
  if (!ph) {
    return { fraction: finished ? 1 : 0, table: 1, index: 0, count: n1, label: '', step: 0, steps: c.steps, phase: 'waiting', text: finished ? 'Finished' : 'Preparing the world and the condition embeddings…' };
  }
  const within = ph.phase === 'done' ? 1 : ph.phase === 'evaluate' ? 0.95 : ph.steps > 0 ? (0.9 * ph.step) / ph.steps : 0;
  const name = (m: string) => METHOD_NAMES[m as ExperimentMethod] ?? m;
  if (ph.table === 1) {
    const index = Math.max(1, c.methods.indexOf(ph.label as ExperimentMethod) + 1);
    const fraction = finished && run.status === 'done' ? 1 : total ? Math.min(1, (index - 1 + within) / total) : 0;
    const what = ph.phase === 'prepare' ? 'preparing' : ph.phase === 'evaluate' ? 'evaluating on the test answers' : ph.phase === 'done' ? 'done' : `step ${ph.step} of ${ph.steps}`;
    return { fraction, table: 1, index, count: n1, label: ph.label, step: ph.step, steps: ph.steps, phase: ph.phase, text: `Table 1 · method ${index} of ${n1} · ${name(ph.label)} · ${what}` };
  }
  const index = Math.max(1, run.locoStarted);
  const fraction = finished && run.status === 'done' ? 1 : total ? Math.min(1, (n1 + index - 1 + within) / total) : 0;
  const what = ph.phase === 'prepare' ? 'preparing' : ph.phase === 'evaluate' ? 'evaluating' : ph.phase === 'done' ? 'done' : `step ${ph.step} of ${ph.steps}`;
  return { fraction, table: 2, index, count: n2, label: ph.label, step: ph.step, steps: ph.steps, phase: ph.phase, text: `Table 2 (held out) · run ${index} of ${n2} · ${ph.label} · ${what}` };
}

/** Whether a recorded series' label (runLabel) is one of Table 1's methods. */
const isTable1 = (config: ExperimentConfig, label: string) => (config.methods as readonly string[]).includes(label);

/** Loss per step of each Table 1 method, in the table's order. */
export function lossSeries(run: RunRecord): { method: string; steps: number[]; loss: number[] }[] {
  const by = new Map<string, { steps: number[]; loss: number[] }>();
  for (const p of run.train) {
    if (!isTable1(run.config, p.method)) continue;
    const s = by.get(p.method) ?? { steps: [], loss: [] };
    s.steps.push(p.step);
    s.loss.push(p.loss);
    by.set(p.method, s);
  }
  return run.config.methods.filter((m) => by.has(m)).map((m) => ({ method: m, ...by.get(m)! }));
}

/** Probe accuracy and EMD per step of each Table 1 method. */
export function metricSeries(run: RunRecord): { method: string; steps: number[]; acc: number[]; emd: number[] }[] {
  const by = new Map<string, { steps: number[]; acc: number[]; emd: number[] }>();
  for (const p of run.metrics) {
    if (!isTable1(run.config, p.method)) continue;
    const s = by.get(p.method) ?? { steps: [], acc: [], emd: [] };
    s.steps.push(p.step);
    s.acc.push(p.acc);
    s.emd.push(p.emd);
    by.set(p.method, s);
  }
  return run.config.methods.filter((m) => by.has(m)).map((m) => ({ method: m, ...by.get(m)! }));
}

// ---------------------------------------------------------------------------------------------
// Files: results JSON (the CLI's results.json plus the run's log) and CSV

export const RUN_FORMAT = 'adapter-atlas-run';

export interface RunExport extends Omit<Results, 'answerForm'> {
  answerForm: Results['answerForm'] | null;
  atlas: {
    format: typeof RUN_FORMAT;
    version: 1;
    id: string;
    createdAt: number;
    status: RunStatus;
    encoderId: string;
    train: TrainPoint[];
    metrics: MetricPoint[];
    signatures: Record<string, SignatureSnapshot>;
    recording?: Record<string, RecordedSignatures[]>;
    error: WorkerError | null;
  };
}

export function runToExport(run: RunRecord): RunExport {
  return {
    config: run.config,
    model: run.model ?? { label: 'unknown', architecture: 'unknown', numParams: 0 },
    encoder: run.encoder ?? { id: run.encoderId, dim: 0 },
    answerForm: run.answerForm,
    rows: run.rows,
    table: markdownTable(run.rows, run.references),
    ...(run.references ? { references: run.references } : {}),
    loco: run.loco,
    table2: run.loco.length ? locoTable(run.loco) : '',
    stopped: run.status !== 'done' && run.status !== 'imported',
    atlas: {
      format: RUN_FORMAT,
      version: 1,
      id: run.id,
      createdAt: run.createdAt,
      status: run.status,
      encoderId: run.encoderId,
      train: run.train,
      metrics: run.metrics,
      signatures: run.signatures,
      ...(run.recording ? { recording: run.recording } : {}),
      error: run.error,
    },
  };
}

function csvCell(v: unknown): string {
  if (v == null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csv = (rows: unknown[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** Table 1 as CSV: one row per method (skipped methods keep their reason). */
export function table1Csv(rows: readonly ResultRow[], references: readonly ReferenceRow[] = []): string {
  const head = ['method', 'label', 'acc', 'macro_f1', 'emd_wvb', 'emd_calibration', 'entropy_nats', 'macro_acc', 'sigma_inequity', 'params_pct', 'trainable_params', 'zone_silhouette', 'signature_kind', 'n_train', 'n_test', 'wall_seconds', 'skipped'];
  return csv([
    head,
    ...rows.map((r) =>
      isSkipped(r)
        ? [r.method, r.label, '', '', '', '', '', '', '', '', '', '', '', '', '', '', r.skipped]
        : [r.method, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, r.paramsPct, r.trainableParams, r.signatures?.silhouette ?? '', r.signatures?.kind ?? '', r.nTrain, r.nTest, r.wallSeconds, ''],
    ),
    // reference rows: method names that are no method ("reference:…"), no parameters
    ...references.map((r) => [`reference:${r.name}`, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, '', '', '', '', '', '', '', '']),
  ]);
}

/** Table 2 as CSV: one row per (zone, method). */
export function table2Csv(rows: readonly LocoRow[]): string {
  return csv([
    ['zone', 'method', 'label', 'split', 'n_test', 'acc_full', 'acc_held_out', 'delta_acc', 'emd_wvb_full', 'emd_wvb_held_out', 'emd_calibration_full', 'emd_calibration_held_out'],
    ...rows.map((r) => [r.zone, r.method, r.label, r.split ?? 'zone', r.nTest, r.full.acc, r.loco.acc, r.loco.acc - r.full.acc, r.full.emdWvb, r.loco.emdWvb, r.full.emdCalibration, r.loco.emdCalibration]),
  ]);
}

// JSON turns NaN and ±Infinity into null: a skipped (non-finite) step must not make a file unreadable.
const num = z.number().nullable().transform((v) => (v == null ? NaN : v));
const finite = z.number().finite();
const methodEnum = z.enum(METHODS);

const signatureSetSchema = z.object({
  kind: z.enum(['routing', 'z']),
  countries: z.array(
    z.object({
      country: z.string(),
      zone: z.string(),
      vector: z.array(finite),
      perLayer: z.array(z.array(finite)),
      profiles: z.number().int().nonnegative(),
    }),
  ),
  silhouette: finite.nullable(),
});

/**
 * Table 1's numbers. Files written before emdWvb existed have `emd` (the per-answer EMD to P*): it is read as
 * emdCalibration, and the numbers such a file lacks (emdWvb, macro-accuracy, σ_inequity) become NaN, shown as '—'.
 */
const metricFields = {
  acc: finite,
  macroF1: finite,
  emdWvb: num,
  emdCalibration: finite,
  entropy: finite,
  macroAcc: num,
  sigmaInequity: num,
  nCountries: num,
};
function legacyMetrics(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  if ('emdCalibration' in o || !('emd' in o)) return v;
  const { emd, ...rest } = o;
  return { emdWvb: null, macroAcc: null, sigmaInequity: null, nCountries: null, ...rest, emdCalibration: emd };
}
const predictionSchema = z.object({ question: z.string(), profile: z.string(), country: z.string(), gold: z.number().int().nonnegative(), argmax: z.number().int().nonnegative(), probs: z.array(finite), attributes: z.record(z.string(), z.string()).optional() });
const methodRowSchema = z.looseObject({
  method: methodEnum,
  label: z.string(),
  ...metricFields,
  paramsPct: finite,
  trainableParams: finite,
  wallSeconds: finite,
  nTrain: finite,
  nTest: finite,
  losses: z.array(num),
  signatures: signatureSetSchema.optional(),
  predictions: z.array(predictionSchema).default([]),
});
const skippedRowSchema = z.looseObject({ method: methodEnum, label: z.string(), skipped: z.string() });
const pair = z.preprocess(
  (v) => {
    const o = v as Record<string, unknown> | null;
    return o && typeof o === 'object' && 'emd' in o && !('emdCalibration' in o) ? { acc: o.acc, emdWvb: null, emdCalibration: o.emd } : v;
  },
  z.object({ acc: finite, emdWvb: num, emdCalibration: finite }),
);
const locoRowSchema = z.looseObject({ method: methodEnum, label: z.string(), zone: z.string(), split: z.enum(['zone', 'profiles']).optional(), nTest: finite, full: pair, loco: pair });

const configSchema = z.looseObject({
  preset: z.enum(EXPERIMENT_PRESETS),
  seed: finite,
  methods: z.array(methodEnum),
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  lr: finite,
  lbLambda: finite,
  personaInPrompt: z.boolean(),
  centerConditions: z.boolean().optional(),
  chat: z.boolean().optional(),
  world: z.looseObject({ seed: finite }),
  maxExamples: z.number().int().positive().nullable(),
  loco: z.object({ methods: z.array(methodEnum), steps: z.number().int().positive() }).nullable(),
  signatureProfiles: z.number().int().positive(),
});

const statusEnum = z.enum(['running', 'paused', 'done', 'stopped', 'failed', 'interrupted', 'imported']);

const resultsFileSchema = z.object({
  config: configSchema,
  model: z.object({ label: z.string(), architecture: z.string(), numParams: finite }),
  encoder: z.object({ id: z.string(), dim: finite }),
  answerForm: z.enum(['space-letter', 'letter']).nullable().optional(),
  rows: z.array(z.union([skippedRowSchema, z.preprocess(legacyMetrics, methodRowSchema)])),
  references: z.array(z.preprocess(legacyMetrics, z.object({ name: z.enum(['question-prior', 'zone-prior', 'exact']), label: z.string(), ...metricFields }))).optional(),
  loco: z.array(locoRowSchema).default([]),
  stopped: z.boolean().optional(),
  atlas: z
    .object({
      format: z.literal(RUN_FORMAT),
      version: z.literal(1),
      id: z.string(),
      createdAt: finite,
      status: statusEnum,
      encoderId: z.string(),
      train: z.array(z.object({ method: z.string(), step: finite, loss: num, gradNorm: num, lr: num })),
      metrics: z.array(z.object({ method: z.string(), step: finite, acc: num, emd: num })),
      signatures: z.record(z.string(), z.object({ method: z.string(), step: finite, set: signatureSetSchema, updates: finite })),
      recording: z.record(z.string(), z.array(z.object({ step: finite, set: signatureSetSchema })).max(RECORDING_MAX)).optional(),
      error: z.object({ name: z.string(), message: z.string() }).nullable(),
    })
    .optional(),
});

/** Why a results file was refused, in words. */
export class RunFileError extends Error {
  override name = 'RunFileError';
}

/**
 * A results file (this app's export, or the CLI's results.json) as a run for the list. Throws
 * RunFileError naming the first problems; nothing is changed then.
 */
export function parseRunFile(text: string, fileName: string, now = Date.now()): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(`${fileName} is not JSON (${(e as Error).message}). Pick a results file saved with “Results JSON”, or a results.json from the CLI.`);
  }
  const r = resultsFileSchema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
      .join('; ');
    throw new RunFileError(`${fileName} is not a results file this app can read (${why}). Pick a file saved with “Results JSON”, or a results.json from the CLI.`);
  }
  const f = r.data;
  const config = f.config as unknown as ExperimentConfig;
  const a = f.atlas;
  const rows = f.rows as unknown as ResultRow[];
  const signatures: Record<string, SignatureSnapshot> = a ? (a.signatures as Record<string, SignatureSnapshot>) : {};
  for (const row of rows) {
    if (!isSkipped(row) && row.signatures && !signatures[row.method]) signatures[row.method] = { method: row.method, step: config.steps, set: row.signatures, updates: 1 };
  }
  return {
    version: 1,
    id: newRunId(now),
    createdAt: a?.createdAt ?? now,
    updatedAt: now,
    status: 'imported',
    config,
    encoderId: a?.encoderId ?? f.encoder.id,
    model: f.model,
    encoder: f.encoder,
    answerForm: f.answerForm ?? null,
    train: a?.train ?? [],
    metrics: a?.metrics ?? [],
    signatures,
    ...(a?.recording ? { recording: a.recording as Record<string, RecordedSignatures[]> } : {}),
    rows,
    ...(f.references ? { references: f.references } : {}),
    loco: f.loco as LocoRow[],
    phase: null,
    locoStarted: 0,
    error: a?.error ?? null,
    adapters: [],
    source: fileName,
  };
}

/** "Tiny world · 2 methods · 6 steps" */
/** The peak learning rate(s) of a run: "1e-2", or "1e-2 (Zhyper 2e-3)" when Zhyper has its own. */
export function describeLr(c: ExperimentConfig): string {
  const own = [...new Set(c.methods.flatMap((m) => (c.lrFor?.[m] != null && c.lrFor[m] !== c.lr ? [c.lrFor[m]!] : [])))];
  return own.length ? `${c.lr} (Zhyper ${own.join(', ')})` : `${c.lr}`;
}

export function describeConfig(c: ExperimentConfig): string {
  const w = c.world;
  if (c.data?.kind === 'goqa') return `GlobalOpinionQA ${c.data.file}: ${c.data.questions} questions, ${c.data.participantsPerCountry} people per country · ${c.methods.length} method${c.methods.length === 1 ? '' : 's'} · ${c.steps} steps × batch ${c.batchSize}${c.loco ? ' · Table 2' : ''}${c.recipe === 'code' ? ' · code recipe' : ''}`;
  const world = typeof w.countries === 'object' && !Array.isArray(w.countries) && 'perZone' in w.countries ? `${w.countries.perZone * ZONES.length} countries` : Array.isArray(w.countries) ? `${w.countries.length} countries` : 'all countries';
  return `${world} · ${c.methods.length} method${c.methods.length === 1 ? '' : 's'} · ${c.steps} steps × batch ${c.batchSize}${c.loco ? ' · Table 2' : ''}`;
}
