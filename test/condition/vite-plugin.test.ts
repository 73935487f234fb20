// The app serves the default encoder's files itself: the dev server answers them and `vite build`
// writes them into dist/, and what is served loads as the same model.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, createServer, type ViteDevServer } from 'vite';
import { encoderAssets, encoderAssetFiles } from '../../src/condition/vite-plugin';
import { TFJS_WASM_FILES, USE_LITE_FILES, USE_LITE_URL_PATH } from '../../src/condition/files';
import { createDefaultEncoder } from '../../src/condition/encoder';

let root: string;
let server: ViteDevServer;
let base: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'atlas-vite-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><body><script type="module">console.log(1)</script></body></html>');
  server = await createServer({
    configFile: false,
    root,
    logLevel: 'silent',
    plugins: [encoderAssets()],
    server: { host: '127.0.0.1', port: 0 },
  });
  await server.listen();
  base = server.resolvedUrls!.local[0] + USE_LITE_URL_PATH;
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('encoder assets plugin', () => {
  it('finds every model and wasm file in node_modules', () => {
    const files = encoderAssetFiles();
    expect([...files.keys()].sort()).toEqual([...USE_LITE_FILES, ...TFJS_WASM_FILES].sort());
    const bytes = [...files.values()].reduce((s, p) => s + statSync(p).size, 0);
    expect(bytes).toBeGreaterThan(20e6);
  });

  it('serves them from the dev server with their content types', async () => {
    const json = await fetch(base + 'model.json');
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect((await json.json()).weightsManifest[0].paths).toEqual(USE_LITE_FILES.filter((f) => f.startsWith('group1')));
    const wasm = await fetch(base + 'tfjs-backend-wasm-simd.wasm');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer()).slice(0, 4)).toEqual(Uint8Array.of(0, 0x61, 0x73, 0x6d));
    // only the listed names: no path out of the package folders
    const other = await fetch(base + '..%2Fpackage.json');
    expect(await other.text()).not.toContain('model-embeddings-en');
  });

  it('serves a model that embeds exactly like the one read from disk', async () => {
    const served = await createDefaultEncoder({ modelUrl: base });
    const local = await createDefaultEncoder();
    const text = 'Age: 34. Gender: Female. Country: Norway.';
    const [a] = await served.embed([text]);
    const [b] = await local.embed([text]);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('writes them into the build output', async () => {
    const outDir = join(root, 'dist');
    await build({ configFile: false, root, logLevel: 'silent', plugins: [encoderAssets()], build: { outDir, emptyOutDir: true } });
    for (const [name, path] of encoderAssetFiles()) {
      const built = readFileSync(join(outDir, USE_LITE_URL_PATH, name));
      expect(built.equals(readFileSync(path))).toBe(true);
    }
  });
});
