// The Web Worker that owns the GPU runtime. All WebGPU work (device, weights, kernels) happens here so
// the page never freezes; the page talks to it through comlink (see client.ts and protocol.ts).
import * as Comlink from 'comlink';
import { Runtime } from '../model/runtime';
import { shaderLibrary } from '../gpu/shaders.browser';
import { fileListSource, hubSource, urlSource, type ModelFiles } from '../model/sources';
import type { GenerateOptions, LoadProgress } from '../model/api';
import type { InitErrorKind, InitResult, LoadResult, LostCallback, ProgressCallback, RuntimeWorkerApi, TokenCallback, WorkerError } from './protocol';

let runtime: Runtime | null = null;
let starting: Promise<InitResult> | null = null;
let modelLoaded = false;
let loadCtl: AbortController | null = null;
let genCtl: AbortController | null = null;
let lostCb: LostCallback | null = null;

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
  if (runtime) return { ok: true, info: runtime.info };
  if (starting) return starting;
  starting = (async (): Promise<InitResult> => {
    try {
      const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
      const rt = await Runtime.create(gpu, shaderLibrary);
      runtime = rt;
      modelLoaded = false;
      void rt.lost.then((msg) => deviceLost(rt, msg));
      return { ok: true, info: rt.info };
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

async function load(makeFiles: () => ModelFiles, onProgress?: ProgressCallback): Promise<LoadResult> {
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
    const summary = await rt.load(files, throttled(onProgress), ctl.signal);
    modelLoaded = true;
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

const api: RuntimeWorkerApi = {
  init,
  onDeviceLost(cb) {
    lostCb = cb;
  },
  loadEmbedded(baseUrl, onProgress) {
    return load(() => urlSource(baseUrl, 'embedded default'), onProgress);
  },
  loadHub(repoId, hubBase, onProgress) {
    return load(() => hubSource(repoId.trim(), hubBase ? { hub: hubBase } : {}), onProgress);
  },
  loadFiles(files, paths, label, onProgress) {
    return load(() => fileListSource(withPaths(files, paths), label), onProgress);
  },
  cancel() {
    loadCtl?.abort();
  },
  async generate(prompt, opts: GenerateOptions, onToken?: TokenCallback) {
    const rt = runtime;
    if (!rt) return { ok: false, error: { name: 'GPUUnavailableError', message: 'The GPU is not running; restart it first.' } };
    if (!modelLoaded) return { ok: false, error: { name: 'NoModelError', message: 'No model is loaded yet: load one above, then generate.' } };
    if (loadCtl) return { ok: false, error: { name: 'BusyError', message: 'A model is still loading; wait for it or cancel it.' } };
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
    loadCtl?.abort();
    genCtl?.abort();
    if (runtime && modelLoaded) runtime.unload();
    modelLoaded = false;
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
