// What crosses the page ↔ worker boundary. Everything here is structured-cloneable; errors travel as
// plain {name, message} so the page can choose what to tell the user by name (ConfigError, SourceError,
// GPULimitError, AbortError, ...), never by parsing stack traces.
import type { AdapterInfo, KernelVariants, GenerateOptions, GenerationResult, LoadProgress, ModelSummary, TokenEvent } from '../model/api';
import type { WeightDtype } from '../gpu/kernels';
import type { AdapterSummary, Condition, MethodPreset, ScoreResult, SpecOverrides } from '../adapters/session';
import type { AccountingTable } from '../adapters/accounting';
import type { DataSource, ExperimentConfig, ExperimentMethod, Progress, Results } from '../experiments/runner';

export type { AdapterSummary, Condition, MethodPreset, ScoreResult, SpecOverrides };

/** Where an adapter comes from: made now (random: untrained but visibly active; train: B = 0), or a saved file. */
export type AdapterChoice = { kind: 'new'; preset: MethodPreset; seed: number; init: 'random' | 'train'; overrides?: SpecOverrides } | { kind: 'file'; name: string; bytes: Uint8Array };

/** A PEFT export: file name → contents (adapter_config.json text, adapter_model.safetensors bytes). */
export type PeftFiles = Record<string, string | Uint8Array>;

export interface WorkerError {
  name: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: WorkerError };

/** A failed or cancelled load leaves the model that was loaded before in place; `kept` names it. */
export type LoadResult = { ok: true; value: ModelSummary } | { ok: false; error: WorkerError; kept: ModelSummary | null };

/** Why the GPU could not be started: no WebGPU at all, an adapter below our limits, or anything else. */
export type InitErrorKind = 'no-webgpu' | 'limits' | 'other';

/** variants: the kernel forms this device runs (src/gpu/variants.ts), shown with the adapter */
export type InitResult = { ok: true; info: AdapterInfo; variants: KernelVariants } | { ok: false; error: WorkerError & { kind: InitErrorKind } };

export type ProgressCallback = (p: LoadProgress) => void;
export type TokenCallback = (e: TokenEvent) => void;
export type LostCallback = (message: string) => void;

/** A training run as the Train view asks for it: the runner's config and how often to report. */
export interface TrainRequest {
  config: ExperimentConfig;
  /** the condition encoder the conditioned methods read (the adapter bar's choice) */
  encoderId: string;
  /** probe metrics (accuracy, EMD) every n steps; 0: only at the end of each method */
  metricsEvery: number;
  /** per-country signatures every n steps; 0: only after each method */
  signaturesEvery: number;
  /** test answers in the metrics probe */
  probeSize: number;
  /** the survey file config.data names (a GlobalOpinionQA file loaded in the page) */
  source?: DataSource;
  /** send a checkpoint every n optimizer steps, and after every finished run (0: never) */
  checkpointEvery?: number;
  /** go on from this checkpoint (experiments/checkpoint.ts bytes) */
  resume?: Uint8Array;
}

/**
 * What a run reports while it goes. Progress comes in batches (the worker collects events for a
 * fraction of a second, keeping only the newest signatures per method), so a fast run never floods
 * the page; each trained Table 1 adapter comes once, as an adapter-atlas safetensors file.
 */
export type TrainMessage =
  | { kind: 'progress'; events: Progress[] }
  | { kind: 'adapter'; method: ExperimentMethod; name: string; bytes: Uint8Array }
  | { kind: 'state'; state: 'running' | 'paused' }
  /** the run's latest checkpoint, for the page to keep (IndexedDB) */
  | { kind: 'checkpoint'; bytes: Uint8Array; at: { key: string; step: number } | null; done: number };

export type TrainCallback = (m: TrainMessage) => void;

/** How a run ended: the runner's results (stopped: true after Stop), and whether the adapter bar's adapter is back on the model. */
export interface TrainOutcome {
  results: Results;
  /** false when the adapter that was on the model before the run could not be put back (the adapter bar then has none) */
  adapterRestored: boolean;
}

/** A local file and its path below the folder the user picked or dropped ("SmolLM2/config.json"). */
export interface LocalFile {
  path: string;
  file: File;
}

/** The API the worker exposes with comlink.expose; the page sees it through comlink.wrap. */
/** How a model is loaded: its weight matrices' storage on the GPU (f16 unless told; ModelOptions.weights) */
export interface LoadOptions {
  weights?: WeightDtype;
}

export interface RuntimeWorkerApi {
  /** Start (or, after a device loss, restart) the GPU runtime. Safe to call again: a live runtime is reused. */
  init(): Promise<InitResult>;
  /** Register the page's device-lost handler (pass it wrapped in comlink.proxy). */
  onDeviceLost(cb: LostCallback): void;
  /** Load the embedded default model from a URL folder (e.g. `${BASE_URL}models/default`). */
  loadEmbedded(baseUrl: string, onProgress?: ProgressCallback, opts?: LoadOptions): Promise<LoadResult>;
  /** Load a Hugging Face repo by id; `hubBase` overrides https://huggingface.co (tests use a local server). */
  loadHub(repoId: string, hubBase?: string, onProgress?: ProgressCallback, opts?: LoadOptions): Promise<LoadResult>;
  /**
   * Load a model from local files. `paths` (parallel to `files`) are the paths below the picked folder,
   * because structured cloning drops File.webkitRelativePath.
   */
  loadFiles(files: File[], paths?: string[], label?: string, onProgress?: ProgressCallback, opts?: LoadOptions): Promise<LoadResult>;
  /** Abort the load in progress (it then fails with name "AbortError"). */
  cancel(): void;
  generate(prompt: string | number[], opts: GenerateOptions, onToken?: TokenCallback): Promise<Result<GenerationResult>>;
  /** Stop the generation in progress; it resolves with stopReason "cancelled" and the text so far. */
  stop(): void;
  /** Free the model's GPU memory. */
  unload(): void;
  /** Pick the condition encoder by id (the offline default, or a hub feature-extraction model). */
  setEncoder(id: string, onProgress?: ProgressCallback): Promise<Result<{ id: string; dim: number }>>;
  /** Put an adapter on the loaded model; a new model load takes it off. */
  setAdapter(choice: AdapterChoice): Promise<Result<AdapterSummary>>;
  clearAdapter(): Promise<Result<null>>;
  /** Adapter strength: 0 = backbone, 1 = as trained, 2 = doubled. */
  setStrength(m: number): Promise<Result<null>>;
  /** A multiple-choice question answered by one persona: option probabilities, z, gates. */
  score(c: Condition, question: string, options: string[], opts: { chat: boolean; routing?: boolean }): Promise<Result<ScoreResult>>;
  /** CUMA: every token's gates at every layer for a text, as one persona (the Learn view's routing chapter). */
  route(c: Condition, text: string): Promise<Result<NonNullable<ScoreResult['gates']>>>;
  /** Generate as one persona (streams like generate). */
  generateAs(c: Condition, prompt: string, opts: GenerateOptions, onToken?: TokenCallback): Promise<Result<GenerationResult>>;
  /** The adapter as an adapter-atlas safetensors file. */
  saveAdapter(): Promise<Result<Uint8Array>>;
  /** A materialized LoRA for one condition, in PEFT layout. */
  exportPeft(c: Condition, baseModelId: string, prompt?: string): Promise<Result<PeftFiles>>;
  /** Trainable parameters of each method for the loaded backbone, and for Mistral-7B's shapes. */
  accounting(): Promise<Result<{ loaded: AccountingTable; mistral: AccountingTable }>>;
  /**
   * Run an experiment (Table 1, and Table 2 when the config asks) on the loaded model. Resolves when the
   * run ends: finished, stopped (results.stopped), or failed ({ok: false}; the progress sent so far
   * stands). While it runs, every call that uses or changes the model or its adapter (load, generate,
   * setAdapter, score, ...) is refused with a TrainingBusyError rather than queued: a queued call
   * would wait minutes with no sign of why. Only one run at a time.
   */
  startTraining(req: TrainRequest, onMessage: TrainCallback): Promise<Result<TrainOutcome>>;
  /** Pause between optimizer steps (the run keeps the model; resume or stop it). */
  pauseTraining(): void;
  resumeTraining(): void;
  /** End the run after the current step; the methods finished so far are returned. */
  stopTraining(): void;
  /** For end-to-end tests: behave exactly as if the device had been lost. */
  simulateDeviceLoss(): void;
}
