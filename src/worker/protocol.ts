// What crosses the page ↔ worker boundary. Everything here is structured-cloneable; errors travel as
// plain {name, message} so the page can choose what to tell the user by name (ConfigError, SourceError,
// GPULimitError, AbortError, ...), never by parsing stack traces.
import type { AdapterInfo, GenerateOptions, GenerationResult, LoadProgress, ModelSummary, TokenEvent } from '../model/api';

export interface WorkerError {
  name: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: WorkerError };

/** A failed or cancelled load leaves the model that was loaded before in place; `kept` names it. */
export type LoadResult = { ok: true; value: ModelSummary } | { ok: false; error: WorkerError; kept: ModelSummary | null };

/** Why the GPU could not be started: no WebGPU at all, an adapter below our limits, or anything else. */
export type InitErrorKind = 'no-webgpu' | 'limits' | 'other';

export type InitResult = { ok: true; info: AdapterInfo } | { ok: false; error: WorkerError & { kind: InitErrorKind } };

export type ProgressCallback = (p: LoadProgress) => void;
export type TokenCallback = (e: TokenEvent) => void;
export type LostCallback = (message: string) => void;

/** A local file and its path below the folder the user picked or dropped ("SmolLM2/config.json"). */
export interface LocalFile {
  path: string;
  file: File;
}

/** The API the worker exposes with comlink.expose; the page sees it through comlink.wrap. */
export interface RuntimeWorkerApi {
  /** Start (or, after a device loss, restart) the GPU runtime. Safe to call again: a live runtime is reused. */
  init(): Promise<InitResult>;
  /** Register the page's device-lost handler (pass it wrapped in comlink.proxy). */
  onDeviceLost(cb: LostCallback): void;
  /** Load the embedded default model from a URL folder (e.g. `${BASE_URL}models/default`). */
  loadEmbedded(baseUrl: string, onProgress?: ProgressCallback): Promise<LoadResult>;
  /** Load a Hugging Face repo by id; `hubBase` overrides https://huggingface.co (tests use a local server). */
  loadHub(repoId: string, hubBase?: string, onProgress?: ProgressCallback): Promise<LoadResult>;
  /**
   * Load a model from local files. `paths` (parallel to `files`) are the paths below the picked folder,
   * because structured cloning drops File.webkitRelativePath.
   */
  loadFiles(files: File[], paths?: string[], label?: string, onProgress?: ProgressCallback): Promise<LoadResult>;
  /** Abort the load in progress (it then fails with name "AbortError"). */
  cancel(): void;
  generate(prompt: string | number[], opts: GenerateOptions, onToken?: TokenCallback): Promise<Result<GenerationResult>>;
  /** Stop the generation in progress; it resolves with stopReason "cancelled" and the text so far. */
  stop(): void;
  /** Free the model's GPU memory. */
  unload(): void;
  /** For end-to-end tests: behave exactly as if the device had been lost. */
  simulateDeviceLoss(): void;
}
