// The Web Worker that owns the GPU runtime. All WebGPU work (device, weights, kernels) happens here so
// the page never freezes; the page talks to it through comlink (see client.ts and protocol.ts).
import * as Comlink from 'comlink';
import { Runtime } from '../model/runtime';
import { shaderLibrary } from '../gpu/shaders.browser';
import { fileListSource, hubSource, urlSource, type ModelFiles } from '../model/sources';
import type { GenerateOptions, LoadProgress } from '../model/api';
import { ConditionSession, type Condition } from '../adapters/session';
import { checkAdapterFits, backboneHash, loadAdapter, saveAdapter } from '../adapters/files';
import { exportPeft } from '../adapters/peft';
import { accountingTable, MISTRAL_7B_DIMS } from '../adapters/accounting';
import { createEncoder, DEFAULT_ENCODER_ID, type ConditionEncoder } from '../condition/encoder';
import { runExperiment, type ExperimentMethod } from '../experiments/runner';
import { decodeCheckpoint, encodeCheckpoint, type RunCheckpoint } from '../experiments/checkpoint';
import type { Adapter } from '../adapters/types';
import type { InitErrorKind, InitResult, LoadOptions, LoadResult, LostCallback, ProgressCallback, Result, RuntimeWorkerApi, TokenCallback, TrainCallback, TrainOutcome, TrainRequest, WorkerError } from './protocol';
import { TRAINING_BUSY_MESSAGE } from '../state/busy';
import { createEventBatcher, createRunSwitches, type RunSwitches } from './training';

let runtime: Runtime | null = null;
let starting: Promise<InitResult> | null = null;
let modelLoaded = false;
let loadCtl: AbortController | null = null;
let genCtl: AbortController | null = null;
let lostCb: LostCallback | null = null;
/** the conditioned session on the current runtime (its adapter goes when a new model loads) */
let session: ConditionSession | null = null;
let encoder: ConditionEncoder | null = null;
let encoderLoading: Promise<ConditionEncoder> | null = null;
/** the training run in progress: while it exists the runner owns the model and its adapter slot */
let training: RunSwitches | null = null;

const TRAINING_BUSY: WorkerError = { name: 'TrainingBusyError', message: TRAINING_BUSY_MESSAGE };

function toWorkerError(e: unknown): WorkerError {
  if (e && typeof e === 'object' && 'message' in e) {
    const err = e as { name?: unknown; message?: unknown };
    return { name: typeof err.name === 'string' && err.name ? err.name : 'Error', message: String(err.message) };
  }
  return { name: 'Error', message: String(e) };
}

function initKind(name: string): InitErrorKind {
  if (name === 'GPUUnavailableError') return 'no-webgpu';
  if (name === 'GPULimitError') return 'limits';
  return 'other';
}

function deviceLost(from: Runtime, message: string) {
  if (runtime !== from) return; // an old runtime we already gave up on
  runtime = null;
  modelLoaded = false;
  loadCtl?.abort();
  genCtl?.abort();
  lostCb?.(message);
}

async function init(): Promise<InitResult> {
  if (runtime) return { ok: true, info: runtime.info, variants: runtime.variants };
  if (starting) return starting;
  starting = (async (): Promise<InitResult> => {
    try {
      const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
      const rt = await Runtime.create(gpu, shaderLibrary);
      runtime = rt;
      modelLoaded = false;
      void rt.lost.then((msg) => deviceLost(rt, msg));
      return { ok: true, info: rt.info, variants: rt.variants };
    } catch (e) {
      const err = toWorkerError(e);
      return { ok: false, error: { ...err, kind: initKind(err.name) } };
    } finally {
      starting = null;
    }
  })();
  return starting;
}

/** Progress crosses a thread boundary and re-renders the page: at most ~12 updates a second per file, never dropping a file's last one. */
function throttled(cb?: ProgressCallback): ((p: LoadProgress) => void) | undefined {
  if (!cb) return undefined;
  const last = new Map<string, { t: number; phase: string }>();
  return (p) => {
    const now = performance.now();
    const prev = last.get(p.file);
    const final = p.total > 0 && p.loaded >= p.total;
    if (prev && prev.phase === p.phase && !final && now - prev.t < 80) return;
    last.set(p.file, { t: now, phase: p.phase });
    try {
      cb(p);
    } catch {
      // the page went away; the load itself goes on
    }
  };
}

async function load(makeFiles: () => ModelFiles, onProgress?: ProgressCallback, opts: LoadOptions = {}): Promise<LoadResult> {
  if (training) return { ok: false, error: TRAINING_BUSY, kept: runtime?.summary ?? null };
  const started = await init();
  if (!started.ok) return { ok: false, error: { name: started.error.name, message: started.error.message }, kept: null };
  const rt = runtime!;
  loadCtl?.abort();
  genCtl?.abort();
  const ctl = new AbortController();
  loadCtl = ctl;
  try {
    const files = makeFiles();
    // Runtime.load checks everything it can on the CPU (config, tokenizer, every tensor's shape) before
    // it lets the current model go, so a bad download or a cancel leaves the working model in place.
    const summary = await rt.load(files, throttled(onProgress), ctl.signal, { weights: opts.weights });
    modelLoaded = true;
    if (session) session.adapter = null; // Runtime.load took the adapter off with the old model
    return { ok: true, value: summary };
  } catch (e) {
    modelLoaded = rt.model !== null;
    const kept = rt.summary;
    if (ctl.signal.aborted) return { ok: false, error: { name: 'AbortError', message: 'Load cancelled' }, kept };
    return { ok: false, error: toWorkerError(e), kept };
  } finally {
    if (loadCtl === ctl) loadCtl = null;
  }
}

function withPaths(files: File[], paths?: string[]): File[] {
  if (!paths) return files;
  return files.map((f, i) => {
    const path = paths[i];
    if (!path) return f;
    // Structured cloning keeps a File's bytes and name but not webkitRelativePath, which
    // fileListSource reads to resolve names below the folder; put it back as an own property.
    const copy = new File([f], f.name, { type: f.type, lastModified: f.lastModified });
    Object.defineProperty(copy, 'webkitRelativePath', { value: path });
    return copy;
  });
}

const fail = (name: string, message: string) => ({ ok: false as const, error: { name, message } });

/** The session, when a model is loaded and nothing else is running; else why not. */
function ready(): { s: ConditionSession } | { err: WorkerError } {
  if (!runtime) return { err: { name: 'GPUUnavailableError', message: 'The GPU is not running; restart it first.' } };
  if (!modelLoaded) return { err: { name: 'NoModelError', message: 'No model is loaded yet: load one (the embedded default works offline), then try again.' } };
  if (loadCtl) return { err: { name: 'BusyError', message: 'A model is still loading; wait for it or cancel it.' } };
  if (training) return { err: TRAINING_BUSY };
  if (!session || session.rt !== runtime) session = new ConditionSession(runtime);
  if (encoder) session.setEncoder(encoder);
  return { s: session };
}

async function getEncoder(id: string = encoder?.id ?? DEFAULT_ENCODER_ID, onProgress?: ProgressCallback): Promise<ConditionEncoder> {
  if (encoder?.id === id) return encoder;
  if (encoderLoading) await encoderLoading.catch(() => null);
  if (encoder?.id === id) return encoder;
  onProgress?.({ phase: 'download', file: id, loaded: 0, total: 0 });
  encoderLoading = createEncoder(id);
  try {
    const e = await encoderLoading;
    encoder?.dispose?.();
    encoder = e;
    session?.setEncoder(e);
    onProgress?.({ phase: 'ready', file: id, loaded: 1, total: 1 });
    return e;
  } finally {
    encoderLoading = null;
  }
}

/** Run `f` on the session with an encoder ready, turning throws into {ok: false}. */
async function withSession<T>(f: (s: ConditionSession) => Promise<T> | T): Promise<Result<T>> {
  const r = ready();
  if ('err' in r) return { ok: false, error: r.err };
  try {
    r.s.setEncoder(await getEncoder());
    return { ok: true, value: await f(r.s) };
  } catch (e) {
    return { ok: false, error: toWorkerError(e) };
  }
}

function needAdapter(s: ConditionSession) {
  if (!s.adapter) throw Object.assign(new Error('No adapter yet: make a random one or load an adapter file first.'), { name: 'NoAdapterError' });
  return s.adapter;
}

async function runGuarded<T>(f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  genCtl?.abort();
  const ctl = new AbortController();
  genCtl = ctl;
  try {
    return await f(ctl.signal);
  } finally {
    if (genCtl === ctl) genCtl = null;
  }
}

/**
 * One experiment run on the loaded model. The runner attaches its own adapters to the model and takes
 * them off at the end, so the adapter bar's adapter (and its strength) is put back afterwards.
 */
async function startTraining(req: TrainRequest, onMessage: TrainCallback): Promise<Result<TrainOutcome>> {
  const r = ready();
  if ('err' in r) return { ok: false, error: r.err.name === 'TrainingBusyError' ? { name: 'TrainingBusyError', message: 'A training run is already going; stop it first.' } : r.err };
  if (genCtl) return { ok: false, error: { name: 'BusyError', message: 'A generation or score is still running; wait a moment and start again.' } };
  const s = r.s;
  const rt = s.rt;
  const send = (m: Parameters<TrainCallback>[0]) => {
    try {
      onMessage(m);
    } catch {
      // the page went away; the run goes on until the worker does
    }
  };
  const switches = createRunSwitches((state) => send({ kind: 'state', state }));
  training = switches;
  const before = { adapter: s.adapter, strength: rt.model?.strength ?? 1 };
  const batcher = createEventBatcher((events) => send({ kind: 'progress', events }));
  try {
    const enc = await getEncoder(req.encoderId);
    s.setEncoder(enc);
    const hash = await backboneHash(rt.config!);
    const label = rt.summary?.label ?? 'backbone';
    const results = await runExperiment(rt, enc, req.config, {
      onProgress: (p) => batcher.push(p),
      shouldStop: () => switches.shouldStop(),
      whilePaused: () => switches.whilePaused(),
      metricsEvery: req.metricsEvery,
      signaturesEvery: req.signaturesEvery,
      probeSize: req.probeSize,
      checkpointEvery: req.checkpointEvery ?? 0,
      onCheckpoint: (ck: RunCheckpoint) => {
        batcher.flush(); // the page keeps the checkpoint with the steps it covers
        send({ kind: 'checkpoint', bytes: encodeCheckpoint(ck), at: ck.current && { key: ck.current.key, step: ck.current.step }, done: Object.keys(ck.done).length });
      },
      ...(req.resume ? { resume: decodeCheckpoint(req.resume) } : {}),
      onTrained: (method: ExperimentMethod, adapter: Adapter) => {
        // named for the backbone it was trained on, so loading it elsewhere is refused with the reason
        const a: Adapter = { ...adapter, spec: { ...adapter.spec, backbone: { id: label, configHash: hash } } };
        batcher.flush();
        send({ kind: 'adapter', method, name: `${method}-${label}`, bytes: saveAdapter(a) });
      },
    }, req.source);
    batcher.close();
    return { ok: true, value: { results, adapterRestored: restoreAdapter(s, before) } };
  } catch (e) {
    batcher.close();
    // a run that failed because the device went away is interrupted, not broken: the page resumes it
    const lost = await Promise.race([rt.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
    if (lost || runtime !== rt) return { ok: false, error: { name: 'DeviceLostError', message: `The GPU was lost during the run (${(e as Error).message ?? e}).` } };
    restoreAdapter(s, before);
    return { ok: false, error: toWorkerError(e) };
  } finally {
    training = null;
  }
}

/** Put the adapter bar's adapter back on the model after a run; false when it no longer fits (the bar then shows none). */
function restoreAdapter(s: ConditionSession, before: { adapter: Adapter | null; strength: number }): boolean {
  if (runtime !== s.rt || !modelLoaded) return false;
  try {
    s.useAdapter(before.adapter);
    if (before.adapter && before.strength !== 1) s.rt.setStrength(before.strength);
    return true;
  } catch {
    s.adapter = null;
    return !before.adapter;
  }
}

const api: RuntimeWorkerApi = {
  init,
  onDeviceLost(cb) {
    lostCb = cb;
  },
  loadEmbedded(baseUrl, onProgress, opts) {
    return load(() => urlSource(baseUrl, 'embedded default'), onProgress, opts);
  },
  loadHub(repoId, hubBase, onProgress, opts) {
    return load(() => hubSource(repoId.trim(), hubBase ? { hub: hubBase } : {}), onProgress, opts);
  },
  loadFiles(files, paths, label, onProgress, opts) {
    return load(() => fileListSource(withPaths(files, paths), label), onProgress, opts);
  },
  cancel() {
    loadCtl?.abort();
  },
  async generate(prompt, opts: GenerateOptions, onToken?: TokenCallback) {
    const r = ready();
    if ('err' in r) return { ok: false, error: r.err };
    const rt = r.s.rt;
    genCtl?.abort();
    const ctl = new AbortController();
    genCtl = ctl;
    try {
      const result = await rt.generate(
        prompt,
        opts,
        (e) => {
          try {
            onToken?.(e);
          } catch {
            // page gone
          }
        },
        ctl.signal,
      );
      return { ok: true, value: result };
    } catch (e) {
      return { ok: false, error: toWorkerError(e) };
    } finally {
      if (genCtl === ctl) genCtl = null;
    }
  },
  stop() {
    genCtl?.abort();
  },
  unload() {
    if (training) return; // the run holds the model; it is freed when the run ends and a new load replaces it
    loadCtl?.abort();
    genCtl?.abort();
    if (runtime && modelLoaded) runtime.unload();
    modelLoaded = false;
  },
  async setEncoder(id, onProgress) {
    // the run reads the encoder it started with; swapping it would dispose it under the run
    if (training && encoder?.id !== id) return { ok: false, error: TRAINING_BUSY };
    try {
      const e = await getEncoder(id, throttled(onProgress));
      if (session?.adapter) {
        const need = session.adapter.spec.zhyper?.condDim ?? session.adapter.spec.cuma?.condDim;
        if (need != null && need !== e.dim) {
          return fail('EncoderMismatchError', `Encoder ${e.id} gives ${e.dim} numbers, but the current adapter reads ${need} (it was made with ${session.adapter.spec.encoderId ?? 'another encoder'}). Make a new adapter for this encoder, or switch back.`);
        }
      }
      return { ok: true, value: { id: e.id, dim: e.dim } };
    } catch (e) {
      const err = toWorkerError(e);
      return fail('EncoderError', `Could not load the condition encoder ${id}: ${err.message}`);
    }
  },
  setAdapter(choice) {
    return withSession(async (s) => {
      const rt = s.rt;
      const hash = await backboneHash(rt.config!);
      const label = rt.summary?.label ?? 'backbone';
      if (choice.kind === 'new') {
        const summary = s.newAdapter(choice.preset, choice.seed, choice.init, choice.overrides);
        s.adapter!.spec.backbone = { id: label, configHash: hash };
        return summary;
      }
      const a = loadAdapter(choice.bytes, choice.name);
      checkAdapterFits(a, rt.config!, hash, label);
      const want = a.spec.encoderId;
      if (want && want !== s.encoderId) s.setEncoder(await getEncoder(want));
      return s.useAdapter(a, choice.name)!;
    });
  },
  clearAdapter() {
    return withSession((s) => {
      s.useAdapter(null);
      return null;
    });
  },
  setStrength(m) {
    return withSession((s) => {
      needAdapter(s);
      s.rt.setStrength(m);
      return null;
    });
  },
  score(c: Condition, question, options, opts) {
    return withSession((s) => runGuarded(() => s.score(c, question, options, opts)));
  },
  route(c: Condition, text: string) {
    return withSession((s) => runGuarded(() => s.route(c, text)));
  },
  generateAs(c: Condition, prompt, opts, onToken) {
    return withSession((s) =>
      runGuarded((signal) =>
        s.generate(
          c,
          prompt,
          opts,
          (e) => {
            try {
              onToken?.(e);
            } catch {
              // page gone
            }
          },
          signal,
        ),
      ),
    );
  },
  saveAdapter() {
    return withSession((s) => saveAdapter(needAdapter(s)));
  },
  exportPeft(c: Condition, baseModelId, prompt) {
    return withSession(async (s) => {
      const a = needAdapter(s);
      await s.apply({ ...c, mode: 'adapter' });
      const gpuAd = s.rt.model!.adapter!;
      let meanGates: ((l: number) => Float32Array) | undefined;
      if (a.spec.method === 'cuma') {
        // the routed update averaged over a prompt's tokens (per token it is not one static matrix)
        await s.rt.logits(s.rt.encodePrompt(prompt ?? c.text ?? 'Hello', false));
        const g = await s.rt.readGates();
        meanGates = (l) => {
          const m = new Float32Array(g.E);
          for (let t = 0; t < g.T; t++) for (let e = 0; e < g.E; e++) m[e] += g.gates[l][t * g.E + e] / g.T;
          return m;
        };
      }
      const z = gpuAd.z;
      return { ...exportPeft(a, { baseModelId, zOf: z ? (l, t) => z[l][t] : undefined, meanGates }) };
    });
  },
  accounting() {
    // shapes only: fine while a run trains
    const rt = runtime;
    if (training && rt && modelLoaded) return Promise.resolve({ ok: true as const, value: { loaded: accountingTable(rt.dims()), mistral: accountingTable(MISTRAL_7B_DIMS) } });
    return withSession((s) => ({ loaded: accountingTable(s.rt.dims()), mistral: accountingTable(MISTRAL_7B_DIMS) }));
  },
  startTraining(req, onMessage) {
    return startTraining(req, onMessage);
  },
  pauseTraining() {
    training?.pause();
  },
  resumeTraining() {
    training?.resume();
  },
  stopTraining() {
    training?.stop();
  },
  simulateDeviceLoss() {
    const rt = runtime;
    if (!rt) return;
    // Destroying the device takes the same path as a real loss (device.lost resolves, the page is told).
    try {
      rt.destroy();
    } catch {
      // already gone
    }
    setTimeout(() => deviceLost(rt, 'The GPU device was lost (destroyed for testing). Restart the GPU to continue.'), 3000);
  },
};

Comlink.expose(api);
