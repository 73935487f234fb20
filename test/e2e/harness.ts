// Shared set-up of the end-to-end tests: the app built and served by vite preview, Debian's Chromium with
// WebGPU (SwiftShader), pages with console errors logged. Screenshots go to test-results/.
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHOTS = 'test-results';
export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface Harness {
  appUrl: string;
  browser: Browser;
  open(url?: string, viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Build the app into a temporary folder, serve it, and start Chromium with WebGPU. */
export async function startHarness(): Promise<Harness> {
  mkdirSync(SHOTS, { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'atlas-dist-'));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const app: PreviewServer = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const appUrl = app.resolvedUrls!.local[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--enable-unsafe-webgpu', ...ARGS] });
  return {
    appUrl,
    browser,
    async open(url = appUrl, viewport = { width: 1440, height: 1000 }) {
      // a context of its own (storage apart from the other tests' pages); its tabs share it, as a browser's do
      const context = await browser.newContext({ viewport });
      context.on('page', (p) => p.on('pageerror', (e) => console.log('pageerror:', e.message)));
      const page = await context.newPage();
      page.on('close', () => {
        if (!context.pages().length) context.close().catch(() => {}); // the browser may be closing already
      });
      await page.goto(url);
      return page;
    },
    async close() {
      await browser.close();
      await new Promise((r) => app.httpServer.close(r));
    },
  };
}
