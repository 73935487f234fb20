import { chromium } from 'playwright-core';
import { preview } from 'vite';
const app = await preview({ logLevel: 'warn', build: { outDir: '/tmp/dist-check' }, preview: { port: 4179, host: '127.0.0.1' } });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--no-sandbox'] });
const [w, h] = (process.env.SIZE ?? '1280x720').split('x').map(Number);
const ctx = await browser.newContext({ viewport: { width: w, height: h } });
const page = await ctx.newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message));
page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.text()); });
for (const step of process.argv.slice(2)) {
  const [kind, arg, arg2] = step.split('|');
  if (kind === 'go') await page.goto(`http://127.0.0.1:4179/${arg}`);
  if (kind === 'wait') await page.waitForTimeout(Number(arg));
  if (kind === 'click') await page.getByTestId(arg).click();
  if (kind === 'waitfor') await page.locator(arg).waitFor({ timeout: 180000 });
  if (kind === 'shot') await page.screenshot({ path: arg, fullPage: arg2 === 'full' });
  if (kind === 'eval') console.log(await page.evaluate(arg));
}
await browser.close();
await new Promise((r) => app.httpServer.close(r));
