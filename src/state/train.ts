// State of the Train view: the form, the runs (the one in the worker and the ones kept in IndexedDB),
// and the actions that start, pause, resume and stop a run. Like store.ts and lab.ts: UI → actions
// here → worker → progress back into the store; components never talk to the worker.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { METHODS, type ExperimentMethod } from '../experiments/runner';
import { callback, getClient } from '../worker/client';
import type { Result, TrainMessage, TrainOutcome, TrainRequest, WorkerError } from '../worker/protocol';
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
  /** go on with an interrupted run from its last checkpoint (kept in IndexedDB): after a reload, a closed tab or a lost device */
  resumeRun(id: string): Promise<void>;
  /** the latest checkpoint of each run this page knows of: where a resume would start (null: none) */
  checkpoints: Record<string, { step: number; key: string; done: number; savedAt: number } | null>;
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
/** checkpoints of this page's runs, in memory too (storage may have refused them) */
const checkpointCache = new Map<string, Uint8Array>();
/** optimizer steps between checkpoints in the browser (each is a read of the adapter and its moments from the GPU) */
export const CHECKPOINT_EVERY = 5;
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

      /** each launch's number: a run's late answer from the worker (after a lost device) is ignored once another launch began */
      let launchSeq = 0;
      let inflight: Promise<unknown> = Promise.resolve();

      /**
       * Keep a run's checkpoint: memory, then IndexedDB. The store's `checkpoints` says what a reload would find, so
       * it changes only once the write has landed (a reload while the write is in flight finds the one before).
       */
      async function keepCheckpoint(id: string, m: Extract<TrainMessage, { kind: 'checkpoint' }>) {
        checkpointCache.set(id, m.bytes);
        const known = () => set((st) => ({ checkpoints: { ...st.checkpoints, [id]: m.at ? { ...m.at, done: m.done, savedAt: Date.now() } : { key: '', step: 0, done: m.done, savedAt: Date.now() } } }));
        const s = await db();
        if (!s) return known();
        try {
          await s.putCheckpoint({ runId: id, bytes: m.bytes, savedAt: Date.now(), at: m.at, done: m.done });
          known();
        } catch (e) {
          set({ storageError: storageMessage(e) });
          known(); // this page can still resume from memory (a lost device); a reload cannot, and the error says so
        }
      }

      /**
       * A lost GPU mid-run: the run is interrupted, not failed. Once the page has heard of the loss, the device is
       * started again, the model reloaded, and the run resumed from its last checkpoint, without a click.
       */
      async function resumeAfterLoss(id: string) {
        updateRun(id, (r) => interruptRun({ ...r, status: 'running' }));
        set({ activeId: null, control: 'idle', notice: 'The GPU was lost during the run: restarting it, reloading the model and resuming from the last checkpoint…' });
        modelBusy.training = false;
        await saveSoon(id, true);
        await inflight;
        const lost = () => ['lost', 'error'].includes(useApp.getState().gpuStatus);
        for (let i = 0; i < 100 && !lost(); i++) await new Promise((r) => setTimeout(r, 100));
        if (useApp.getState().gpuStatus === 'error') {
          setError('run', { name: 'DeviceLostError', message: 'The GPU stopped during the run and the worker could not start again. Reload the page; the run resumes from its last checkpoint with one click.' });
          return;
        }
        await useApp.getState().restartGpu();
        if (useApp.getState().modelStatus !== 'ready') {
          setError('run', { name: 'DeviceLostError', message: 'The GPU stopped during the run and the model could not be loaded again. Load it, then resume the run.' });
          return;
        }
        await get().resumeRun(id);
      }

      // a lost device (or a crashed worker) interrupts the run: it resumes by itself from its last checkpoint
      useApp.subscribe((s, prev) => {
        if (s.gpuStatus === prev.gpuStatus || (s.gpuStatus !== 'lost' && s.gpuStatus !== 'error')) return;
        const id = get().activeId;
        if (!id) return;
        launchSeq++; // the worker's late answer for this run is not the run's end
        void resumeAfterLoss(id);
      });

      /** Run (or resume) run `id` in the worker: progress, checkpoints and adapters come back into the record. */
      async function launch(id: string, req: TrainRequest): Promise<void> {
        const seq = ++launchSeq;
        modelBusy.training = true;
        // held until the run's last record is written: other tabs then know it is not cut off
        const release = holdRunLock(id);
        let settle!: () => void;
        inflight = new Promise<void>((r) => (settle = r));
        try {
          void save(runById(id)!);
          const onMessage = callback((m: TrainMessage) => {
            if (seq !== launchSeq) return;
            if (m.kind === 'progress') {
              updateRun(id, (r) => applyEvents(r, m.events));
              if (get().control === 'starting') set({ control: 'running', notice: null });
              saveSoon(id);
            } else if (m.kind === 'state') {
              updateRun(id, (r) => (isLive(r) ? { ...r, status: m.state } : r));
              if (get().activeId === id && get().control !== 'stopping') set({ control: m.state });
              saveSoon(id, true);
            } else if (m.kind === 'checkpoint') {
              void keepCheckpoint(id, m);
              saveSoon(id, true); // the record keeps up with its checkpoint
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
            r = await getClient().startTraining({ ...req, checkpointEvery: CHECKPOINT_EVERY }, onMessage);
          } catch (e) {
            r = { ok: false, error: err(e) };
          }
          if (seq !== launchSeq) return; // the device-lost handler took over this run
          modelBusy.training = false;
          if (!r.ok && r.error.name === 'DeviceLostError') {
            launchSeq++;
            void resumeAfterLoss(id);
            return;
          }
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
          settle();
          await saveSoon(id, true);
          release();
        }
      }

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
        checkpoints: {},

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
          // where each interrupted run would resume
          const found: TrainState['checkpoints'] = {};
          if (s) {
            for (const r of kept.filter((r) => r.status === 'interrupted' || r.status === 'failed')) {
              try {
                const c = await s.getCheckpoint(r.id);
                if (c) found[r.id] = { key: c.at?.key ?? '', step: c.at?.step ?? 0, done: c.done, savedAt: c.savedAt };
              } catch (e) {
                set({ storageError: storageMessage(e) });
              }
            }
          }
          set((st) => ({ checkpoints: { ...found, ...st.checkpoints } }));
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
          await launch(id, { config, encoderId, metricsEvery: st.form.metricsEvery, signaturesEvery: st.form.signaturesEvery, probeSize: st.form.probeSize, ...(source ? { source } : {}) });
        },

        async resumeRun(id): Promise<void> {
          if (get().control !== 'idle') return;
          setError('run', undefined);
          const run = runById(id);
          if (!run || (run.status !== 'interrupted' && run.status !== 'failed')) return;
          const app = useApp.getState();
          const fail = (message: string): void => {
            setError('run', { name: 'ResumeError', message });
          };
          if (app.modelStatus !== 'ready' || !app.summary) return fail('Load the model this run trained on, then resume.');
          if (run.model && (run.model.label !== app.summary.label || run.model.numParams !== app.summary.numParams)) return fail(`This run trained on ${run.model.label}; ${app.summary.label} is loaded. Load ${run.model.label} to resume it.`);
          let bytes = checkpointCache.get(id) ?? null;
          if (!bytes) {
            const s = await db();
            try {
              bytes = (await s?.getCheckpoint(id))?.bytes ?? null;
            } catch (e) {
              set({ storageError: storageMessage(e) });
            }
          }
          if (!bytes) return fail('This run has no checkpoint to resume from (it ended before its first one was saved, or the browser did not keep it). Start it again.');
          const goqa = get().goqa;
          if (run.config.data && goqa?.name !== run.config.data.file) return fail(`This run read ${run.config.data.file}: load that GlobalOpinionQA file in the data section, then resume.`);
          const source = run.config.data && goqa ? { goqa: { questions: goqa.questions } } : undefined;
          const form = get().form;
          updateRun(id, (r) => ({ ...r, status: 'running', error: null, updatedAt: Date.now() }));
          set({ currentId: id, activeId: id, control: 'starting', notice: 'Resuming from the last checkpoint…' });
          await launch(id, { config: run.config, encoderId: run.encoderId ?? useLab.getState().encoderId, metricsEvery: form.metricsEvery, signaturesEvery: form.signaturesEvery, probeSize: form.probeSize, resume: bytes, ...(source ? { source } : {}) });
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
