// End-to-end in Chromium at 1280×720 (a laptop on a projector): the Learn chapters' toys react to their
// controls in the right direction; the Present deck runs by keyboard, names its scene in the URL, asks for
// full screen, gives identical numbers on a replay and sends no request off the page's origin; a share link
// made on CUMA restores CUMA and its bars in a fresh browser; the Model view shows the adapter and takes it
// off; the Atlas shows the shipped defaults' map with no training. Screenshots go to test-results/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { SHOTS, startHarness, type Harness } from './harness';

let h: Harness;
const SMALL = { width: 1280, height: 720 };

beforeAll(async () => {
  h = await startHarness();
}, 300_000);

afterAll(async () => {
  await h?.close();
});

const num = async (page: Page, testId: string, attr: string) => Number(await page.getByTestId(testId).getAttribute(attr));
async function setRange(page: Page, testId: string, value: number, shown = String(value)) {
  await page.getByTestId(testId).fill(String(value));
  await expect.poll(() => page.getByTestId(`${testId}-value`).innerText()).toBe(shown);
}
/** what the viewport shows (no full-page stitching): a speaker sees this without scrolling */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, name) });
}

describe('Learn, Present, share links and first open in Chromium', () => {
  it('every Learn chapter reacts to its controls in the right direction', async () => {
    const page = await h.open(`${h.appUrl}#/learn/lora`, SMALL);
    await page.getByTestId('chapter-lora').waitFor();
    // LoRA: a higher rank lowers the reconstruction error; the parameter count is r·(d + k)
    await setRange(page, 'lora-rank', 2);
    const e2 = await num(page, 'lora-error', 'data-value');
    await setRange(page, 'lora-rank', 16);
    const e16 = await num(page, 'lora-error', 'data-value');
    expect(e16).toBeLessThan(e2);
    expect(await num(page, 'lora-params', 'data-value')).toBe(16 * (64 + 64));
    await page.getByTestId('lora-source-weight').check();
    await expect.poll(() => num(page, 'lora-error', 'data-value'), { timeout: 60_000 }).not.toBeNaN();
    const w16 = await num(page, 'lora-error', 'data-value');
    await setRange(page, 'lora-rank', 32);
    expect(await num(page, 'lora-error', 'data-value')).toBeLessThan(w16);
    // a real weight is closer to random than the picture: it needs a higher rank for the same error
    expect(w16).toBeGreaterThan(e16);
    await page.getByTestId('lora-source-picture').check();
    await setRange(page, 'lora-rank', 4);
    await expect.poll(() => page.locator('[data-testid="lora-approx"] .hm').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shot(page, 'e2e-learn-lora-1280.png');

    // mean collapse: trained live on the CPU; the dense fit ends with the higher entropy and EMD
    await page.getByTestId('learn-tab-collapse').click();
    expect(page.url()).toMatch(/#\/learn\/collapse$/);
    await page.getByTestId('collapse-train').click();
    await expect.poll(() => num(page, 'collapse-toy', 'data-step'), { timeout: 60_000 }).toBe(400);
    const m = page.getByTestId('collapse-metrics');
    const dense = Number(await m.getAttribute('data-dense-entropy'));
    const routed = Number(await m.getAttribute('data-routed-entropy'));
    expect(dense).toBeGreaterThan(routed + 0.3);
    expect(Number(await m.getAttribute('data-dense-emd'))).toBeGreaterThan(Number(await m.getAttribute('data-routed-emd')));
    await shot(page, 'e2e-learn-collapse-1280.png');

    // routing toy: more experts per token means more routed slots per token; the real routers of CUMA's default
    await page.getByTestId('learn-tab-routing').click();
    await setRange(page, 'routing-k', 1);
    const lb1 = await num(page, 'routing-lb', 'data-value');
    expect(lb1).toBeGreaterThanOrEqual(1 - 1e-9);
    expect(lb1).toBeLessThanOrEqual(8 + 1e-9);
    await page.getByTestId('routing-dense').check();
    expect(await page.getByTestId('routing-active').innerText()).toMatch(/8 of 8/);
    await page.getByTestId('routing-dense').uncheck();
    await page.getByTestId('routing-text').fill('How important is family in your life?');
    await page.getByTestId('routing-real').click();
    await page.getByTestId('routing-real-maps').waitFor({ timeout: 240_000 });
    await expect.poll(() => page.locator('[data-testid="routing-real-diff"] .hm').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('routing-real-a').getAttribute('data-cols')).toBe('8');
    await shot(page, 'e2e-learn-routing-1280.png');

    // Zhyper: the trained default's real z for the two personas; t moves z from one to the other
    await page.getByTestId('learn-tab-zhyper').click();
    await page.getByTestId('zhyper-real').click();
    await expect.poll(() => page.getByTestId('zhyper-z').getAttribute('data-real'), { timeout: 240_000 }).toBe('true');
    const z0 = JSON.parse((await page.getByTestId('zhyper-z').getAttribute('data-z'))!) as number[];
    await setRange(page, 'zhyper-t', 1, '1.00');
    await expect.poll(async () => JSON.stringify(JSON.parse((await page.getByTestId('zhyper-z').getAttribute('data-z'))!)) !== JSON.stringify(z0)).toBe(true);
    expect(await num(page, 'zhyper-zdiff', 'data-value')).toBeGreaterThan(0);
    expect(await num(page, 'zhyper-r', 'data-value')).toBe(8);
    await shot(page, 'e2e-learn-zhyper-1280.png');
    await page.getByTestId('learn-tab-glossary').click();
    expect(await page.getByTestId('glossary').innerText()).toMatch(/EMD[\s\S]*macro-F1[\s\S]*silhouette[\s\S]*T2L/);
    await page.close();
  }, 900_000);

  it('runs the default deck by keyboard, names the scene in the URL, replays identically and stays on its origin', async () => {
    const page = await h.open(`${h.appUrl}#/present/1`, SMALL);
    const origin = new URL(h.appUrl).origin;
    const foreign: string[] = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
    });
    await page.getByTestId('present-scene-title').waitFor();
    expect(await page.getByTestId('present-count').innerText()).toBe('1 / 7');
    // scene text at projector scale
    const px = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('[data-testid="present-stage"]')!).fontSize));
    expect(px).toBeGreaterThanOrEqual(28);
    await shot(page, 'e2e-present-title-1280.png');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.url()).toMatch(/#\/present\/2$/);
    const personas = page.getByTestId('scene-personas');
    await expect.poll(() => personas.getAttribute('data-tv'), { timeout: 240_000 }).not.toBe('');
    const first = await personas.getAttribute('data-probs');
    expect(Number(await personas.getAttribute('data-tv'))).toBeGreaterThanOrEqual(0.3);
    await expect.poll(() => page.locator('[data-testid="scene-bars-1"] .barlayer .point').count(), { timeout: 30_000 }).toBe(4);
    await shot(page, 'e2e-present-personas-1280.png');
    // space goes on; a number key jumps; ← goes back
    await page.keyboard.press(' ');
    await expect.poll(() => page.url()).toMatch(/#\/present\/3$/);
    await expect.poll(() => page.getByTestId('scene-blend').getAttribute('data-probs'), { timeout: 240_000 }).not.toBe('');
    const blend = JSON.parse((await page.getByTestId('scene-blend').getAttribute('data-probs'))!) as number[][];
    expect(blend).toHaveLength(11);
    await shot(page, 'e2e-present-blend-1280.png');
    await page.keyboard.press('4');
    await expect.poll(() => page.url()).toMatch(/#\/present\/4$/);
    await expect.poll(() => page.getByTestId('scene-routing').getAttribute('data-diff'), { timeout: 240_000 }).not.toBe('');
    await shot(page, 'e2e-present-routing-1280.png');
    await page.keyboard.press('5');
    await expect.poll(() => num(page, 'scene-atlas', 'data-points'), { timeout: 120_000 }).toBe(72);
    await shot(page, 'e2e-present-atlas-1280.png');
    // R replays the shipped recorded run: the map of its 8 countries forming, frame by frame, then back to the 72
    await page.keyboard.press('r');
    await expect.poll(() => page.getByTestId('scene-atlas').innerText(), { timeout: 60_000, interval: 200 }).toMatch(/Replaying a recorded run \(CUMA, 8 countries\): frame \d+ of 30/);
    await expect.poll(() => num(page, 'scene-atlas', 'data-points'), { timeout: 60_000, interval: 200 }).toBe(8);
    await shot(page, 'e2e-present-atlas-replay-1280.png');
    await expect.poll(() => num(page, 'scene-atlas', 'data-points'), { timeout: 120_000 }).toBe(72);
    await page.keyboard.press('6');
    await expect.poll(() => num(page, 'collapse-toy', 'data-step'), { timeout: 60_000 }).toBe(400);
    const collapse1 = await page.getByTestId('collapse-metrics').getAttribute('data-dense-entropy');
    await shot(page, 'e2e-present-collapse-1280.png');
    await page.keyboard.press('End');
    await page.getByTestId('scene-results').waitFor();
    await shot(page, 'e2e-present-results-1280.png');
    // a replay: back to scene 2 and 6, the same numbers
    await page.keyboard.press('2');
    await expect.poll(() => personas.getAttribute('data-probs'), { timeout: 240_000 }).not.toBe('');
    expect(await personas.getAttribute('data-probs')).toBe(first);
    await page.keyboard.press('6');
    await expect.poll(() => num(page, 'collapse-toy', 'data-step'), { timeout: 60_000 }).toBe(400);
    expect(await page.getByTestId('collapse-metrics').getAttribute('data-dense-entropy')).toBe(collapse1);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.url()).toMatch(/#\/present\/5$/);
    // presenter notes, and full screen on F
    await page.keyboard.press('n');
    await page.getByTestId('present-notes').waitFor();
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('data-testid') ?? null), { timeout: 10_000 }).toBe('present-stage');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement === null), { timeout: 10_000 }).toBe(true);
    // a link opens its scene
    const other = await h.open(`${h.appUrl}#/present/7`, { width: 1920, height: 1080 });
    await other.getByTestId('scene-results').waitFor();
    expect(await other.getByTestId('present-count').innerText()).toBe('7 / 7');
    await other.screenshot({ path: join(SHOTS, 'e2e-present-results-1920.png') });
    await other.keyboard.press('2');
    await expect.poll(() => other.getByTestId('scene-personas').getAttribute('data-probs'), { timeout: 240_000 }).not.toBe('');
    // the same numbers in another browser context: a replay is deterministic
    expect(await other.getByTestId('scene-personas').getAttribute('data-probs')).toBe(first);
    await expect.poll(() => other.locator('[data-testid="scene-bars-1"] .barlayer .point').count(), { timeout: 30_000 }).toBe(4);
    await other.screenshot({ path: join(SHOTS, 'e2e-present-personas-1920.png') });
    await other.close();

    // the deck: edit, a bad import is refused by name and changes nothing
    await page.getByTestId('present-edit').click();
    await page.getByTestId('deck-title').fill('My talk');
    await page.getByTestId('deck-import-input').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"v": 1, "scenes": []}') });
    await expect.poll(() => page.getByTestId('deck-import-error').innerText()).toMatch(/broken\.json is not a deck this app can read/);
    expect(await page.getByTestId('deck-title').inputValue()).toBe('My talk');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('deck-export').click()]);
    const exported = JSON.parse(readFileSync(await dl.path(), 'utf8'));
    expect(exported.title).toBe('My talk');
    expect(exported.scenes).toHaveLength(7);
    exported.title = 'Imported talk';
    await page.getByTestId('deck-import-input').setInputFiles({ name: 'talk.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
    await expect.poll(() => page.getByTestId('deck-title').inputValue()).toBe('Imported talk');
    expect(await page.getByTestId('deck-import-error').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-present-editor-1280.png'), fullPage: true });
    expect(foreign).toEqual([]);
    await page.close();
  }, 900_000);

  it('first open separates the default personas; a link made on CUMA restores CUMA and its bars; the Model view takes the adapter off; the Atlas needs no training', async () => {
    const page = await h.open(`${h.appUrl}#/compare`, SMALL);
    await page.locator('[data-testid="adapter-summary"][data-method="cuma"]').waitFor({ timeout: 240_000 });
    await expect.poll(() => page.getByTestId('new-adapter').isEnabled(), { timeout: 60_000 }).toBe(true);
    // the picker names what is on the model
    expect(await page.getByTestId('preset-select').inputValue()).toBe('cuma');
    await page.getByTestId('score').click();
    await expect.poll(() => page.getByTestId('difference').getAttribute('data-tv').catch(() => null), { timeout: 240_000 }).not.toBeNull();
    const tv = Number(await page.getByTestId('difference').getAttribute('data-tv'));
    expect(tv).toBeGreaterThanOrEqual(0.3);
    const bars0 = await page.getByTestId('option-bars-0').getAttribute('data-probs');
    const bars1 = await page.getByTestId('option-bars-1').getAttribute('data-probs');
    await shot(page, 'e2e-first-open-1280.png');
    await page.getByTestId('share-link').click();
    const url = await page.getByTestId('share-url').inputValue();

    // a fresh browser context: nothing stored, everything from the link, scored on open
    const ctx = await h.browser.newContext({ viewport: SMALL });
    const other = await ctx.newPage();
    await other.goto(url);
    await other.locator('[data-testid="adapter-summary"][data-method="cuma"]').waitFor({ timeout: 240_000 });
    expect(await other.getByTestId('adapter-summary').innerText()).toMatch(/trained default, cuma\.safetensors/);
    await expect.poll(() => other.getByTestId('option-bars-1').getAttribute('data-probs'), { timeout: 240_000 }).not.toBe('');
    expect(await other.getByTestId('option-bars-0').getAttribute('data-probs')).toBe(bars0);
    expect(await other.getByTestId('option-bars-1').getAttribute('data-probs')).toBe(bars1);
    await other.screenshot({ path: join(SHOTS, 'e2e-share-restored-1280.png') });
    await ctx.close();

    // a link naming an adapter this browser does not have says so and opens on the trained default
    const missing = url.replace(/scene=([\w-]+)/, (_, b64: string) => {
      const json = JSON.parse(Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
      json.adapter = { kind: 'kept', runId: 'run-elsewhere', method: 'cuma', name: 'cuma-their-run' };
      return `scene=${Buffer.from(JSON.stringify(json)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
    });
    const ctx2 = await h.browser.newContext({ viewport: SMALL });
    const third = await ctx2.newPage();
    await third.goto(missing);
    const err = third.locator('[data-testid="error"][data-error-area="scene"]');
    await err.waitFor({ timeout: 240_000 });
    expect(await err.innerText()).toMatch(/cuma-their-run[\s\S]*does not have it/);
    await third.locator('[data-testid="adapter-summary"][data-method="cuma"]').waitFor({ timeout: 240_000 });
    await ctx2.close();

    // the Model view names the adapter its chat uses, and takes it off
    await page.getByTestId('nav-model').click();
    expect(await page.getByTestId('lora-on-model').getAttribute('data-method')).toBe('cuma');
    await page.getByTestId('lora-off').click();
    await expect.poll(() => page.getByTestId('lora-on-model').getAttribute('data-method')).toBe('none');
    await page.getByTestId('lora-none').waitFor();
    await shot(page, 'e2e-model-adapter-off-1280.png');

    // Atlas with no run: the shipped defaults' country map
    await page.getByTestId('nav-atlas').click();
    await expect.poll(() => page.getByTestId('atlas-plot').getAttribute('data-points').catch(() => null), { timeout: 120_000 }).toBe('72');
    expect(await page.getByTestId('atlas-plot').getAttribute('data-source')).toBe('defaults');
    await page.getByTestId('atlas-defaults-note').waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-atlas-defaults-1280.png') });
    await page.close();
  }, 900_000);
});
