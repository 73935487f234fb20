// The embedded default in public/ is exactly what its generator writes, and it writes words, not bytes.
import { it, expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDefaultModel } from '../../scripts/make-default-model';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';

it('public/models/default is reproducible from scripts/make-default-model.ts', () => {
  const dir = makeDefaultModel(mkdtempSync(join(tmpdir(), 'atlas-default-')));
  for (const f of readdirSync(dir)) expect(readFileSync(join('public/models/default', f)).equals(readFileSync(join(dir, f))), f).toBe(true);
});

it('the default model answers a chat prompt in English words and stops by itself', async () => {
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  try {
    await rt.load(dirSource('public/models/default'));
    const g = await rt.generate('What matters in life?', { maxTokens: 64, greedy: false, temperature: 0.8, topK: 40, topP: 0.95, seed: 3, chat: true });
    const words = g.text.trim().split(/\s+/);
    expect(words.length).toBeGreaterThan(3);
    expect(g.text).toMatch(/^[\sA-Za-z,.';]+$/);
    expect(g.stopReason).toBe('eos');
  } finally {
    rt.destroy();
  }
});
