// End-to-end in Debian's Chromium (SwiftShader WebGPU): the built app served locally, the embedded
// default generating text, a Hugging Face load from a local server that mimics the hub (progress,
// cache: offline the second time), and the error panels. Screenshots go to test-results/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chromium, type Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeModel } from '../../scripts/make-test-models';
import { ARGS, CHROMIUM, SHOTS, startHarness, type Harness } from './harness';

let h: Harness;
let appUrl: string;
let hub: Server;
let hubUrl: string;
let hubRequests = 0;
let hubUp = true;
let slowHub = false;
let localDir: string;

beforeAll(async () => {
  h = await startHarness();
  appUrl = h.appUrl;

  // A local stand-in for the hub: /{owner}/{name}/resolve/main/{file}, with content-length for progress.
  const root = mkdtempSync(join(tmpdir(), 'atlas-hub-'));
  makeModel('qwen2', join(root, 'test-org/tiny-qwen2'));
  makeModel('llama', join(root, 'test-org/tiny-gpt2'));
  localDir = makeModel('qwen2', join(mkdtempSync(join(tmpdir(), 'atlas-local-')), 'tiny-qwen2'));
  const cfg = JSON.parse(readFileSync(join(root, 'test-org/tiny-gpt2/config.json'), 'utf8'));
  writeFileSync(join(root, 'test-org/tiny-gpt2/config.json'), JSON.stringify({ ...cfg, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
  hub = createServer((req, res) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(decodeURIComponent(req.url ?? ''));
    const slow = !!m && m[1].endsWith('-slow');
    const file = m ? join(root, slow ? m[1].slice(0, -5) : m[1], m[2]) : '';
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length');
    if (!hubUp) return void res.destroy();
    hubRequests++;
    if (!m || !existsSync(file)) return void res.writeHead(404).end('not found');
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.byteLength, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') return void res.end();
    if (!(slow && slowHub && file.endsWith('.safetensors'))) return void res.end(body);
    // trickle the weights: 2 KiB every 100 ms, stopped when the client goes away
    let off = 0;
    const timer = setInterval(() => {
      if (off >= body.byteLength || res.destroyed) {
        clearInterval(timer);
        return void res.end();
      }
      res.write(body.subarray(off, (off += 2048)));
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await h?.close();
  hub?.close();
});

function open(url: string): Promise<Page> {
  return h.open(url);
}

describe('app in Chromium', () => {
  it('shows the adapter, loads the embedded default offline and streams generated text', async () => {
    const page = await open(appUrl);
    await expect.poll(() => page.getByTestId('adapter-info').innerText(), { timeout: 60_000 }).toMatch(/swiftshader|google|vulkan/i);
    // the kernel forms the runtime chose for this adapter (Chromium's SwiftShader has subgroups), with the reason
    await expect.poll(() => page.getByTestId('kernel-variants').innerText(), { timeout: 60_000 }).toBe('subgroup GEMVs, split adapter path');
    expect(await page.getByTestId('kernel-variants').getAttribute('title')).toMatch(/^a subgroup per 4 rows\. SwiftShader: subgroup GEMVs/);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('prompt').fill('Tell me about Norway.');
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await page.getByTestId('output').innerText()).trim().length, { timeout: 120_000 }).toBeGreaterThan(5);
    // the final line (prefill and decode speed) appears when generation has finished
    await expect.poll(() => page.getByTestId('tokens-per-second').innerText(), { timeout: 120_000 }).toMatch(/prefill [\d.]+ tokens\/s.*decode [\d.]+ tokens\/s/);
    await page.screenshot({ path: join(SHOTS, 'e2e-model-view.png'), fullPage: true });
    await page.close();
  });

  it('stores the weights in 8-bit when the user picks it: the model reloads in less memory, generates, and the choice persists', async () => {
    const page = await open(appUrl);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('summary-weights').innerText()).toBe('f16 (half the memory of f32)');
    const memory = async () => Number(/([\d.]+) MiB/.exec(await page.getByTestId('model-summary').innerText())?.[1]);
    const f16MiB = await memory();
    await page.getByTestId('weights-select').selectOption('q8');
    await expect.poll(() => page.getByTestId('summary-weights').innerText(), { timeout: 120_000 }).toBe('8-bit (0.28× the memory of f32)');
    expect(await page.getByTestId('summary-weights').getAttribute('title')).toMatch(/blocks of 32 signed bytes/);
    expect(await memory()).toBeLessThan(0.6 * f16MiB);
    await page.getByTestId('prompt').fill('Tell me about Norway.');
    await page.getByTestId('generate').click();
    await expect.poll(() => page.getByTestId('tokens-per-second').innerText(), { timeout: 120_000 }).toMatch(/prefill [\d.]+ tokens\/s.*decode [\d.]+ tokens\/s/);
    expect((await page.getByTestId('output').innerText()).trim().length).toBeGreaterThan(0);
    expect(await page.getByTestId('weights-detail').innerText()).toMatch(/^0\.28× the memory of f32; a scale per 32 weights/);
    await page.screenshot({ path: join(SHOTS, 'e2e-model-q8.png'), fullPage: true });
    await page.reload();
    await expect.poll(() => page.getByTestId('summary-weights').innerText(), { timeout: 120_000 }).toBe('8-bit (0.28× the memory of f32)');
    expect(await page.getByTestId('weights-select').inputValue()).toBe('q8');
    await page.getByTestId('weights-select').selectOption('f16'); // leave the shared profile as the other tests expect it
    await expect.poll(() => page.getByTestId('summary-weights').innerText(), { timeout: 120_000 }).toBe('f16 (half the memory of f32)');
    await page.close();
  });

  it('loads a model by repo id from the hub with progress, then again from the cache with the hub down', async () => {
    const page = await open(`${appUrl}?hub=${encodeURIComponent(hubUrl)}`);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('source-hub').click();
    await page.getByTestId('hub-id').fill('test-org/tiny-qwen2');
    const before = hubRequests;
    await page.getByTestId('hub-load').click();
    await page.getByTestId('model-status').filter({ hasText: /ready · test-org\/tiny-qwen2/ }).waitFor({ timeout: 120_000 });
    expect(hubRequests).toBeGreaterThan(before);
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await page.getByTestId('output').innerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-hub-loaded.png'), fullPage: true });

    hubUp = false; // offline: the second load must come from Cache Storage
    await page.reload();
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('source-hub').click();
    await page.getByTestId('hub-id').fill('test-org/tiny-qwen2');
    await page.getByTestId('hub-load').click();
    await page.getByTestId('model-status').filter({ hasText: /ready · test-org\/tiny-qwen2/ }).waitFor({ timeout: 120_000 });
    hubUp = true;
    await page.close();
  });

  it('says clearly when a repo is missing or its architecture is unsupported, and keeps the prompt', async () => {
    const page = await open(`${appUrl}?hub=${encodeURIComponent(hubUrl)}`);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('prompt').fill('my carefully written prompt');
    await page.getByTestId('source-hub').click();
    await page.getByTestId('hub-id').fill('test-org/tiny-gpt2');
    await page.getByTestId('hub-load').click();
    await expect.poll(() => page.getByTestId('error').first().innerText(), { timeout: 60_000 }).toMatch(/unsupported model architecture "GPT2LMHeadModel"/);
    await page.screenshot({ path: join(SHOTS, 'e2e-unsupported.png'), fullPage: true });
    await page.getByTestId('hub-id').fill('test-org/does-not-exist');
    await page.getByTestId('hub-load').click();
    await expect.poll(() => page.getByTestId('error').first().innerText(), { timeout: 60_000 }).toMatch(/404|not found/i);
    expect(await page.getByTestId('prompt').inputValue()).toBe('my carefully written prompt');
    // the model that was loaded before the failed loads still answers
    expect(await page.getByTestId('model-status').innerText()).toMatch(/ready · embedded default/);
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await page.getByTestId('output').innerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.close();
  });

  it('loads a local folder the user picks, and shows download progress that can be cancelled', async () => {
    const page = await open(`${appUrl}?hub=${encodeURIComponent(hubUrl)}`);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('source-local').click();
    await page.getByTestId('local-input').setInputFiles(localDir);
    await page.getByTestId('model-status').filter({ hasText: /ready · tiny-qwen2/ }).waitFor({ timeout: 120_000 });
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await page.getByTestId('output').innerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(0);

    // a slow download: the progress bar shows bytes, and Cancel stops it with the old model still there
    slowHub = true;
    await page.getByTestId('source-hub').click();
    await page.getByTestId('hub-id').fill('test-org/tiny-qwen2-slow');
    await page.getByTestId('hub-load').click();
    await expect.poll(() => page.getByTestId('load-progress').innerText(), { timeout: 60_000 }).toMatch(/model\.safetensors/);
    await page.screenshot({ path: join(SHOTS, 'e2e-download-progress.png'), fullPage: true });
    await page.getByTestId('cancel-load').click();
    await expect.poll(() => page.getByTestId('model-status').innerText(), { timeout: 60_000 }).toMatch(/ready · tiny-qwen2$/);
    slowHub = false;
    await page.close();
  });

  it('recovers from a lost GPU device: tells the user, restarts, keeps the prompt', async () => {
    const page = await open(appUrl);
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('prompt').fill('keep me');
    await page.evaluate(() => (window as unknown as { __atlas: { simulateDeviceLoss(): Promise<void> } }).__atlas.simulateDeviceLoss());
    await expect.poll(() => page.getByTestId('error').first().innerText(), { timeout: 60_000 }).toMatch(/lost/i);
    await page.screenshot({ path: join(SHOTS, 'e2e-device-lost.png'), fullPage: true });
    await page.getByTestId('restart-gpu').click();
    await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('prompt').inputValue()).toBe('keep me');
    await page.getByTestId('generate').click();
    await expect.poll(async () => (await page.getByTestId('output').innerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(0);
    await page.close();
  });

  it('tells the user which browser or flag to use when WebGPU is missing', async () => {
    const noGpu = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-webgpu', ...ARGS] });
    const page = await noGpu.newPage();
    await page.goto(appUrl);
    expect(await page.evaluate(() => 'gpu' in navigator && !!navigator.gpu && navigator.gpu.requestAdapter().then((a) => !!a))).toBeFalsy();
    await expect.poll(() => page.getByTestId('error').first().innerText(), { timeout: 60_000 }).toMatch(/WebGPU is not available|no GPU adapter/);
    await page.screenshot({ path: join(SHOTS, 'e2e-no-webgpu.png') });
    await noGpu.close();
  });
});
