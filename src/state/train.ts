// State of the Train view: the form, the runs (the one in the worker and the ones kept in IndexedDB),
// and the actions that start, pause, resume and stop a run. Like store.ts and lab.ts: UI → actions
// here → worker → progress back into the store; components never talk to the worker.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { METHODS, type ExperimentMethod } from '../experiments/runner';
import { callback, getClient } from '../worker/client';
import type { Result, TrainMessage, TrainOutcome, WorkerError } from '../worker/protocol';
import {
  applyEvents,
  buildConfig,
  defaultForm,
  failRun,
  finishRun,
  formProblem,
  interruptRun,
  isLive,
  newRun,
  newRunId,
  parseRunFile,
  runToExport,
  table1Csv,
  table2Csv,
  type RunRecord,
  type TrainForm,
  type WorldChoice,
  worldPatch,
  WORLD_CHOICE_IDS,
} from './runlog';
import { openRunStore, storageMessage, type RunStore } from './runsDb';
import { holdRunLock, liveRunIds, runChannel, whenRunEnds, type RunNews } from './runLocks';
import { useApp, type AppError } from './store';
import { useLab } from './lab';
import { modelBusy } from './busy';
import { RECIPES, type Recipe } from '../experiments/recipes';
import { decodeSurveyBytes } from '../data/encoding';
import { fetchGlobalOpinions, importGlobalOpinions, GLOBAL_OPINIONS_DATASET, GLOBAL_OPINIONS_FILE, type GlobalOpinionsImport, type OpinionQuestion } from '../data/import-goqa';
import type { ImportIssue } from '../data/import-common';

function goqaLoaded(name: string, r: GlobalOpinionsImport, decodeWarnings: string[]): GoqaLoaded {
  const warnings = [...decodeWarnings, ...r.warnings.map((w) => `line ${w.line}: ${w.reason}`)];
  if (r.unknownCountries.length) warnings.push(`countries with no cultural zone (left out): ${r.unknownCountries.join(', ')}`);
  for (const m of r.mergedSamples) warnings.push(`${m.country}: ${m.used.join(' + ')} counts${m.dropped.length ? `; not counted: ${m.dropped.join(', ')}` : ''}`);
  return { name, questions: r.questions, rejected: r.bad, warnings, unknownCountries: r.unknownCountries };
}

export type TrainArea = 'run' | 'import' | 'export' | 'compare' | 'data';

/** A GlobalOpinionQA file as read in this tab: its questions, and what the importer said. */
export interface GoqaLoaded {
  name: string;
  questions: OpinionQuestion[];
  rejected: ImportIssue[];
  warnings: string[];
  unknownCountries: string[];
}
/** what the controls may do now */
export type RunControl = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'stopping';

export interface TrainState {
  form: TrainForm;

  // not persisted (runs live in IndexedDB)
  runs: RunRecord[];
  /** the run the view shows */
  currentId: string | null;
  /** the run in the worker */
  activeId: string | null;
  control: RunControl;
  /** the run list was read from storage (or storage failed) */
  loaded: boolean;
  /** set when storage failed: runs then live in memory only */
  storageError: string | null;
  errors: Partial<Record<TrainArea, AppError>>;
  notice: string | null;
  /** the GlobalOpinionQA file loaded in this tab (not kept across reloads: the data is the user's) */
  goqa: GoqaLoaded | null;
  /** a fetch from the hub in flight */
  goqaBusy: boolean;

  setForm(patch: Partial<TrainForm>): void;
  toggleMethod(m: ExperimentMethod): void;
  toggleLocoMethod(m: ExperimentMethod): void;
  setWorld(w: WorldChoice): void;
  resetForm(): void;
  /** read the kept runs (once); runs a reload cut off become 'interrupted' */
  init(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): void;
  openRun(id: string | null): void;
  deleteRun(id: string): Promise<void>;
  importFile(file: File): Promise<void>;
  exportJson(id?: string): string | null;
  exportCsv(table: 1 | 2, id?: string): string | null;
  /** a trained adapter's safetensors bytes (memory first, then storage) */
  adapterBytes(runId: string, method: ExperimentMethod): Promise<Uint8Array | null>;
  /** put a trained adapter on the model through the adapter bar's file path, and open Compare */
  loadIntoCompare(runId: string, method: ExperimentMethod): Promise<void>;
  dismiss(area: TrainArea): void;
  /** read a GlobalOpinionQA CSV the user dropped or picked */
  loadGoqaFile(file: File): Promise<void>;
  /** fetch a GlobalOpinionQA CSV from the Hugging Face hub (a dataset id; the browser reaches the hub) */
  fetchGoqa(datasetId: string): Promise<void>;
  dismissStorage(): void;
}

/** a run that says it is going but is not this tab's: another tab is training it */
export const runElsewhere = (s: Pick<TrainState, 'activeId'>, r: RunRecord | undefined): boolean => !!r && isLive(r) && r.id !== s.activeId;

let store: RunStore | null = null;
let storeOpening: Promise<RunStore | null> | null = null;
/** adapters of this page's runs, kept in memory too (storage may have refused them) */
const adapterCache = new Map<string, Uint8Array>();
const adapterKey = (runId: string, method: string) => `${runId}/${method}`;

function err(e: unknown): WorkerError {
  const x = e as { name?: string; message?: string };
  return { name: x?.name || 'Error', message: x?.message ?? String(e) };
}

const PERSIST_EVERY_MS = 2000;

export const useTrain = create<TrainState>()(
  persist(
    (set, get) => {
      const setError = (area: TrainArea, e: AppError | undefined) => set((s) => ({ errors: { ...s.errors, [area]: e } }));

      async function db(): Promise<RunStore | null> {
        if (store) return store;
        storeOpening ??= openRunStore().then(
          (s) => (store = s),
          (e) => {
            set({ storageError: storageMessage(e) });
            return null;
          },
        );
        return storeOpening;
      }

      /** write a run and tell the other tabs; a failure is reported once and the run goes on in memory */
      async function save(run: RunRecord): Promise<void> {
        const s = await db();
        if (s) {
          try {
            await s.putRun(run);
          } catch (e) {
            set({ storageError: storageMessage(e) });
          }
        }
        channel?.post({ kind: 'run', run });
      }

      /** put a run from elsewhere (another tab, storage) into the list, newest first; never this tab's own live run */
      function upsert(run: RunRecord) {
        if (run.id === get().activeId) return;
        set((st) => {
          const i = st.runs.findIndex((r) => r.id === run.id);
          if (i >= 0) return { runs: st.runs.map((r) => (r.id === run.id ? run : r)) };
          const runs = [...st.runs, run].sort((a, b) => b.createdAt - a.createdAt);
          return { runs, currentId: st.currentId ?? run.id };
        });
      }

      // Another tab's run, as that tab saves it; and runs deleted there.
      const channel = runChannel((n: RunNews) => {
        if (n.kind === 'run') {
          upsert(n.run);
          if (isLive(n.run) && n.run.id !== get().activeId) void db().then((s) => s && watchElsewhere(s, n.run.id));
        } else if (n.id !== get().activeId) dropRun(n.id);
      });

      /** take a run off the list; the view moves to the newest if it showed that one */
      function dropRun(id: string) {
        set((st) => {
          const runs = st.runs.filter((r) => r.id !== id);
          return { runs, currentId: st.currentId === id ? (runs[0]?.id ?? null) : st.currentId };
        });
      }

      /** a run another tab is training: once that tab lets go of it, finished or closed, show how it ended */
      const watched = new Set<string>();
      function watchElsewhere(s: RunStore, id: string) {
        if (watched.has(id)) return;
        watched.add(id);
        whenRunEnds(id, async () => {
          try {
            const r = await s.getRun(id);
            if (!r) return;
            const fixed = interruptRun(r); // still 'running' with nobody holding it: the tab went away
            if (fixed !== r) await save(fixed);
            upsert(fixed);
          } catch (e) {
            set({ storageError: storageMessage(e) });
          }
        });
      }

      const updateRun = (id: string, f: (r: RunRecord) => RunRecord) => set((s) => ({ runs: s.runs.map((r) => (r.id === id ? f(r) : r)) }));
      const runById = (id: string | null | undefined) => (id ? get().runs.find((r) => r.id === id) : undefined);

      // Progress arrives several times a second; the record is written at most every PERSIST_EVERY_MS
      // (and at once when the run changes state), so storage never becomes the bottleneck.
      let lastSaved = 0;
      let saveTimer: ReturnType<typeof setTimeout> | null = null;
      function saveSoon(id: string, now = false): Promise<void> {
        const flush = () => {
          saveTimer = null;
          lastSaved = Date.now();
          const r = runById(id);
          return r ? save(r) : Promise.resolve();
        };
        if (now) {
          if (saveTimer) clearTimeout(saveTimer);
          return flush();
        }
        if (!saveTimer) saveTimer = setTimeout(flush, Math.max(0, PERSIST_EVERY_MS - (Date.now() - lastSaved)));
        return Promise.resolve();
      }

      // a lost device or a crashed worker ends the run; what it had is kept
      useApp.subscribe((s, prev) => {
        if (s.gpuStatus === prev.gpuStatus || (s.gpuStatus !== 'lost' && s.gpuStatus !== 'error')) return;
        const id = get().activeId;
        if (!id) return;
        updateRun(id, (r) => failRun(r, { name: 'DeviceLostError', message: 'The GPU stopped during the run. The steps and results so far are kept; restart the GPU in the Model view to train again.' }));
        set({ activeId: null, control: 'idle' });
        modelBusy.training = false;
        saveSoon(id, true);
      });

      return {
        form: defaultForm(),
        runs: [],
        currentId: null,
        activeId: null,
        control: 'idle',
        loaded: false,
        storageError: null,
        errors: {},
        notice: null,
        goqa: null,
        goqaBusy: false,

        setForm(patch) {
          set((s) => ({ form: { ...s.form, ...patch } }));
        },
        toggleMethod(m) {
          set((s) => ({ form: { ...s.form, methods: s.form.methods.includes(m) ? s.form.methods.filter((x) => x !== m) : METHODS.filter((x) => x === m || s.form.methods.includes(x)) } }));
        },
        toggleLocoMethod(m) {
          set((s) => ({ form: { ...s.form, locoMethods: s.form.locoMethods.includes(m) ? s.form.locoMethods.filter((x) => x !== m) : METHODS.filter((x) => x === m || s.form.locoMethods.includes(x)) } }));
        },
        setWorld(world) {
          set((s) => ({ form: { ...s.form, ...worldPatch(world) } }));
        },
        resetForm() {
          set({ form: defaultForm() });
        },

        async init() {
          if (get().loaded) return;
          const s = await db();
          let kept: RunRecord[] = [];
          if (s) {
            try {
              // a run another open tab is training is left as it is, and watched until it ends
              const live = await liveRunIds();
              kept = await s.recover(live);
              for (const r of kept) if (isLive(r) && live?.has(r.id)) watchElsewhere(s, r.id);
            } catch (e) {
              set({ storageError: storageMessage(e) });
            }
          }
          // runs of this page (started before the list was read) stay first
          set((st) => {
            const mine = new Set(st.runs.map((r) => r.id));
            const runs = [...st.runs, ...kept.filter((r) => !mine.has(r.id))];
            return { runs, loaded: true, currentId: st.currentId ?? runs[0]?.id ?? null };
          });
        },

        async start() {
          const st = get();
          if (st.control !== 'idle') return;
          setError('run', undefined);
          const app = useApp.getState();
          if (app.modelStatus !== 'ready' || !app.summary) {
            setError('run', { name: 'NoModelError', message: app.modelStatus === 'loading' ? 'The model is still loading; start the run when it is ready.' : 'No model is loaded yet.' });
            return;
          }
          const problem = formProblem(st.form, !!st.goqa);
          if (problem) {
            setError('run', { name: 'FormError', message: problem });
            return;
          }
          const config = buildConfig(st.form, st.goqa?.name);
          const source = st.form.data === 'goqa' && st.goqa ? { goqa: { questions: st.goqa.questions } } : undefined;
          const encoderId = useLab.getState().encoderId;
          const id = newRunId();
          const run = newRun(id, config, { encoderId, model: { label: app.summary.label, architecture: app.summary.architecture, numParams: app.summary.numParams } });
          set((s) => ({ runs: [run, ...s.runs], currentId: id, activeId: id, control: 'starting', notice: null }));
          modelBusy.training = true;
          // held until the run's last record is written: other tabs then know it is not cut off
          const release = holdRunLock(id);
          try {
            void save(run);

            const onMessage = callback((m: TrainMessage) => {
              if (m.kind === 'progress') {
                updateRun(id, (r) => applyEvents(r, m.events));
                if (get().control === 'starting') set({ control: 'running' });
                saveSoon(id);
              } else if (m.kind === 'state') {
                updateRun(id, (r) => (isLive(r) ? { ...r, status: m.state } : r));
                if (get().activeId === id && get().control !== 'stopping') set({ control: m.state });
                saveSoon(id, true);
              } else if (m.kind === 'adapter') {
                adapterCache.set(adapterKey(id, m.method), m.bytes);
                updateRun(id, (r) => ({ ...r, adapters: [...r.adapters.filter((a) => a.method !== m.method), { method: m.method, name: m.name, bytes: m.bytes.byteLength }] }));
                void (async () => {
                  const s = await db();
                  if (!s) return;
                  try {
                    await s.putAdapter({ runId: id, method: m.method, name: m.name, bytes: m.bytes, createdAt: Date.now() });
                  } catch (e) {
                    set({ storageError: storageMessage(e) });
                  }
                })();
                saveSoon(id);
              }
            });
            let r: Result<TrainOutcome>;
            try {
              r = await getClient().startTraining({ config, encoderId, metricsEvery: st.form.metricsEvery, signaturesEvery: st.form.signaturesEvery, probeSize: st.form.probeSize, ...(source ? { source } : {}) }, onMessage);
            } catch (e) {
              r = { ok: false, error: err(e) };
            }
            modelBusy.training = false;
            if (get().activeId !== id) return; // the device-lost handler already ended it
            if (r.ok) {
              const outcome = r.value;
              updateRun(id, (run) => finishRun(run, outcome.results));
              if (!outcome.adapterRestored) {
                // the adapter bar's adapter could not go back on the model: say so there
                useLab.setState({ adapter: null, origin: null });
              }
            } else {
              const e = r.error;
              updateRun(id, (run) => failRun(run, e));
              setError('run', e);
            }
            set({ activeId: null, control: 'idle' });
          } finally {
            await saveSoon(id, true);
            release();
          }
        },

        pause() {
          if (get().control !== 'running') return;
          // 'paused' comes from the worker once the step in flight has finished
          set({ control: 'pausing' });
          void getClient().pauseTraining();
        },
        resume() {
          const c = get().control;
          if (c !== 'paused' && c !== 'pausing') return;
          if (c === 'pausing') set({ control: 'running' });
          void getClient().resumeTraining();
        },
        stop() {
          const c = get().control;
          if (c !== 'running' && c !== 'paused' && c !== 'pausing' && c !== 'starting') return;
          set({ control: 'stopping' });
          void getClient().stopTraining();
        },

        openRun(id) {
          set({ currentId: id, notice: null });
        },

        async deleteRun(id) {
          if (id === get().activeId) return; // stop it first (the button says so)
          if (runElsewhere(get(), runById(id))) return; // another tab is training it
          const s = await db();
          if (s) {
            try {
              await s.deleteRun(id);
            } catch (e) {
              set({ storageError: storageMessage(e) });
              return; // keep it listed: it is still stored
            }
          }
          channel?.post({ kind: 'deleted', id });
          for (const k of [...adapterCache.keys()]) if (k.startsWith(`${id}/`)) adapterCache.delete(k);
          dropRun(id);
        },

        async importFile(file) {
          setError('import', undefined);
          let run: RunRecord;
          try {
            run = parseRunFile(await file.text(), file.name);
          } catch (e) {
            setError('import', err(e));
            return;
          }
          set((s) => ({ runs: [run, ...s.runs], currentId: run.id, notice: `Imported ${file.name}.` }));
          await save(run);
        },

        exportJson(id) {
          const r = runById(id ?? get().currentId);
          return r ? JSON.stringify(runToExport(r), null, 2) + '\n' : null;
        },
        exportCsv(table, id) {
          const r = runById(id ?? get().currentId);
          if (!r) return null;
          return table === 1 ? table1Csv(r.rows, r.references) : table2Csv(r.loco);
        },

        async adapterBytes(runId, method) {
          const hit = adapterCache.get(adapterKey(runId, method));
          if (hit) return hit;
          const s = await db();
          if (!s) return null;
          try {
            const a = await s.getAdapter(runId, method);
            if (a) adapterCache.set(adapterKey(runId, method), a.bytes);
            return a?.bytes ?? null;
          } catch (e) {
            set({ storageError: storageMessage(e) });
            return null;
          }
        },

        async loadIntoCompare(runId, method) {
          setError('compare', undefined);
          if (get().activeId) {
            setError('compare', { name: 'TrainingBusyError', message: 'A run is training on the model; load the adapter when it has finished (or stop it).' });
            return;
          }
          const bytes = await get().adapterBytes(runId, method);
          const info = runById(runId)?.adapters.find((a) => a.method === method);
          if (!bytes || !info) {
            setError('compare', { name: 'AdapterMissingError', message: `The ${method} adapter of this run is not stored (storage refused it, or the run was imported from a results file).` });
            return;
          }
          const name = `${info.name}.safetensors`;
          const lab = useLab.getState();
          await lab.loadAdapterFile(new File([new Uint8Array(bytes)], name), { kind: 'kept', runId, method, file: name });
          const e = useLab.getState().errors.adapter;
          if (e) {
            setError('compare', e);
            return;
          }
          useApp.getState().setView('compare');
        },

        dismiss(area) {
          setError(area, undefined);
        },
        async loadGoqaFile(file) {
          setError('data', undefined);
          try {
            const d = decodeSurveyBytes(new Uint8Array(await file.arrayBuffer()), file.name);
            const r = importGlobalOpinions(d.text);
            set({ goqa: goqaLoaded(file.name, r, d.warnings) });
            get().setForm({ data: 'goqa' });
          } catch (e) {
            setError('data', { name: 'ImportError', message: `${file.name} could not be read as GlobalOpinionQA: ${(e as Error).message}` });
          }
        },
        async fetchGoqa(datasetId) {
          setError('data', undefined);
          set({ goqaBusy: true });
          try {
            const r = await fetchGlobalOpinions({ datasetId: datasetId.trim() || GLOBAL_OPINIONS_DATASET });
            set({ goqa: goqaLoaded(`${datasetId.trim() || GLOBAL_OPINIONS_DATASET} (${GLOBAL_OPINIONS_FILE})`, r, []) });
            get().setForm({ data: 'goqa' });
          } catch (e) {
            setError('data', { name: 'ImportError', message: (e as Error).message });
          } finally {
            set({ goqaBusy: false });
          }
        },
        dismissStorage() {
          set({ storageError: null });
        },
      };
    },
    {
      name: 'adapter-atlas-train-v1',
      version: 1,
      // The form survives a reload; runs are in IndexedDB.
      partialize: (s) => ({ form: s.form }),
      merge: (persisted, current) => {
        const p = (persisted ?? {}) as Partial<TrainState>;
        const f = p.form;
        if (!f || typeof f !== 'object') return current;
        const d = defaultForm();
        const methods = Array.isArray(f.methods) ? METHODS.filter((m) => f.methods.includes(m)) : d.methods;
        const locoMethods = Array.isArray(f.locoMethods) ? METHODS.filter((m) => f.locoMethods.includes(m)) : d.locoMethods;
        const form: TrainForm = { ...d };
        const nullable = new Set<keyof TrainForm>(['maxExamples', 'maxTest', 'maxOptions', 'lrZhyper']);
        const out = form as unknown as Record<string, unknown>;
        for (const k of Object.keys(d) as (keyof TrainForm)[]) {
          const v = (f as unknown as Record<string, unknown>)[k];
          if ((typeof v === typeof d[k] && !Array.isArray(v)) || (v === null && nullable.has(k))) out[k] = v;
        }
        form.methods = methods;
        form.locoMethods = locoMethods;
        if (!RECIPES.includes(form.recipe)) form.recipe = d.recipe;
        form.recipes = Object.fromEntries(Object.entries(form.recipes ?? {}).filter(([m, r]) => (METHODS as readonly string[]).includes(m) && RECIPES.includes(r as Recipe)));
        if (form.data !== 'synthetic' && form.data !== 'goqa') form.data = d.data;
        if (!WORLD_CHOICE_IDS.includes(form.world)) form.world = d.world;
        return { ...current, form };
      },
    },
  ),
);

/** For end-to-end tests and the console. */
export function exposeTrainForTests(): void {
  if (typeof window === 'undefined') return;
  const w = window as unknown as { __atlas?: Record<string, unknown> };
  w.__atlas = { ...(w.__atlas ?? {}), getTrain: () => useTrain.getState() };
}
