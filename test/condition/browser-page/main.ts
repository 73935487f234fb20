// Runs in Chromium for browser.test.ts: both encoders as the app would use them, offline.
import { createDefaultEncoder } from '../../../src/condition/encoder';
import { createHubEncoder } from '../../../src/condition/hub';

declare global {
  interface Window {
    conditionResult?: { use?: number[][]; tiny?: number[][]; error?: string };
  }
}

const params = new URLSearchParams(location.search);
const texts: string[] = JSON.parse(params.get('texts') ?? '[]');

(async () => {
  try {
    const use = await createDefaultEncoder();
    const tiny = await createHubEncoder('tiny-bert', { localModelPath: params.get('models') ?? '/', allowRemote: false });
    window.conditionResult = {
      use: (await use.embed(texts)).map((v) => Array.from(v)),
      tiny: (await tiny.embed(texts)).map((v) => Array.from(v)),
    };
  } catch (e) {
    window.conditionResult = { error: String((e as Error).stack ?? e) };
  }
})();
