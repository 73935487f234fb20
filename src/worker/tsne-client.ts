// The page's handle on the t-SNE worker (one per page, created when the Atlas first needs it).
import * as Comlink from 'comlink';
import type { TsneWorkerApi } from './tsne.worker';

let client: Comlink.Remote<TsneWorkerApi> | null = null;

export function getTsneClient(): Comlink.Remote<TsneWorkerApi> {
  if (client) return client;
  const worker = new Worker(new URL('./tsne.worker.ts', import.meta.url), { type: 'module', name: 'adapter-atlas-tsne' });
  client = Comlink.wrap<TsneWorkerApi>(worker);
  return client;
}
