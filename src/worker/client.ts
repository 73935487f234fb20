// The page's handle on the runtime worker. One worker per page, created on first use.
import * as Comlink from 'comlink';
import type { RuntimeWorkerApi } from './protocol';

export type RuntimeClient = Comlink.Remote<RuntimeWorkerApi>;

let worker: Worker | null = null;
let client: RuntimeClient | null = null;
const crashListeners = new Set<(message: string) => void>();

/** Called when the worker itself fails (a script error or an uncaught exception inside it). */
export function onWorkerCrash(fn: (message: string) => void): () => void {
  crashListeners.add(fn);
  return () => crashListeners.delete(fn);
}

export function getClient(): RuntimeClient {
  if (client) return client;
  worker = new Worker(new URL('./runtime.worker.ts', import.meta.url), { type: 'module', name: 'adapter-atlas-runtime' });
  worker.addEventListener('error', (e) => {
    const msg = e.message || 'the GPU worker failed to start (see the browser console)';
    for (const fn of crashListeners) fn(msg);
  });
  client = Comlink.wrap<RuntimeWorkerApi>(worker);
  return client;
}

/** Wrap a callback so the worker calls it back on the page (Comlink.proxy). */
export function callback<F extends (...args: never[]) => unknown>(fn: F): F & Comlink.ProxyMarked {
  return Comlink.proxy(fn);
}
