// End-to-end in Chromium: real survey data and the authors' recipe in the Train view. A GlobalOpinionQA
// file in its real layout (with a stray quote, Pew's numeric options, several samples of one country) is
// picked, and fetched from a hub-shaped route; the importer's report is shown; a run on the file's
// questions with CUMA on the code recipe finishes with Table 1 on those questions, where P* is the file's
// distribution (the exact row's EMD to P* is 0). Screenshots: e2e-train-goqa-1280.png, e2e-train-goqa-1440.png.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOTS, startHarness, type Harness } from './harness';
import { GOQA_TEXT } from '../data/fixtures/real-layouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 300_000);
afterAll(async () => {
  await h?.close();
});

describe('Train on real opinions in Chromium', () => {
  it('loads a GlobalOpinionQA file (picked, and fetched from the hub), shows what was left out, and trains CUMA on the code recipe on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atlas-goqa-'));
    const file = join(dir, 'global_opinions.csv');
    writeFileSync(file, GOQA_TEXT);
    const page = await h.open(`${h.appUrl}#/train`, { width: 1280, height: 720 });
    await page.locator('[data-testid="train-model-status"][data-status="ready"]').waitFor({ timeout: 180_000 });

    await page.getByTestId('data-goqa').check();
    await page.getByTestId('goqa-none').waitFor();
    // nothing loaded yet: the run cannot start, and says why
    expect(await page.getByTestId('train-form-problem').textContent()).toMatch(/Load a GlobalOpinionQA file/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);

    await page.getByTestId('goqa-file-input').setInputFiles(file);
    const summary = page.getByTestId('goqa-summary');
    await summary.waitFor();
    expect(await summary.getAttribute('data-questions')).toBe('4');
    expect(await summary.getAttribute('data-rejected')).toBe('1');
    await summary.locator('summary').click();
    const issues = (await page.getByTestId('goqa-issues').textContent()) ?? '';
    expect(issues).toMatch(/line 6: malformed CSV: a stray quote/);
    expect(issues).toMatch(/Nigeria: Nigeria counts; not counted: Nigeria \(Non-national sample\)/);

    // the same file from a hub-shaped route (the browser's fetch; no network here)
    // the hub's resolve URL, whatever its origin: served here, so nothing leaves the machine
    await page.route('**/datasets/*/*/resolve/**', (route) => route.fulfill({ status: 200, contentType: 'text/csv', body: GOQA_TEXT }));
    await page.getByTestId('goqa-fetch').click();
    await expect.poll(async () => (await summary.textContent()) ?? '').toMatch(/Anthropic\/llm_global_opinions/);

    // a small run: persona prompting and CUMA (code recipe), 2 questions, 3 people per country, one step
    for (const m of ['lora', 'zhyper-diag']) await page.getByTestId(`method-${m}`).setChecked(false);
    await page.getByTestId('method-persona-prompting').setChecked(true);
    await page.getByTestId('method-cuma').setChecked(true);
    await page.getByTestId('recipe-cuma').selectOption('code');
    await page.getByTestId('goqa-questions').fill('2');
    await page.getByTestId('goqa-people').fill('3');
    await page.getByTestId('train-steps').fill('1');
    await page.getByTestId('train-batch').fill('1');
    await page.locator('.more-settings summary').click();
    await page.getByTestId('train-max-examples').fill('4');
    await page.getByTestId('train-max-test').fill('4');
    await page.getByTestId('train-metrics-every').fill('0');
    await page.getByTestId('train-signatures-every').fill('0');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'e2e-train-goqa-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.screenshot({ path: join(SHOTS, 'e2e-train-goqa-1440.png') });

    await page.getByTestId('train-start').click();
    const t0 = Date.now();
    const status = page.locator('[data-testid="run-progress-card"] [data-testid="run-status"]');
    await expect.poll(async () => {
      const st = await status.first().getAttribute('data-status');
      console.log(`[goqa e2e] ${((Date.now() - t0) / 1000).toFixed(0)}s ${st} ${(await page.getByTestId('train-progress').getAttribute('data-fraction')) ?? ''}`);
      return st;
    }, { timeout: 600_000, interval: 15_000 }).toMatch(/done|failed/);
    await page.screenshot({ path: join(SHOTS, 'e2e-train-goqa-done.png'), fullPage: true });
    expect((await page.getByTestId('error').allTextContents()).join(' ')).toBe('');
    expect(await status.first().getAttribute('data-status')).toBe('done');
    await page.getByTestId('result-row-cuma').waitFor();
    await page.getByTestId('result-row-persona-prompting').waitFor();
    // P* is the file's distribution: the exact reference row is 0 from itself
    expect(Number(await page.getByTestId('reference-row-exact').getAttribute('data-emd'))).toBe(0);
    // the run records the data and the recipe it was trained with
    const cfg = await page.evaluate(() => {
      const t = (window as unknown as { __atlas: { getTrain(): { runs: { config: { data?: unknown; recipe?: string; recipeFor?: unknown } }[] } } }).__atlas.getTrain();
      return t.runs[0].config;
    });
    expect(cfg.data).toMatchObject({ kind: 'goqa', questions: 2, participantsPerCountry: 3 });
    expect(cfg.recipeFor).toEqual({ cuma: 'code' });
  }, 1_000_000);
});
