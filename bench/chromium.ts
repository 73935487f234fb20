// Drives bench/browser.html in Debian's Chromium (--enable-unsafe-webgpu) and saves its report.
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { writeSmolShaped } from './smol-model';
import { exportOnnxRepo } from './onnx-llama';
import { saveReport } from './bench';
import type { BenchReport } from './core';

const smol = resolve(writeSmolShaped('bench/.cache/smol-shaped'));
// the transformers.js peer's models: each of ours as an ONNX repo, in both graphs (bench/onnx-llama.ts)
const onnx = resolve('bench/.cache/onnx');
for (const kind of ['standard', 'fused'] as const) {
  exportOnnxRepo('public/models/default', `${onnx}/default-${kind}`, kind);
  exportOnnxRepo(smol, `${onnx}/smol-${kind}`, kind);
}
// hmr off: an edit to a source file while the benchmark runs must not reload the page and restart it
const server = await createServer({ logLevel: 'warn', server: { port: 0, host: '127.0.0.1', hmr: false, fs: { allow: ['.', smol, onnx] } } });
await server.listen();
const url = server.resolvedUrls!.local[0];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('[page]', m.text()));
  const q = ['quick', 'train-only', 'no-train', 'adapters-only'].filter((f) => process.argv.includes(`--${f}`)).map((f) => `&${f}`).join('');
  await page.goto(`${url}bench/browser.html?smol=${encodeURIComponent('/@fs' + smol)}&onnx=${encodeURIComponent('/@fs' + onnx)}${q}`);
  await page.waitForFunction(() => {
    const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
    return w.__benchResult || w.__benchError;
  }, undefined, { timeout: 1_800_000, polling: 1000 });
  const err = await page.evaluate(() => (window as unknown as { __benchError?: string }).__benchError);
  if (err) throw new Error(`benchmark failed in Chromium: ${err}`);
  const report = (await page.evaluate(() => (window as unknown as { __benchResult: unknown }).__benchResult)) as BenchReport;
  saveReport(report, process.argv.includes('--train-only') ? 'chromium-train' : process.argv.includes('--adapters-only') ? 'chromium-adapters' : 'chromium');
} finally {
  await browser.close();
  await server.close();
}
process.exit(0);
