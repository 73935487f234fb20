// The trained default adapters the app puts on at first open: found through public/adapters/manifest.json
// (the file npm run train:defaults writes, read here from disk through a stubbed fetch), and the absence
// of a manifest, of an entry or of the file falls back to a random adapter (null).
import { describe, it, expect, vi, afterEach } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

vi.mock('../../src/worker/client', () => ({ callback: <F>(f: F) => f, onWorkerCrash: () => () => {}, getClient: () => ({}) }));

const { trainedDefault, presetOf } = await import('../../src/state/lab');
const { loadAdapter } = await import('../../src/adapters/files');

/** fetch over the files of public/ ("/adapters/x" → public/adapters/x), 404 otherwise */
function servePublic(missing: string[] = []) {
  vi.stubGlobal('fetch', async (url: string) => {
    const path = join('public', url.replace(/^\//, ''));
    if (missing.some((m) => url.endsWith(m)) || !existsSync(path)) return new Response('not found', { status: 404 });
    return new Response(readFileSync(path));
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('trained defaults', () => {
  it('Zhyper and CUMA come from public/adapters: real adapter files of the embedded model', async () => {
    servePublic();
    const manifest = JSON.parse(readFileSync('public/adapters/manifest.json', 'utf8')) as { adapters: { method: string; file: string; acc: number }[] };
    expect(manifest.adapters.map((a) => a.method).sort()).toEqual(['cuma', 'zhyper-diag']);
    for (const [preset, method] of [['zhyper', 'zhyper'], ['cuma', 'cuma']] as const) {
      const d = await trainedDefault(preset, '/');
      expect(d).not.toBeNull();
      const a = loadAdapter(d!.bytes, d!.file);
      expect(a.spec.method).toBe(method);
      expect(a.spec.encoderId).toBe('use-lite-512');
      // trained: B is no longer the zero it starts from
      const B = [...a.tensors].find(([n]) => n.endsWith('.B'))![1].data;
      expect(B.some((v) => v !== 0)).toBe(true);
    }
  });

  it('no default for the other presets; a missing manifest or file gives null (a random adapter then)', async () => {
    servePublic();
    expect(await trainedDefault('lora', '/')).toBeNull();
    expect(await trainedDefault('zhyper-square', '/')).toBeNull();
    servePublic(['manifest.json']);
    expect(await trainedDefault('zhyper', '/')).toBeNull();
    servePublic(['cuma.safetensors']);
    expect(await trainedDefault('cuma', '/')).toBeNull();
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('offline');
    });
    expect(await trainedDefault('cuma', '/')).toBeNull();
  });
});

describe("the bar's method for a loaded adapter", () => {
  const base = { label: '', r: 8, alpha: 16, scale: 2, targets: [], encoderId: null, condDim: null, numLayers: 4, tensors: 8, params: 1 } as const;
  it('maps every preset back, and CUMA variants by their routing', () => {
    expect(presetOf({ ...base, method: 'lora', targets: ['q'] })).toBe('lora');
    expect(presetOf({ ...base, method: 'zhyper', variant: 'diag', targets: ['q'] })).toBe('zhyper');
    expect(presetOf({ ...base, method: 'zhyper', variant: 'square', targets: ['q'] })).toBe('zhyper-square');
    expect(presetOf({ ...base, method: 'cuma', experts: 8, topK: 2, targets: ['q'] })).toBe('cuma');
    expect(presetOf({ ...base, method: 'cuma', experts: 8, topK: 8, targets: ['q'] })).toBe('cuma-soft');
    expect(presetOf({ ...base, method: 'cuma', experts: 8, topK: 2, semanticOnly: true, targets: ['q'] })).toBe('cuma-semantic');
  });
});
