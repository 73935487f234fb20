// Both encoder paths in Chromium, from the app's own Vite config, with every request to another
// host refused: USE Lite from the files the plugin serves (tfjs wasm backend) and the tiny ONNX
// encoder through transformers.js web + onnxruntime-web's bundled wasm. The vectors must be the
// ones Node computes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { mkdtempSync, readFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeTinyEncoder } from '../../scripts/make-test-encoder';
import { createDefaultEncoder } from '../../src/condition/encoder';
import { createHubEncoder } from '../../src/condition/hub';
import { linearize } from '../../src/condition/profile';

const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const TEXTS = [linearize({ age: 34, gender: 'Female', country: 'Norway', religion: 'Protestant' }), 'Hello world'];

let server: ViteDevServer;
let browser: Browser;
let models: string;

beforeAll(async () => {
  models = mkdtempSync(join(tmpdir(), 'atlas-browser-models-'));
  writeTinyEncoder(join(models, 'tiny-bert'));
  server = await createServer({
    configFile: resolve('vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
    plugins: [
      {
        name: 'tiny-models',
        configureServer(s) {
          s.middlewares.use((req, res, next) => {
            const m = /^\/tiny-models\/(.+)$/.exec((req.url ?? '').split('?')[0]);
            const file = m && join(models, decodeURIComponent(m[1]));
            if (!file || !file.startsWith(models) || !existsSync(file) || !statSync(file).isFile()) return next();
            res.end(readFileSync(file));
          });
        },
      },
    ],
  });
  await server.listen();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(models, { recursive: true, force: true });
});

describe('condition encoders in the browser', () => {
  it('embed offline and give the vectors Node gives', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route('**', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      outside.push(url.href);
      return route.abort();
    });
    const base = server.resolvedUrls!.local[0];
    const query = new URLSearchParams({ texts: JSON.stringify(TEXTS), models: `${base}tiny-models/` });
    await page.goto(`${base}test/condition/browser-page/index.html?${query}`);
    await page.waitForFunction(() => window.conditionResult, null, { timeout: 90_000 });
    const got = (await page.evaluate(() => window.conditionResult))!;
    expect(got.error).toBeUndefined();
    expect(outside).toEqual([]);

    const use = await (await createDefaultEncoder()).embed(TEXTS);
    const tiny = await (await createHubEncoder('tiny-bert', { localModelPath: models, allowRemote: false })).embed(TEXTS);
    for (const [browserVs, nodeVs] of [[got.use!, use], [got.tiny!, tiny]] as const) {
      expect(browserVs.length).toBe(TEXTS.length);
      browserVs.forEach((v, i) => {
        expect(v.length).toBe(nodeVs[i].length);
        expect(Math.max(...v.map((x, j) => Math.abs(x - nodeVs[i][j])))).toBeLessThan(1e-5);
      });
    }
    await page.close();
  });
});
