// The app's state. Data flows one way: UI → store actions → worker → results back into the store.
// Components read with useApp(selector) and call actions; they never talk to the worker themselves.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_GENERATE, WEIGHT_CHOICES, type AdapterInfo, type KernelVariants, type GenerateOptions, type GenerationResult, type LoadProgress, type ModelSummary } from '../model/api';
import { callback, getClient, onWorkerCrash } from '../worker/client';
import type { InitErrorKind, LoadResult, LocalFile, Result, WorkerError } from '../worker/protocol';
import { pickModelFolder } from './localFiles';
import { modelBusy, TRAINING_BUSY_MESSAGE } from './busy';
import { viewFromHash, type View } from './views';
import type { WeightDtype } from '../gpu/kernels';

export type GpuStatus = 'idle' | 'starting' | 'ready' | 'error' | 'lost';
export type ModelStatus = 'none' | 'loading' | 'ready' | 'error';
export type PickerTab = 'embedded' | 'hub' | 'local';
export type ErrorArea = 'gpu' | 'model' | 'generate';

export type ModelSource =
  | { kind: 'embedded'; label: string }
  | { kind: 'hub'; label: string; repoId: string }
  | { kind: 'local'; label: string; files: File[]; paths: string[] };

export interface AppError extends WorkerError {
  /** for GPU start-up errors: why */
  kind?: InitErrorKind;
}

export interface FileProgress {
  file: string;
  phase: LoadProgress['phase'];
  loaded: number;
  total: number;
}

export const HUB_EXAMPLES = ['HuggingFaceTB/SmolLM2-135M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct'];

export interface AppState {
  view: View;

  gpuStatus: GpuStatus;
  adapter: AdapterInfo | null;
  /** the kernel forms the worker's runtime chose for this adapter (src/gpu/variants.ts) */
  kernelVariants: KernelVariants | null;
  /** set when the device was lost; the UI offers "Restart GPU" */
  deviceLost: string | null;

  pickerTab: PickerTab;
  hubId: string;
  /** how loads store the weight matrices on the GPU (WEIGHT_CHOICES) */
  weights: WeightDtype;
  modelStatus: ModelStatus;
  /** what is loading or loaded (kept so a restart after device loss can load it again) */
  source: ModelSource | null;
  progress: FileProgress[];
  summary: ModelSummary | null;
  /** a non-error note about the last load, e.g. "Load cancelled." */
  modelNotice: string | null;

  prompt: string;
  opts: GenerateOptions;
  generating: boolean;
  output: string;
  tokenCount: number;
  /** live decode speed while generating */
  liveTokensPerSecond: number;
  lastResult: Pick<GenerationResult, 'stopReason' | 'prefillTokensPerSecond' | 'decodeTokensPerSecond'> & { promptTokens: number; tokens: number } | null;

  errors: Partial<Record<ErrorArea, AppError>>;

  // actions
  setView(view: View): void;
  /** start the GPU and, the first time, load the embedded default (no downloads) */
  boot(): Promise<void>;
  startGpu(): Promise<boolean>;
  restartGpu(): Promise<void>;
  setPickerTab(tab: PickerTab): void;
  setHubId(id: string): void;
  /** how the next load stores the weight matrices; changing it reloads the model that is loaded */
  setWeights(weights: WeightDtype): Promise<void>;
  loadEmbedded(): Promise<void>;
  loadHub(repoId?: string): Promise<void>;
  loadLocal(entries: LocalFile[]): Promise<void>;
  cancelLoad(): void;
  setPrompt(prompt: string): void;
  setOpts(patch: Partial<GenerateOptions>): void;
  generate(): Promise<void>;
  stop(): void;
  dismissError(area: ErrorArea): void;
}

/** The embedded default model, served from public/models/default. */
export function embeddedModelUrl(): string {
  const base = import.meta.env?.BASE_URL ?? '/';
  return `${base.replace(/\/?$/, '/')}models/default`;
}

/** `?hub=http://127.0.0.1:8123` points hub loads at another server (end-to-end tests, mirrors). */
export function hubBaseFromUrl(): string | undefined {
  if (typeof location === 'undefined') return undefined;
  return new URLSearchParams(location.search).get('hub') || undefined;
}

let booted = false;
let loadSeq = 0;
let lostHandlerRegistered = false;

function initialView(): View {
  return typeof location === 'undefined' ? 'model' : viewFromHash(location.hash);
}

export const useApp = create<AppState>()(
  persist(
    (set, get) => {
      const setError = (area: ErrorArea, error: AppError | undefined) => set((s) => ({ errors: { ...s.errors, [area]: error } }));

      async function load(source: ModelSource): Promise<void> {
        if (modelBusy.training) {
          // refused here rather than in the worker, so the loaded model and the adapter bar stay as they are
          setError('model', { name: 'TrainingBusyError', message: TRAINING_BUSY_MESSAGE });
          return;
        }
        const seq = ++loadSeq;
        const prevSource = get().source;
        if (get().generating) get().stop();
        set({ modelStatus: 'loading', source, progress: [], summary: null, modelNotice: null });
        setError('model', undefined);
        if (!(await get().startGpu())) {
          if (seq === loadSeq) set({ modelStatus: 'none' });
          return;
        }
        const client = getClient();
        const onProgress = callback((p: LoadProgress) => {
          if (seq !== loadSeq) return;
          set((s) => {
            const row: FileProgress = { file: p.file, phase: p.phase, loaded: p.loaded, total: p.total };
            const i = s.progress.findIndex((r) => r.file === p.file);
            const progress = i < 0 ? [...s.progress, row] : s.progress.map((r, j) => (j === i ? row : r));
            return { progress };
          });
        });
        let result: LoadResult;
        try {
          const opts = { weights: get().weights };
          if (source.kind === 'embedded') result = await client.loadEmbedded(embeddedModelUrl(), onProgress, opts);
          else if (source.kind === 'hub') result = await client.loadHub(source.repoId, hubBaseFromUrl(), onProgress, opts);
          else result = await client.loadFiles(source.files, source.paths, source.label, onProgress, opts);
        } catch (e) {
          result = { ok: false, error: { name: 'WorkerError', message: (e as Error).message ?? String(e) }, kept: null };
        }
        if (seq !== loadSeq) return; // a newer load took over
        if (result.ok) {
          const summary = result.value;
          set((s) => ({ modelStatus: 'ready', summary, opts: { ...s.opts, chat: summary.hasChatTemplate }, modelNotice: null }));
        } else if (get().deviceLost) {
          set({ modelStatus: 'none' }); // the device-lost panel says what happened
        } else {
          // The worker keeps the model that was loaded before a failed or cancelled load.
          const kept = result.kept;
          const cancelled = result.error.name === 'AbortError';
          set({
            modelStatus: kept ? 'ready' : cancelled ? 'none' : 'error',
            summary: kept,
            source: kept ? prevSource : source,
            modelNotice: cancelled ? (kept ? `Load cancelled; ${kept.label} is still loaded.` : 'Load cancelled. Nothing is loaded; pick a model to load.') : null,
          });
          if (!cancelled) setError('model', result.error);
        }
      }

      return {
        view: initialView(),
        gpuStatus: 'idle',
        adapter: null,
        kernelVariants: null,
        deviceLost: null,
        pickerTab: 'embedded',
        hubId: HUB_EXAMPLES[0],
        weights: 'f16',
        modelStatus: 'none',
        source: null,
        progress: [],
        summary: null,
        modelNotice: null,
        prompt: 'Describe a traditional celebration in your country in two sentences.',
        opts: { ...DEFAULT_GENERATE },
        generating: false,
        output: '',
        tokenCount: 0,
        liveTokensPerSecond: 0,
        lastResult: null,
        errors: {},

        setView(view) {
          set({ view });
          if (typeof location !== 'undefined' && viewFromHash(location.hash) !== view) {
            history.replaceState(null, '', `${location.pathname}${location.search}#/${view}`);
          }
        },

        async boot() {
          if (booted) return;
          booted = true;
          onWorkerCrash((message) => {
            set({ gpuStatus: 'error', generating: false, modelStatus: get().modelStatus === 'loading' ? 'none' : get().modelStatus });
            setError('gpu', { name: 'WorkerError', message: `The GPU worker stopped: ${message}. Reload the page to start again.`, kind: 'other' });
          });
          if (!(await get().startGpu())) return;
          if (get().modelStatus === 'none' && !get().source) await get().loadEmbedded();
        },

        async startGpu() {
          if (get().gpuStatus === 'ready') return true;
          set({ gpuStatus: 'starting' });
          setError('gpu', undefined);
          const client = getClient();
          try {
            if (!lostHandlerRegistered) {
              lostHandlerRegistered = true;
              await client.onDeviceLost(
                callback((message: string) => {
                  loadSeq++; // drop whatever load was running
                  set({ gpuStatus: 'lost', deviceLost: message, modelStatus: 'none', summary: null, progress: [], generating: false });
                }),
              );
            }
            const r = await client.init();
            if (r.ok) {
              set({ gpuStatus: 'ready', adapter: r.info, kernelVariants: r.variants, deviceLost: null });
              return true;
            }
            set({ gpuStatus: 'error', adapter: null, kernelVariants: null });
            setError('gpu', r.error);
          } catch (e) {
            set({ gpuStatus: 'error' });
            setError('gpu', { name: 'WorkerError', message: (e as Error).message ?? String(e), kind: 'other' });
          }
          return false;
        },

        async restartGpu() {
          const source = get().source;
          set({ deviceLost: null, gpuStatus: 'idle', errors: {} });
          if (!(await get().startGpu())) return;
          if (source) await load(source);
        },

        setPickerTab(pickerTab) {
          set({ pickerTab });
        },
        setHubId(hubId) {
          set({ hubId });
        },
        async setWeights(weights) {
          if (weights === get().weights) return;
          set({ weights });
          const { source, modelStatus } = get();
          if (source && modelStatus === 'ready') await load(source);
        },

        loadEmbedded() {
          return load({ kind: 'embedded', label: 'embedded default' });
        },

        async loadHub(repoId) {
          const id = (repoId ?? get().hubId).trim();
          if (repoId !== undefined) set({ hubId: id });
          if (!/^[\w.-]+\/[\w.-]+$/.test(id)) {
            set({ modelStatus: get().summary ? 'ready' : 'none' });
            setError('model', { name: 'RepoIdError', message: `"${id}" is not a Hugging Face repo id. Type it as owner/name, for example ${HUB_EXAMPLES[0]}.` });
            return;
          }
          await load({ kind: 'hub', label: id, repoId: id });
        },

        async loadLocal(entries) {
          let folder;
          try {
            folder = pickModelFolder(entries);
          } catch (e) {
            setError('model', { name: (e as Error).name, message: (e as Error).message });
            return;
          }
          await load({ kind: 'local', ...folder });
        },

        cancelLoad() {
          if (get().modelStatus !== 'loading') return;
          void getClient().cancel();
        },

        setPrompt(prompt) {
          set({ prompt });
        },
        setOpts(patch) {
          set((s) => ({ opts: { ...s.opts, ...patch } }));
        },

        async generate() {
          const s = get();
          if (s.generating || s.modelStatus !== 'ready') return;
          set({ generating: true, output: '', tokenCount: 0, liveTokensPerSecond: 0, lastResult: null });
          setError('generate', undefined);
          const onToken = callback((e: { text: string; count: number; tokensPerSecond: number }) => {
            set({ output: e.text, tokenCount: e.count, liveTokensPerSecond: e.tokensPerSecond });
          });
          const opts = { ...s.opts, chat: s.opts.chat && !!s.summary?.hasChatTemplate };
          let r: Result<GenerationResult>;
          try {
            r = await getClient().generate(s.prompt, opts, onToken);
          } catch (e) {
            r = { ok: false, error: { name: 'WorkerError', message: (e as Error).message ?? String(e) } };
          }
          if (r.ok) {
            const g = r.value;
            set({
              generating: false,
              output: g.text,
              tokenCount: g.ids.length,
              lastResult: {
                stopReason: g.stopReason,
                prefillTokensPerSecond: g.prefillTokensPerSecond,
                decodeTokensPerSecond: g.decodeTokensPerSecond,
                promptTokens: g.promptIds.length,
                tokens: g.ids.length,
              },
            });
          } else {
            set({ generating: false });
            if (!get().deviceLost) setError('generate', r.error);
          }
        },

        stop() {
          if (get().generating) void getClient().stop();
        },

        dismissError(area) {
          setError(area, undefined);
          if (area === 'model' && get().modelStatus === 'error') set({ modelStatus: 'none' });
        },
      };
    },
    {
      name: 'adapter-atlas-ui-v1',
      version: 1,
      // What the user typed survives a reload; models and GPU state do not (they are reloaded).
      partialize: (s) => ({ prompt: s.prompt, opts: s.opts, hubId: s.hubId, pickerTab: s.pickerTab, weights: s.weights }),
      merge: (persisted, current) => {
        const p = (persisted ?? {}) as Partial<AppState>;
        return {
          ...current,
          ...(typeof p.prompt === 'string' ? { prompt: p.prompt } : {}),
          ...(typeof p.hubId === 'string' ? { hubId: p.hubId } : {}),
          ...(p.pickerTab === 'embedded' || p.pickerTab === 'hub' || p.pickerTab === 'local' ? { pickerTab: p.pickerTab } : {}),
          ...(p.weights && WEIGHT_CHOICES.some((c) => c.id === p.weights) ? { weights: p.weights } : {}),
          opts: { ...current.opts, ...(p.opts ?? {}) },
        };
      },
    },
  ),
);

/** For end-to-end tests and the console: read state and simulate a device loss. */
export function exposeForTests(): void {
  if (typeof window === 'undefined') return;
  (window as unknown as { __atlas?: unknown }).__atlas = {
    getState: () => useApp.getState(),
    simulateDeviceLoss: () => getClient().simulateDeviceLoss(),
  };
}
