// Where a model's files come from. Every source answers the same three questions, so the loader
// never knows whether it reads the embedded default, a Hugging Face repo, a local folder or a Node path.

export interface Progress {
  file: string;
  loaded: number;
  /** bytes expected, when the server says (0 when unknown) */
  total: number;
}

export interface ModelFiles {
  /** shown to the user: "embedded default", a repo id, a folder name */
  label: string;
  has(name: string): Promise<boolean>;
  readText(name: string): Promise<string>;
  readBytes(name: string, onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<Uint8Array>;
}

export class SourceError extends Error {
  override name = 'SourceError';
}

async function readStream(res: Response, file: string, onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel();
      throw new DOMException('Download cancelled', 'AbortError');
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ file, loaded, total });
  }
  if (total && loaded !== total) throw new SourceError(`${file}: download ended at ${loaded} of ${total} bytes`);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}

/** Files served over HTTP under one base URL (the embedded default in public/, or any static folder). */
export function urlSource(baseUrl: string, label = baseUrl, fetchFn: typeof fetch = fetch): ModelFiles {
  const url = (name: string) => `${baseUrl.replace(/\/$/, '')}/${name}`;
  const get = async (name: string, signal?: AbortSignal) => {
    let res: Response;
    try {
      res = await fetchFn(url(name), { signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new SourceError(`could not fetch ${name} from ${label} (${(e as Error).message}); check the network connection`);
    }
    if (!res.ok) throw new SourceError(`could not fetch ${name} from ${label}: HTTP ${res.status}`);
    return res;
  };
  return {
    label,
    async has(name) {
      try {
        const r = await fetchFn(url(name), { method: 'HEAD' });
        // Vite's dev server answers unknown paths with index.html; a JSON/binary file is never text/html.
        return r.ok && !(r.headers.get('content-type') ?? '').includes('text/html');
      } catch {
        return false;
      }
    },
    readText: async (name) => (await get(name)).text(),
    readBytes: async (name, onProgress, signal) => readStream(await get(name, signal), name, onProgress, signal),
  };
}

export const HF_HUB = 'https://huggingface.co';
export const MODEL_CACHE = 'adapter-atlas-models-v1';

/**
 * A Hugging Face model repo by id, e.g. "HuggingFaceTB/SmolLM2-135M-Instruct". Files are streamed with
 * progress and kept in the browser's Cache Storage, so the second load needs no network.
 * `hub` is configurable so tests serve the same URL layout from a local server.
 */
export function hubSource(repoId: string, opts: { hub?: string; revision?: string; fetchFn?: typeof fetch; cacheName?: string | null } = {}): ModelFiles {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repoId)) throw new SourceError(`"${repoId}" is not a Hugging Face repo id (expected owner/name)`);
  const hub = (opts.hub ?? HF_HUB).replace(/\/$/, '');
  const rev = opts.revision ?? 'main';
  const fetchFn = opts.fetchFn ?? fetch;
  const cacheName = opts.cacheName === undefined ? MODEL_CACHE : opts.cacheName;
  const url = (name: string) => `${hub}/${repoId}/resolve/${rev}/${name}`;
  const openCache = async () => (cacheName && typeof caches !== 'undefined' ? caches.open(cacheName) : null);

  async function get(name: string, signal?: AbortSignal): Promise<{ res: Response; fromCache: boolean }> {
    const cache = await openCache();
    const hit = await cache?.match(url(name));
    if (hit) return { res: hit, fromCache: true };
    let res: Response;
    try {
      res = await fetchFn(url(name), { signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new SourceError(`download of ${name} from ${repoId} failed (${(e as Error).message}): you appear to be offline and it is not cached yet`);
    }
    if (res.status === 401 || res.status === 403) throw new SourceError(`${repoId} is gated or private (HTTP ${res.status}): it needs a Hugging Face login, which this app does not do`);
    if (res.status === 404) throw new SourceError(`${name} was not found in ${repoId} (HTTP 404): check the repo id`);
    if (!res.ok) throw new SourceError(`download of ${name} from ${repoId} failed: HTTP ${res.status}`);
    return { res, fromCache: false };
  }

  return {
    label: repoId,
    async has(name) {
      const cache = await openCache();
      if (await cache?.match(url(name))) return true;
      try {
        const r = await fetchFn(url(name), { method: 'HEAD' });
        return r.ok;
      } catch {
        return false;
      }
    },
    async readText(name) {
      const { res, fromCache } = await get(name);
      const text = await res.text();
      if (!fromCache) await (await openCache())?.put(url(name), new Response(text, { headers: { 'content-type': 'text/plain' } }));
      return text;
    },
    async readBytes(name, onProgress, signal) {
      const { res, fromCache } = await get(name, signal);
      const bytes = await readStream(res, name, onProgress, signal);
      if (!fromCache) {
        await (await openCache())?.put(url(name), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.byteLength) } }));
      }
      return bytes;
    },
  };
}

/** A folder the user picked or dropped: File objects whose webkitRelativePath (or name) ends in the file name. */
export function fileListSource(files: File[], label?: string): ModelFiles {
  const byName = new Map<string, File>();
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    // Keep the path below the picked folder so sharded names like "model-00001-of-00002.safetensors" resolve.
    byName.set(parts.length > 1 ? parts.slice(1).join('/') : rel, f);
  }
  const folder = label ?? ((files[0] as File & { webkitRelativePath?: string })?.webkitRelativePath?.split('/')[0] || 'local folder');
  const need = (name: string) => {
    const f = byName.get(name);
    if (!f) throw new SourceError(`${name} is missing from the folder "${folder}"`);
    return f;
  };
  return {
    label: folder,
    has: async (name) => byName.has(name),
    readText: async (name) => need(name).text(),
    async readBytes(name, onProgress) {
      const f = need(name);
      const bytes = new Uint8Array(await f.arrayBuffer());
      onProgress?.({ file: name, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    },
  };
}
