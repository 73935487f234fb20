// A run as a file: results JSON in the CLI's results.json shape plus the run's log, and the parser that reads
// it back (or refuses it with a reason).
import { newRunId, RECORDING_MAX, type MetricPoint, type RecordedSignatures, type RunRecord, type RunStatus, type SignatureSnapshot, type TrainPoint, type RunWarning } from './run-record';
import { z } from 'zod';
import { EXPERIMENT_PRESETS, isSkipped, locoTable, markdownTable, METHODS, type ExperimentConfig, type LocoRow, type ResultRow, type Results } from '../experiments/runner';
import type { WorkerError } from '../worker/protocol';

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
    warnings?: RunWarning[];
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
      ...(run.warnings?.length ? { warnings: run.warnings } : {}),
    },
  };
}

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
  /** written since intervals were: n and the 95% bootstrap intervals */
  n: z.number().int().nonnegative().optional(),
  ci: z.object({ acc: z.tuple([num, num]), macroF1: z.tuple([num, num]), emdWvb: z.tuple([num, num]), emdCalibration: z.tuple([num, num]) }).optional(),
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
      train: z.array(z.object({ method: z.string(), step: finite, loss: num, gradNorm: num, lr: num, ms: finite.optional() })),
      metrics: z.array(z.object({ method: z.string(), step: finite, acc: num, emd: num })),
      signatures: z.record(z.string(), z.object({ method: z.string(), step: finite, set: signatureSetSchema, updates: finite })),
      recording: z.record(z.string(), z.array(z.object({ step: finite, set: signatureSetSchema })).max(RECORDING_MAX)).optional(),
      error: z.object({ name: z.string(), message: z.string() }).nullable(),
      warnings: z.array(z.object({ method: z.string(), step: finite, text: z.string() })).optional(),
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
    ...(a?.warnings?.length ? { warnings: a.warnings } : {}),
  };
}

