// End-to-end in Chromium: a run cut off by a reload resumes from its last checkpoint with one click, and a run
// whose GPU device is lost resumes by itself (the device restarted, the model reloaded); both end with the same
// Table 1 as the same run never interrupted (every test answer's probabilities equal). Screenshots:
// test-results/e2e-train-interrupted.png (the Resume button after a reload), e2e-train-resumed.png,
// e2e-train-flagged.png (a smoke test's intervals and flags).
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

interface RowView {
  method: string;
  acc: number;
  predictions: { probs: number[] }[];
  losses: number[];
}
type TrainApi = { getTrain(): { runs: { id: string; status: string; rows: RowView[] }[]; checkpoints: Record<string, { step: number; key: string } | null> } };
const api = (page: Page) => page.evaluate(() => (window as unknown as { __atlas: TrainApi }).__atlas.getTrain());
const runOf = async (page: Page, id: string) => (await api(page)).runs.find((r) => r.id === id)!;
/** what must match between runs: every method's per-answer probabilities and losses */
const outcome = (rows: RowView[]) => rows.map((r) => ({ method: r.method, acc: r.acc, probs: r.predictions.map((p) => p.probs), losses: r.losses }));

async function fill(page: Page, testId: string, value: string) {
  await page.getByTestId(testId).fill(value);
}

async function setUp(page: Page) {
  await page.getByTestId('view-train').waitFor();
  await page.locator('[data-testid="train-model-status"][data-status="ready"]').waitFor({ timeout: 180_000 });
  await page.getByTestId('train-world').selectOption('tiny');
  for (const m of ['persona-prompting', 'lora', 'zhyper-diag', 'cuma']) await page.getByTestId(`method-${m}`).setChecked(m === 'lora' || m === 'zhyper-diag');
  await fill(page, 'train-steps', '12');
  await fill(page, 'train-batch', '2');
  await fill(page, 'train-seed', '4');
  await page.getByTestId('train-persona').setChecked(false);
  await page.locator('.more-settings summary').click();
  await fill(page, 'train-max-examples', '16');
  await fill(page, 'train-max-test', '4');
  await fill(page, 'train-metrics-every', '0');
  await fill(page, 'train-signatures-every', '0');
}

async function startRun(page: Page): Promise<string> {
  const before = new Set((await api(page)).runs.map((r) => r.id));
  await page.getByTestId('train-start').click();
  await expect.poll(async () => (await api(page)).runs.find((r) => !before.has(r.id))?.id ?? null, { timeout: 30_000 }).not.toBeNull();
  return (await api(page)).runs.find((r) => !before.has(r.id))!.id;
}

const waitDone = (page: Page, id: string) => expect.poll(async () => (await runOf(page, id)).status, { timeout: 900_000, interval: 2000 }).toBe('done');

describe('resuming interrupted runs in Chromium', () => {
  it('a reload mid-run, then Resume; a lost device mid-run, resumed by itself: both end as the uninterrupted run', { timeout: 2_400_000 }, async () => {
    const t0 = Date.now();
    const log = (what: string) => console.log(`[resume e2e] ${((Date.now() - t0) / 1000).toFixed(0)}s ${what}`);
    const page = await h.open(`${h.appUrl}#/train`, { width: 1280, height: 720 });
    await setUp(page);

    // 1. the run uninterrupted
    const whole = await startRun(page);
    // while it trains the header says so, and what would be refused is disabled with the reason on hover
    await expect.poll(() => page.getByTestId('top-model-status').textContent(), { timeout: 30_000 }).toMatch(/Model training/);
    await page.getByTestId('nav-compare').click();
    expect(await page.getByTestId('score').isDisabled()).toBe(true);
    expect(await page.getByTestId('score').getAttribute('title')).toMatch(/training run is using the model/);
    expect(await page.getByTestId('lab-training').textContent()).toMatch(/training in the Train view/);
    await page.getByTestId('nav-train').click();
    await waitDone(page, whole);
    expect(await page.getByTestId('top-model-status').textContent()).toMatch(/Model loaded/);
    const want = outcome((await runOf(page, whole)).rows);
    expect(want.map((r) => r.method)).toEqual(['lora', 'zhyper-diag']);
    log('uninterrupted run done');
    // a smoke test (n = 4 test answers): said so, each number with its interval, flags where they apply
    expect(await page.getByTestId('smoke-test').innerText()).toMatch(/Smoke test: n = 4 test answers/);
    expect(await page.locator('[data-testid="results-table"] .ci').count()).toBeGreaterThanOrEqual(8);
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot from the top: the sticky header stays on top
    await page.screenshot({ path: join(SHOTS, 'e2e-train-flagged.png'), fullPage: true });

    // 2. the same run, cut off by a reload once Zhyper has a checkpoint
    const cut = await startRun(page);
    await expect.poll(async () => (await api(page)).checkpoints[cut]?.key ?? '', { timeout: 900_000, interval: 500 }).toBe('1:zhyper-diag');
    await page.reload();
    await page.getByTestId('view-train').waitFor();
    await page.locator('[data-testid="train-model-status"][data-status="ready"]').waitFor({ timeout: 180_000 });
    await page.locator(`[data-testid="run-item"][data-run-id="${cut}"] [data-testid="run-open"]`).click();
    await page.locator('[data-testid="run-progress-card"] [data-testid="run-status"][data-status="interrupted"]').waitFor({ timeout: 30_000 });
    const button = page.getByTestId('run-resume');
    expect(await button.innerText()).toMatch(/Resume from zhyper-diag at step (5|10)/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'e2e-train-interrupted.png'), fullPage: true });
    await button.click();
    await waitDone(page, cut);
    expect(outcome((await runOf(page, cut)).rows)).toEqual(want);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'e2e-train-resumed.png'), fullPage: true });
    log('reload + resume: same Table 1');

    // 3. the GPU device lost mid-run: restarted, model reloaded, resumed without a click
    const lost = await startRun(page);
    await expect.poll(async () => (await api(page)).checkpoints[lost]?.step ?? 0, { timeout: 900_000, interval: 500 }).toBeGreaterThan(0);
    await page.evaluate(() => (window as unknown as { __atlas: { simulateDeviceLoss(): Promise<void> } }).__atlas.simulateDeviceLoss());
    await expect.poll(async () => (await runOf(page, lost)).status, { timeout: 60_000, interval: 200 }).toBe('interrupted');
    await waitDone(page, lost);
    expect(outcome((await runOf(page, lost)).rows)).toEqual(want);
    log('device loss + automatic resume: same Table 1');
    await page.close();
  });
});
