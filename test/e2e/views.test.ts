// End-to-end in Chromium (SwiftShader WebGPU): Compare, Blend and Routing on the embedded default with
// random (seeded, untrained) adapters: two personas answer differently, the blend moves the answer, the
// CUMA routers' gates draw as heatmaps; a broken adapter file is refused clearly and nothing is lost;
// personas survive a reload and travel in a shared link. Screenshots go to test-results/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { SHOTS, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 300_000);

afterAll(async () => {
  await h?.close();
});

async function modelReady(page: Page) {
  await page.locator('[data-testid="lab-model-status"][data-status="ready"]').waitFor({ timeout: 120_000 });
}

async function adapterOf(page: Page, method: string) {
  await page.locator(`[data-testid="adapter-summary"][data-method="${method}"]`).waitFor({ timeout: 120_000 });
  // the bar's buttons come back when the worker is done
  await expect.poll(() => page.getByTestId('new-adapter').isEnabled(), { timeout: 60_000 }).toBe(true);
}

async function newAdapter(page: Page, preset: string, method: string) {
  // picking a method puts that method on the model (its trained default, or a random one)
  await page.getByTestId('preset-select').selectOption(preset);
  await adapterOf(page, method);
  await page.getByTestId('new-adapter').click();
  await page.getByTestId('untrained-badge').waitFor({ timeout: 120_000 });
  await adapterOf(page, method);
}

/** the adapter bar's settings and files (encoder, seed, rank, modules, load / save / export) */
async function openSettings(page: Page) {
  if (!(await page.getByTestId('adapter-settings').isVisible())) await page.getByTestId('adapter-settings-toggle').click();
  await page.getByTestId('adapter-settings').waitFor();
}

async function probs(page: Page, testId: string): Promise<number[] | null> {
  const raw = await page.getByTestId(testId).getAttribute('data-probs');
  return raw ? (JSON.parse(raw) as number[]) : null;
}

async function waitProbs(page: Page, testId: string, differentFrom?: number[] | null): Promise<number[]> {
  await expect
    .poll(
      async () => {
        const p = await probs(page, testId);
        if (!p) return 'none';
        if (differentFrom && maxLogDiff(p, differentFrom) < 1e-7) return 'unchanged';
        return 'ok';
      },
      { timeout: 120_000 },
    )
    .toBe('ok');
  return (await probs(page, testId))!;
}

/** a full-page screenshot from the top (so the sticky bar is where it belongs) */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, name), fullPage: true });
}

const sum = (p: number[]) => p.reduce((a, b) => a + b, 0);
/** Largest change of log-probability. On the embedded default (a constructed word bigram whose attention adds
 * ~1% to the residual) an untrained adapter moves the option probabilities by only ~1e-5, so "the personas
 * differ" is checked beyond float rounding (1e-6), not as a visible difference. */
const maxLogDiff = (p: number[], q: number[]) => Math.max(...p.map((v, i) => Math.abs(Math.log(v) - Math.log(q[i]))));

describe('Compare, Blend and Routing in Chromium', () => {
  it('compares Norway and Nigeria with a random Zhyper adapter, blends them, and shows CUMA routing', async () => {
    const page = await h.open(`${h.appUrl}#/compare`);
    await page.getByTestId('view-compare').waitFor();
    await modelReady(page);
    // on the embedded model the app puts CUMA's trained default (npm run train:defaults, public/adapters) on by
    // itself: the method whose default separates the default personas
    await adapterOf(page, 'cuma');
    await page.getByTestId('default-badge').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('adapter-summary').innerText()).toMatch(/trained default, cuma\.safetensors/);
    expect(await page.getByTestId('preset-select').inputValue()).toBe('cuma');
    // the bar's settings describe the adapter on the model: the default adapts q, v, o and down at r = 8
    await openSettings(page);
    for (const t of ['q', 'v', 'o', 'down']) expect(await page.getByTestId(`target-${t}`).isChecked(), t).toBe(true);
    expect(await page.getByTestId('target-k').isChecked()).toBe(false);
    expect(await page.getByTestId('adapter-rank').inputValue()).toBe('8');
    // the first two personas (a secular Norwegian, a very religious Nigerian) answer the religion question
    // visibly apart, the Nigerian nearer "Very important" (as the synthetic world's truth)
    expect(await page.getByTestId('question').inputValue()).toBe('How important is religion in your life?');
    await page.getByTestId('score').click();
    const d0 = await waitProbs(page, 'option-bars-0');
    const d1 = await waitProbs(page, 'option-bars-1');
    const tv = d0.reduce((a, v, i) => a + Math.abs(v - d1[i]), 0) / 2;
    expect(tv).toBeGreaterThanOrEqual(0.3);
    expect(d1[0]).toBeGreaterThan(d0[0] + 0.1);
    await shot(page, 'e2e-compare-cuma-default.png');
    // picking Zhyper in the method picker puts Zhyper's trained default on: it tells the two personas apart too
    await page.getByTestId('preset-select').selectOption('zhyper');
    await adapterOf(page, 'zhyper');
    await page.getByTestId('default-badge').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('adapter-summary').innerText()).toMatch(/trained default, zhyper-diag\.safetensors/);
    await page.getByTestId('score').click();
    const z0 = await waitProbs(page, 'option-bars-0');
    const z1 = await waitProbs(page, 'option-bars-1');
    expect(z0.reduce((a, v, i) => a + Math.abs(v - z1[i]), 0) / 2).toBeGreaterThanOrEqual(0.3);
    expect(z1[0]).toBeGreaterThan(z0[0] + 0.1);
    await shot(page, 'e2e-compare-default-adapter.png');
    // then a random Zhyper one explicitly
    await newAdapter(page, 'zhyper', 'zhyper');
    expect(await page.getByTestId('untrained-badge').isVisible()).toBe(true);
    expect(await page.getByTestId('adapter-summary').innerText()).toMatch(/Zhyper[\s\S]*rank r[\s\S]*8[\s\S]*q, v/);

    await page.getByTestId('country-0').selectOption('Norway');
    await page.getByTestId('religion-0').selectOption('No religion');
    await page.getByTestId('country-1').selectOption('Nigeria');
    await page.getByTestId('religion-1').selectOption('Muslim');
    expect(await page.getByTestId('persona-text-0').innerText()).toMatch(/Country: Norway\./);
    expect(await page.getByTestId('persona-text-1').innerText()).toMatch(/Country: Nigeria\..*Religion: Muslim\./);

    await page.getByTestId('score').click();
    const p0 = await waitProbs(page, 'option-bars-0');
    const p1 = await waitProbs(page, 'option-bars-1');
    expect(p0).toHaveLength(4);
    expect(sum(p0)).toBeCloseTo(1, 4);
    expect(sum(p1)).toBeCloseTo(1, 4);
    expect(maxLogDiff(p0, p1)).toBeGreaterThan(1e-6);
    // both charts drew one bar per option
    for (const id of ['option-bars-0', 'option-bars-1']) {
      await expect.poll(() => page.locator(`[data-testid="${id}"] .barlayer .point`).count(), { timeout: 30_000 }).toBe(4);
    }
    await expect.poll(() => page.getByTestId('difference').innerText()).toMatch(/total variation distance \d\.\d{3}/);

    // the same prompt, streamed per persona
    await page.getByTestId('generate-all').click();
    for (const i of [0, 1]) {
      await page.locator(`[data-testid="generation-${i}"][data-done="true"]`).waitFor({ timeout: 180_000 });
      expect((await page.getByTestId(`generation-${i}`).innerText()).trim().length).toBeGreaterThan(0);
    }
    await shot(page, 'e2e-compare.png');

    // Blend: moving alpha from A to B moves the answer
    await page.getByTestId('nav-blend').click();
    await page.getByTestId('view-blend').waitFor();
    const b0 = await waitProbs(page, 'blend-bars');
    expect(sum(b0)).toBeCloseTo(1, 4);
    await page.getByTestId('blend-alpha').fill('0');
    const atA = await waitProbs(page, 'blend-bars');
    await page.getByTestId('blend-alpha').fill('1');
    await expect.poll(() => page.getByTestId('blend-alpha-value').innerText()).toBe('1.00');
    const atB = await waitProbs(page, 'blend-bars', atA);
    expect(maxLogDiff(atA, atB)).toBeGreaterThan(1e-6);
    // at alpha = 0 and 1 the blend answers as persona A and persona B did in Compare
    expect(maxLogDiff(atA, p0)).toBeLessThan(1e-4);
    expect(maxLogDiff(atB, p1)).toBeLessThan(1e-4);
    // z heatmap (layer × rank) drew
    await expect.poll(() => page.locator('[data-testid="blend-z"] .hm').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // strength 0: the backbone alone
    await page.getByTestId('blend-alpha').fill('0.5');
    await page.getByTestId('blend-strength').fill('0');
    await waitProbs(page, 'blend-bars', atB);
    await page.getByTestId('blend-strength').fill('1');
    await expect.poll(() => page.getByTestId('blend-status').innerText(), { timeout: 60_000 }).toBe('up to date');
    await shot(page, 'e2e-blend.png');

    // CUMA: token × expert gates at a chosen layer
    await page.getByTestId('nav-routing').click();
    await page.getByTestId('view-routing').waitFor();
    await expect.poll(() => page.locator('[data-testid="routing-z-q-a"] .hm').count(), { timeout: 120_000 }).toBeGreaterThan(0);
    await shot(page, 'e2e-routing-zhyper.png');
    await newAdapter(page, 'cuma', 'cuma');
    const heat = page.getByTestId('routing-heatmap');
    await heat.waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator('[data-testid="routing-heatmap"] .hm').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(Number(await heat.getAttribute('data-rows'))).toBeGreaterThan(5); // one row per prompt token
    expect(Number(await heat.getAttribute('data-cols'))).toBe(8); // one column per expert
    expect(await page.locator('[data-testid="routing-heatmap"] .colorbar').first().textContent()).toMatch(/gate g \(0–1\)/);
    for (const id of ['routing-mean-a', 'routing-mean-b', 'routing-diff']) {
      await expect.poll(() => page.locator(`[data-testid="${id}"] .hm`).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    }
    // another layer
    await page.getByTestId('routing-layer').fill('1');
    await expect.poll(() => page.getByTestId('routing-layer-value').innerText()).toBe('1');
    await shot(page, 'e2e-routing.png');
    await page.close();
  }, 600_000);

  it('saves, exports and loads adapter files, shows the parameter table, and refuses a garbage file keeping everything', async () => {
    const page = await h.open(`${h.appUrl}#/compare`);
    await modelReady(page);
    // the trained default goes on by itself first (on a loaded machine it can still be loading here)
    await adapterOf(page, 'cuma');
    await openSettings(page);
    await newAdapter(page, 'cuma', 'cuma');

    // Save adapter → a safetensors download that loads back
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-adapter').click()]);
    expect(saved.suggestedFilename()).toMatch(/^cuma-.*\.safetensors$/);
    const savedPath = await saved.path();
    // Export PEFT → adapter_config.json + adapter_model.safetensors
    const names: string[] = [];
    page.on('download', (d) => names.push(d.suggestedFilename()));
    await page.getByTestId('export-peft').click();
    await expect.poll(() => names.sort().join(','), { timeout: 60_000 }).toBe('adapter_config.json,adapter_model.safetensors');

    await newAdapter(page, 'zhyper', 'zhyper');
    await page.getByTestId('load-adapter-input').setInputFiles({ name: 'my-cuma.safetensors', mimeType: 'application/octet-stream', buffer: await import('node:fs').then((fs) => fs.readFileSync(savedPath)) });
    await adapterOf(page, 'cuma');
    expect(await page.getByTestId('adapter-summary').innerText()).toMatch(/from my-cuma\.safetensors/);

    // the parameter table: T2L against Zhyper, for the loaded backbone and Mistral-7B
    await page.getByTestId('accounting-toggle').click();
    await expect.poll(() => page.getByTestId('accounting').innerText(), { timeout: 30_000 }).toMatch(/Mistral-7B[\s\S]*T2L ÷ Zhyper/);

    // rank and target modules of a new adapter (picked after the method: picking one puts its default on,
    // and the bar then shows that adapter's rank and modules)
    await page.getByTestId('preset-select').selectOption('zhyper');
    await adapterOf(page, 'zhyper');
    await page.getByTestId('adapter-rank').selectOption('4');
    await page.getByTestId('target-o').check();
    await page.getByTestId('target-down').check();
    await newAdapter(page, 'zhyper', 'zhyper');
    await expect.poll(() => page.getByTestId('adapter-summary').innerText(), { timeout: 60_000 }).toMatch(/rank r[\s\S]*4[\s\S]*q, v, o, down/);
    await page.getByTestId('target-o').uncheck();
    await page.getByTestId('target-down').uncheck();
    await page.getByTestId('adapter-rank').selectOption('8');
    await newAdapter(page, 'zhyper', 'zhyper');
    await page.getByTestId('freetext-0').fill('Keeps bees on a rooftop');
    await page.getByTestId('load-adapter-input').setInputFiles({ name: 'garbage.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a safetensors file at all') });
    const err = page.locator('[data-testid="error"][data-error-area="adapter"]');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.innerText()).toMatch(/not an adapter this app can read/);
    expect(await err.innerText()).toMatch(/personas.*kept/);
    expect(await page.getByTestId('persona-text-0').innerText()).toMatch(/Keeps bees on a rooftop\./);
    expect(await page.getByTestId('adapter-summary').getAttribute('data-method')).toBe('zhyper');
    await shot(page, 'e2e-adapter-error.png');
    // the adapter still answers
    await page.getByTestId('score').click();
    await waitProbs(page, 'option-bars-0');
    await page.close();
  }, 300_000);

  it('keeps personas across a reload and restores a scene from a shared link', async () => {
    const page = await h.open(`${h.appUrl}#/compare`);
    await page.getByTestId('view-compare').waitFor();
    await page.getByTestId('add-persona').click();
    await page.getByTestId('country-2').selectOption('Japan');
    await page.getByTestId('freetext-2').fill('Plays the shamisen');
    await page.getByTestId('question').fill('How important is work in your life?');
    await page.reload();
    await page.getByTestId('view-compare').waitFor();
    expect(await page.getByTestId('persona-text-2').innerText()).toMatch(/Country: Japan\..*Plays the shamisen\./);
    expect(await page.getByTestId('question').inputValue()).toBe('How important is work in your life?');

    await page.getByTestId('share-link').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#\/compare\?scene=/);
    // a fresh browser context: nothing persisted, everything from the link
    const ctx = await h.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const other = await ctx.newPage();
    await other.goto(url);
    await other.getByTestId('view-compare').waitFor();
    expect(await other.getByTestId('persona-text-2').innerText()).toMatch(/Plays the shamisen\./);
    expect(await other.getByTestId('question').inputValue()).toBe('How important is work in your life?');
    await ctx.close();
    await page.close();
  });

  it('fits a laptop at 1280×720: the adapter bar is one row, and both personas\' answer charts, axes included, are above the fold', async () => {
    const page = await h.open(`${h.appUrl}#/compare`, { width: 1280, height: 720 });
    await page.getByTestId('view-compare').waitFor();
    await modelReady(page);
    await page.getByTestId('default-badge').waitFor({ timeout: 60_000 });
    const select = (await page.getByTestId('preset-select').boundingBox())!;
    const settings = (await page.getByTestId('adapter-settings-toggle').boundingBox())!;
    expect(Math.abs(settings.y + settings.height / 2 - (select.y + select.height / 2)), 'Settings on the method select\'s row').toBeLessThan(10);
    await page.getByTestId('score').click();
    await waitProbs(page, 'option-bars-0');
    await waitProbs(page, 'option-bars-1');
    for (const id of ['option-bars-0', 'option-bars-1']) {
      const axis = (await page.locator(`[data-testid="${id}"] .xtick`).last().boundingBox())!;
      expect(axis.y + axis.height, `${id}'s axis labels`).toBeLessThanOrEqual(720);
    }
    await shot(page, 'e2e-compare-1280x720.png');
    await page.close();
  });
});
