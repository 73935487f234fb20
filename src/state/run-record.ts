// A training run as the page keeps it: the configuration, the log the runner's progress events build (losses,
// probe metrics, the newest signatures per method, finished rows), its status and progress. Pure functions, so
// the Train view, IndexedDB and the tests all see the same record.
import { isSkipped, METHOD_NAMES, runLabel, type ExperimentConfig, type ExperimentMethod, type LocoRow, type Progress, type ReferenceRow, type ResultRow, type Results } from '../experiments/runner';
import type { SignatureSet } from '../experiments/signatures';
import { ZONES, zoneOf, type WorldConfig } from '../data';
import type { WorkerError } from '../worker/protocol';

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
  /** the step's wall time (runs recorded before timing have none) */
  ms?: number;
}
/** a loss spike or an exploding gradient (train/divergence.ts) */
export interface RunWarning {
  method: string;
  step: number;
  text: string;
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
  /** divergence warnings, in order */
  warnings?: RunWarning[];
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
  const warnings = (run.warnings ?? []).slice();
  let phase = run.phase;
  let locoStarted = run.locoStarted;
  for (const p of events) {
    // every event says which run it belongs to (Table 1's, or one of Table 2's): its label is built here
    const label = runLabel(p);
    switch (p.phase) {
      case 'prepare': {
        const table = p.table ?? 1;
        // a resumed run prepares again: it is the same run, not one more
        if (table === 2 && phase?.label !== label) locoStarted++;
        phase = { label, method: p.method, phase: 'prepare', step: 0, steps: table === 1 ? run.config.steps : (run.config.loco?.steps ?? 0), table };
        break;
      }
      case 'train':
        train.push({ method: label, step: p.step, loss: p.loss, gradNorm: p.gradNorm, lr: p.lr, ...(p.ms !== undefined ? { ms: p.ms } : {}) });
        phase = { ...(phase ?? { label, method: p.method, table: 1 as const }), phase: 'train', step: p.step, steps: p.steps };
        break;
      case 'metrics':
        metrics.push({ method: label, step: p.step, acc: p.acc, emd: p.emd });
        break;
      case 'warning':
        warnings.push({ method: label, step: p.step, text: p.text });
        break;
      case 'resume': {
        // the checkpoint is at p.step: what was logged after it is trained again, so it goes
        for (const log of [train, metrics, warnings] as { method: string; step: number }[][]) {
          for (let i = log.length - 1; i >= 0; i--) if (log[i].method === label && log[i].step > p.step) log.splice(i, 1);
        }
        phase = { ...(phase ?? { label, method: p.method, table: p.table ?? 1 }), label, method: p.method, phase: 'train', step: p.step, steps: p.steps };
        break;
      }
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
  return { ...run, train, metrics, signatures, recording, rows, phase, locoStarted, warnings, updatedAt: now };
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
    // a stopped run keeps the step it stopped at: its bar shows how far it got, not a finished method
    phase: run.phase && !res.stopped ? { ...run.phase, phase: 'done' } : run.phase,
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

/** Seconds per optimizer step measured in this run: the median of its last 10 timed steps (null before any). */
export function secondsPerStep(run: Pick<RunRecord, 'train'>): number | null {
  const ms = run.train.slice(-10).flatMap((p) => (p.ms !== undefined && Number.isFinite(p.ms) ? [p.ms] : [])).sort((a, b) => a - b);
  return ms.length ? ms[Math.floor((ms.length - 1) / 2)] / 1000 : null;
}

/** Optimizer steps the whole run takes: each trained method's (persona prompting trains none) and Table 2's runs. */
export function totalSteps(c: ExperimentConfig): number {
  const trained = c.methods.filter((m) => m !== 'persona-prompting').length;
  const zones = c.loco ? worldZones(c.world, c.data).length : 0;
  const e2 = c.loco && !c.loco.zones && !c.data && (c.loco.heldOutProfiles ?? 0) > 0 ? 1 : 0;
  const runs2 = c.loco ? c.loco.methods.reduce((k, m) => k + zones + e2 + (c.loco!.steps === c.steps && c.methods.includes(m) ? 0 : 1), 0) : 0;
  return trained * c.steps + runs2 * (c.loco?.steps ?? 0);
}

/**
 * The time left, from the steps left and the step time measured so far in this run (evaluation between methods
 * not counted, so it is a lower bound); null before the first timed step.
 */
export function timeLeft(run: RunRecord): { seconds: number; perStep: number; steps: number } | null {
  const perStep = secondsPerStep(run);
  if (perStep === null || !run.phase) return null;
  const c = run.config, ph = run.phase;
  const inRun = ph.phase === 'train' || ph.phase === 'prepare' ? Math.max(0, ph.steps - ph.step) : 0;
  let steps: number;
  if (ph.table === 1) {
    const i = c.methods.indexOf(ph.label as ExperimentMethod);
    const later = c.methods.slice(i + 1).filter((m) => m !== 'persona-prompting').length;
    const all2 = totalSteps(c) - c.methods.filter((m) => m !== 'persona-prompting').length * c.steps;
    steps = inRun + later * c.steps + all2;
  } else {
    const p = progressOf(run);
    steps = inRun + Math.max(0, p.count - p.index) * (c.loco?.steps ?? 0);
  }
  return { seconds: steps * perStep, perStep, steps };
}

/** "about 12 min", "about 40 s" */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
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

