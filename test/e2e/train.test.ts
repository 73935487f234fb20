// End-to-end in Chromium (SwiftShader WebGPU): a tiny training run on the embedded default. LoRA, Zhyper
// diag and CUMA on the tiny world (8 countries in 4 zones, a handful of answers, 3 steps of batch 2): the
// progress bar moves and the loss curve gets points; pause holds the run between steps and resume goes
// on; the Atlas lays out Zhyper's per-country signatures with t-SNE and updates as training goes, and
// toggles to CUMA's routing signatures; the run finishes with a Table 1 row per method; results export as JSON and CSV and the trained adapter as a
// safetensors file; a bad results file is refused and nothing is lost; after a reload the run is still
// listed with its results, and its Zhyper adapter loads into Compare from storage. A second tab opened
// while the run is paused lists it as paused in another tab (not interrupted) and hears it resume.
// Screenshots: test-results/e2e-train-running.png, e2e-train-second-tab.png, e2e-atlas.png, e2e-atlas-routing.png, e2e-train-done.png,
// e2e-train-imported.png.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 300_000);

afterAll(async () => {
  await h?.close();
});

async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, name), fullPage: true });
}

const attr = async (page: Page, testId: string, name: string) => (await page.getByTestId(testId).getAttribute(name)) ?? '';
const num = async (page: Page, testId: string, name: string) => Number(await attr(page, testId, name));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fill(page: Page, testId: string, value: string) {
  await page.getByTestId(testId).fill(value);
}

describe('Train and Atlas in Chromium', () => {
  it('trains LoRA, Zhyper and CUMA on the tiny world with live curves and Atlas, pauses and resumes, and keeps the run across a reload', async () => {
    const t0 = Date.now();
    const log = (what: string) => console.log(`[train e2e] ${((Date.now() - t0) / 1000).toFixed(0)}s ${what}`);
    const page = await h.open(`${h.appUrl}#/train`);
    await page.getByTestId('view-train').waitFor();
    await page.locator('[data-testid="train-model-status"][data-status="ready"]').waitFor({ timeout: 180_000 });
    log('model ready');

    // the contrast world brings its preset's settings; centring and the chat template are on by default
    expect(await page.getByTestId('train-centre').isChecked()).toBe(true);
    expect(await page.getByTestId('train-chat').isChecked()).toBe(true);
    await page.getByTestId('train-world').selectOption('contrast');
    expect(await page.getByTestId('train-steps').inputValue()).toBe('150');
    expect(await page.getByTestId('train-lr').inputValue()).toBe('0.002');
    expect(await page.getByTestId('train-persona').isChecked()).toBe(false);
    expect(await page.getByTestId('method-cuma').isChecked()).toBe(true);

    // a tiny run: two methods, 3 steps of 2 answers, probe metrics and signatures after every step
    await page.getByTestId('method-persona-prompting').setChecked(false);
    await page.getByTestId('method-lora').setChecked(true);
    await page.getByTestId('method-zhyper-diag').setChecked(true);
    await page.getByTestId('method-cuma').setChecked(true);
    await page.getByTestId('train-world').selectOption('tiny');
    await fill(page, 'train-steps', '3');
    await fill(page, 'train-batch', '2');
    await fill(page, 'train-seed', '3');
    await page.getByTestId('train-persona').setChecked(false); // shorter prompts: the condition vector alone tells people apart
    await page.locator('.more-settings summary').click();
    await fill(page, 'train-max-examples', '16');
    await fill(page, 'train-max-test', '4');
    await fill(page, 'train-probe', '2');
    await fill(page, 'train-metrics-every', '1');
    await fill(page, 'train-signatures-every', '1');
    await fill(page, 'train-sig-profiles', '1');
    expect(await page.getByTestId('train-form-problem').count()).toBe(0);

    await page.getByTestId('train-start').click();
    await page.locator('[data-testid="run-status"][data-status="running"]').first().waitFor({ timeout: 30_000 });
    // the first optimizer step: the progress bar moves and the loss curve has a point
    await expect.poll(() => num(page, 'train-progress', 'data-fraction'), { timeout: 300_000, interval: 1000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('loss-plot').getAttribute('data-points').then(Number, () => 0), { timeout: 300_000, interval: 1000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.locator('[data-testid="loss-plot"] .scatterlayer .point').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('train-progress-text').innerText()).toMatch(/Table 1 · method 1 of 3 · LoRA \(dense\) · (step \d of 3|evaluating)/);
    log('first step');

    // pause: it takes effect between two steps, then nothing moves until resume
    await page.getByTestId('train-pause').click();
    await page.locator('[data-testid="run-progress-card"] [data-testid="run-status"][data-status="paused"]').waitFor({ timeout: 300_000 });
    const held = await num(page, 'loss-plot', 'data-points');
    await shot(page, 'e2e-train-running.png');
    // a second tab of the same browser: the run is this tab's, paused, not "interrupted" (Web Locks)
    const tab2 = await page.context().newPage();
    await tab2.goto(`${h.appUrl}#/train`);
    const runId0 = await page.locator('[data-testid="run-item"]').first().getAttribute('data-run-id');
    const elsewhere = tab2.locator(`[data-testid="run-item"][data-run-id="${runId0}"] [data-testid="run-status"]`);
    await elsewhere.waitFor({ timeout: 60_000 });
    expect(await elsewhere.getAttribute('data-status')).toBe('paused');
    expect(await elsewhere.getAttribute('data-elsewhere')).toBe('1');
    expect(await elsewhere.innerText()).toMatch(/paused in another tab/);
    expect(await tab2.locator(`[data-testid="run-item"][data-run-id="${runId0}"] [data-testid="run-delete"]`).isDisabled()).toBe(true);
    await tab2.locator(`[data-testid="run-item"][data-run-id="${runId0}"] [data-testid="run-open"]`).click();
    expect(await tab2.getByTestId('run-progress-card').innerText()).toMatch(/training in another tab/);
    await tab2.screenshot({ path: join(SHOTS, 'e2e-train-second-tab.png'), fullPage: true });
    await sleep(3000);
    expect(await num(page, 'loss-plot', 'data-points')).toBe(held);
    expect(await page.getByTestId('train-progress-text').innerText()).toMatch(/step|evaluat/);
    await page.getByTestId('train-resume').click();
    await page.locator('[data-testid="run-progress-card"] [data-testid="run-status"][data-status="running"]').waitFor({ timeout: 30_000 });
    // the second tab hears it go on (BroadcastChannel), then closes
    await expect.poll(() => elsewhere.getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await tab2.close();
    await expect.poll(() => num(page, 'loss-plot', 'data-points'), { timeout: 300_000, interval: 1000 }).toBeGreaterThan(held);
    log(`paused at ${held} points, resumed`);

    // the Atlas: Zhyper's z signatures of the 8 countries, laid out by t-SNE, updated as it trains
    await page.getByTestId('nav-atlas').click();
    await page.getByTestId('view-atlas').waitFor();
    await expect.poll(() => page.getByTestId('atlas-plot').getAttribute('data-points').catch(() => null), { timeout: 480_000, interval: 2000 }).toBe('8');
    await expect.poll(() => num(page, 'atlas-plot', 'data-layouts'), { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
    const firstLayouts = await num(page, 'atlas-plot', 'data-layouts');
    const firstStep = await num(page, 'atlas-plot', 'data-step');
    expect(await page.getByTestId('atlas-kind-z').isChecked()).toBe(true);
    expect(await page.getByTestId('atlas-status').innerText()).toMatch(/Zhyper \(diag\) · Zhyper z̄_c of 8 countries after step \d of 3/);
    await expect.poll(() => page.locator('[data-testid="atlas-plot"] .scatterlayer .point').count(), { timeout: 30_000 }).toBe(8);
    // the next signatures move the points (a warm-started layout)
    await expect.poll(() => num(page, 'atlas-plot', 'data-layouts'), { timeout: 300_000, interval: 1000 }).toBeGreaterThan(firstLayouts);
    await expect.poll(() => num(page, 'atlas-plot', 'data-step'), { timeout: 60_000 }).toBeGreaterThan(firstStep);
    await expect.poll(() => attr(page, 'atlas-plot', 'data-final'), { timeout: 60_000 }).toBe('1');
    expect(await page.getByTestId('atlas-status').innerText()).toMatch(/warm-started/);
    // the zones' silhouette is shown (4 zones of 2 countries)
    expect(await page.getByTestId('atlas-silhouette').innerText()).toMatch(/Zone silhouette\s*-?\d\.\d{3}/);
    await shot(page, 'e2e-atlas.png');
    log(`atlas: ${await num(page, 'atlas-plot', 'data-layouts')} layouts`);
    // the per-layer vectors lay out too
    await page.getByTestId('atlas-per-layer').check();
    await expect.poll(() => page.getByTestId('atlas-status').innerText(), { timeout: 60_000 }).toMatch(/per layer of 8 countries/);

    // back to Train: the run finishes with a row per method
    await page.getByTestId('nav-train').click();
    await page.locator('[data-testid="run-progress-card"] [data-testid="run-status"][data-status="done"]').waitFor({ timeout: 480_000 });
    log('done');
    await expect.poll(() => attr(page, 'results-table', 'data-rows')).toBe('3');
    for (const m of ['lora', 'zhyper-diag', 'cuma']) {
      expect(await page.getByTestId(`result-row-${m}`).getAttribute('data-state')).toBe('done');
      const acc = Number(await page.getByTestId(`result-row-${m}`).getAttribute('data-acc'));
      expect(acc).toBeGreaterThanOrEqual(0);
      expect(acc).toBeLessThanOrEqual(1);
    }
    expect(await page.getByTestId('result-row-zhyper-diag').innerText()).toMatch(/z̄_c/);
    expect(await page.getByTestId('result-row-cuma').innerText()).toMatch(/routing ḡ_c/);
    // the reference rows under them: the mean, the zone prior, P* (EMD 0 to itself)
    expect(await page.locator('.reference-row').count()).toBe(3);
    expect(await page.getByTestId('reference-row-question-prior').innerText()).toMatch(/Question prior/);
    expect(Number(await page.getByTestId('reference-row-exact').getAttribute('data-emd'))).toBe(0);
    expect(await num(page, 'loss-plot', 'data-points')).toBe(9);
    await expect.poll(() => page.getByTestId('metric-plots').getAttribute('data-points')).toBe('9');
    expect(await num(page, 'train-progress', 'data-fraction')).toBe(1);
    await shot(page, 'e2e-train-done.png');

    // the Atlas of the finished run: CUMA's routing signatures and Zhyper's z, one toggle apart
    await page.getByTestId('nav-atlas').click();
    await page.getByTestId('atlas-kind-routing').check();
    await expect.poll(() => page.getByTestId('atlas-status').innerText(), { timeout: 30_000 }).toMatch(/CUMA \(top-2 of 8\) · CUMA routing ḡ_c( per layer)? of 8 countries after step 3 of 3/);
    await page.getByTestId('atlas-per-layer').uncheck();
    await expect.poll(() => attr(page, 'atlas-plot', 'data-final'), { timeout: 60_000 }).toBe('1');
    await expect.poll(() => page.locator('[data-testid="atlas-plot"] .scatterlayer .point').count(), { timeout: 30_000 }).toBe(8);
    await shot(page, 'e2e-atlas-routing.png');
    await page.getByTestId('atlas-kind-z').check();
    await expect.poll(() => page.getByTestId('atlas-status').innerText(), { timeout: 30_000 }).toMatch(/Zhyper \(diag\) · Zhyper z̄_c of 8 countries after step 3 of 3/);
    await page.getByTestId('nav-train').click();

    // exports: results JSON (the CLI's shape plus the log), Table 1 CSV, the trained adapter
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const res = JSON.parse(readFileSync(await json.path(), 'utf8'));
    expect(res.rows.map((r: { method: string }) => r.method)).toEqual(['lora', 'zhyper-diag', 'cuma']);
    expect(res.table).toMatch(/^\| Method \| Acc ↑/);
    expect(res.atlas.train).toHaveLength(9);
    expect(res.atlas.status).toBe('done');
    expect(res.references.map((r: { name: string }) => r.name)).toEqual(['question-prior', 'zone-prior', 'exact']);
    // acc, macro-F1, EMD (WVB), EMD to P*, each with its 95% bootstrap interval
    expect(res.table).toMatch(/\| _Exact P\* \(ground truth\)_ \| [\d.]+ \[[\d.]+, [\d.]+\] \| [\d.]+ \[[\d.]+, [\d.]+\] \| [\d.]+ \[[\d.]+, [\d.]+\] \| 0\.000 \[0\.000, 0\.000\] \|/);
    // every row carries its raw predictions
    expect(res.rows[0].predictions.length).toBe(res.rows[0].nTest);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv-1').click()]);
    expect(csv.suggestedFilename()).toMatch(/table1\.csv$/);
    const csvLines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    expect(csvLines[1]).toMatch(/^lora,LoRA \(dense\),/);
    expect(csvLines.at(-1)).toMatch(/^reference:exact,Exact P\* \(ground truth\),[\d.]+,[\d.]+,[\d.]+,0,/);
    const [ad] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-adapter-zhyper-diag').click()]);
    expect(ad.suggestedFilename()).toMatch(/^zhyper-diag-.*\.safetensors$/);
    expect(readFileSync(await ad.path()).subarray(8, 9).toString()).toBe('{'); // a safetensors header

    // a bad results file: refused with the reason, the list unchanged
    const listed = await page.getByTestId('run-item').count();
    await page.getByTestId('import-results-input').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world"}') });
    const err = page.locator('[data-testid="error"][data-error-area="import"]');
    await err.waitFor({ timeout: 10_000 });
    expect(await err.innerText()).toMatch(/notes\.json is not a results file/);
    expect(await page.getByTestId('run-item').count()).toBe(listed);
    // our own export imports back as a new run (here with two Table 2 rows added, to show that table)
    const withLoco = {
      ...res,
      loco: [
        { method: 'zhyper-diag', label: 'Zhyper (diag)', zone: 'Confucian', nTest: 2, full: { acc: 0.5, emd: 0.2 }, loco: { acc: 0.25, emd: 0.3 } },
        { method: 'zhyper-diag', label: 'Zhyper (diag)', zone: 'Latin America', nTest: 1, full: { acc: 1, emd: 0.1 }, loco: { acc: 1, emd: 0.12 } },
      ],
    };
    await page.getByTestId('import-results-input').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(withLoco)) });
    await expect.poll(() => page.getByTestId('run-item').count()).toBe(listed + 1);
    expect(await page.locator('[data-testid="run-item"][data-status="imported"]').count()).toBe(1);
    await expect.poll(() => attr(page, 'loco-table', 'data-rows')).toBe('2');
    expect(await page.getByTestId('train-progress-text').innerText()).toMatch(/Imported from mine\.json: 3 rows/);
    await shot(page, 'e2e-train-imported.png');

    // reload: the run is still there with its results, its adapter in storage
    const runId = JSON.parse(readFileSync(await json.path(), 'utf8')).atlas.id as string;
    await page.reload();
    await page.getByTestId('view-train').waitFor();
    const item = page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`);
    await item.waitFor({ timeout: 30_000 });
    expect(await item.getAttribute('data-status')).toBe('done');
    expect(await item.getAttribute('data-rows')).toBe('3');
    await item.getByTestId('run-open').click();
    await expect.poll(() => attr(page, 'results-table', 'data-rows')).toBe('3');
    expect(await page.locator('.reference-row').count()).toBe(3);
    expect(await num(page, 'loss-plot', 'data-points')).toBe(9);
    log('reloaded');

    // the Atlas replays the recording the run kept across the reload: the map forming, frame by frame
    await page.getByTestId('nav-atlas').click();
    await page.getByTestId('atlas-replay').click();
    await expect.poll(() => num(page, 'atlas-plot', 'data-replay'), { timeout: 60_000, interval: 200 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('atlas-status').innerText(), { timeout: 60_000, interval: 200 }).toMatch(/replay: frame \d of 3, step \d of 3/);
    await expect.poll(() => num(page, 'atlas-plot', 'data-replay'), { timeout: 120_000 }).toBe(0);
    expect(await num(page, 'atlas-plot', 'data-step')).toBe(3);
    await page.getByTestId('nav-train').click();
    log('replayed');

    // its Zhyper adapter goes on the model through the adapter bar's file path
    await page.locator('[data-testid="train-model-status"][data-status="ready"]').waitFor({ timeout: 180_000 });
    await page.getByTestId('compare-adapter-zhyper-diag').click();
    await page.getByTestId('view-compare').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('adapter-summary').innerText(), { timeout: 120_000 }).toMatch(/kept in this browser, zhyper-diag-.*\.safetensors/);
    expect(await page.getByTestId('adapter-summary').getAttribute('data-method')).toBe('zhyper');
    log('loaded into Compare');
    await page.close();
  }, 1_500_000);
});
