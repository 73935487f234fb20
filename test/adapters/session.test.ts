// The conditioned session the worker and the CLI share: presets with overrides, scoring a multiple-choice
// question as a persona (z and gates included), blending two personas, persona prompting, generation.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { ConditionSession, choicePromptIds, multipleChoicePrompt, type Encoder } from '../../src/adapters/session';
import { DEFAULT_GENERATE } from '../../src/model/api';
import { rand } from '../helpers/gpu';

/** a deterministic stand-in encoder: each text gets its own fixed random vector */
const fakeEncoder = (dim: number): Encoder & { calls: number } => {
  const enc = {
    id: `fake-${dim}`,
    dim,
    calls: 0,
    embed: async (texts: string[]) => {
      enc.calls += texts.length;
      return texts.map((t) => rand(dim, [...t].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)));
    },
  };
  return enc;
};

let rt: Runtime;
let s: ConditionSession;
const Q = 'How important is religion in your life?';
const OPTS = ['Very important', 'Rather important', 'Not very important', 'Not at all important'];
beforeAll(async () => {
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  await rt.load(dirSource(makeModel('llama', join(mkdtempSync(join(tmpdir(), 'atlas-sess-')), 'llama'))));
  s = new ConditionSession(rt);
  s.setEncoder(fakeEncoder(48));
});
afterAll(() => rt?.destroy());

describe('ConditionSession', () => {
  it('a preset with overrides gives the adapter asked for', () => {
    const sum = s.newAdapter('cuma', 3, 'random', { r: 4, targets: ['k', 'o'], experts: 4, topK: 1, gating: 'double', sharedA: false });
    expect(sum).toMatchObject({ method: 'cuma', r: 4, targets: ['k', 'o'], experts: 4, topK: 1, gating: 'double', sharedA: false, condDim: 48, encoderId: 'fake-48', numLayers: 2 });
    expect(s.newAdapter('cuma-soft', 3, 'random', { experts: 6 }).topK).toBe(6);
  });

  it('scores options as a persona: probabilities, gates per layer and token, two personas differ', async () => {
    s.newAdapter('cuma', 4, 'random');
    const a = await s.score({ text: 'Country: Norway.' }, Q, OPTS, { chat: false, routing: true });
    expect(a.labels).toEqual(['A', 'B', 'C', 'D']);
    expect(a.probs.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    expect(a.promptText).toBe(multipleChoicePrompt(Q, OPTS));
    expect(a.gates!.layers.length).toBe(2);
    expect(a.gates!.layers[0].length).toBe(a.gates!.tokens.length * a.gates!.E);
    const b = await s.score({ text: 'Country: Nigeria.' }, Q, OPTS, { chat: false, routing: true });
    expect(Math.max(...a.probs.map((p, i) => Math.abs(p - b.probs[i])))).toBeGreaterThan(1e-4);
  });

  it('blend: alpha 0 is persona A, alpha 1 is persona B, in between moves; z comes with Zhyper', async () => {
    s.newAdapter('zhyper', 5, 'random');
    const A = await s.score({ text: 'Country: Japan.' }, Q, OPTS, { chat: false });
    const B = await s.score({ text: 'Country: Brazil.' }, Q, OPTS, { chat: false });
    const at = async (alpha: number) => s.score({ text: 'Country: Japan.', textB: 'Country: Brazil.', alpha }, Q, OPTS, { chat: false });
    const close = (p: number[], q: number[]) => Math.max(...p.map((v, i) => Math.abs(v - q[i])));
    expect(close((await at(0)).probs, A.probs)).toBeLessThan(1e-6);
    expect(close((await at(1)).probs, B.probs)).toBeLessThan(1e-6);
    const mid = await at(0.5);
    expect(close(mid.probs, A.probs)).toBeGreaterThan(1e-6);
    expect(mid.z!.targets).toEqual(['q', 'v']);
    expect(mid.z!.values.length).toBe(2);
    expect(mid.z!.values[0][0].length).toBe(8);
  });

  it('embeds each condition text once', async () => {
    const enc = fakeEncoder(48);
    s.setEncoder(enc);
    s.newAdapter('zhyper', 6, 'random');
    const first = await s.score({ text: 'Country: Chile.' }, Q, OPTS, { chat: false });
    const again = await s.score({ text: 'Country: Chile.' }, Q, OPTS, { chat: false });
    expect(enc.calls).toBe(1);
    expect(again.probs).toEqual(first.probs);
  });

  it('persona prompting puts the profile before the question and leaves the adapter out of it', async () => {
    s.newAdapter('zhyper', 7, 'random');
    const p = await s.score({ text: 'Country: Chile.', mode: 'prompt' }, Q, OPTS, { chat: false });
    expect(p.promptText.startsWith('Country: Chile.\n\n')).toBe(true);
    const g = await s.generate({ text: 'Country: Chile.' }, 'Hello', { ...DEFAULT_GENERATE, maxTokens: 3, chat: false });
    expect(g.ids.length).toBeGreaterThan(0);
  });

  it('the prompt the runner trains on is the prompt Compare scores: chat template or plain', async () => {
    const body = multipleChoicePrompt(Q, OPTS).replace(/\nAnswer:$/, '');
    const chat = choicePromptIds(rt, body, true);
    expect(chat.text).toBe(`<|im_start|>user\n${body}<|im_end|>\n<|im_start|>assistant\nAnswer:`);
    expect(chat.ids).toEqual([...rt.encodePrompt(body, true), ...rt.tokenizer!.encode('Answer:', false)]);
    const plain = choicePromptIds(rt, body, false);
    expect(plain.text).toBe(multipleChoicePrompt(Q, OPTS));
    expect(plain.ids).toEqual(rt.encodePrompt(multipleChoicePrompt(Q, OPTS), false));
    expect(choicePromptIds(rt, body, false, 'Answer: ').text.endsWith('\nAnswer: ')).toBe(true);
    s.useAdapter(null);
    expect((await s.score({ text: null }, Q, OPTS, { chat: true })).promptText).toBe(chat.text);
    expect((await s.score({ text: null }, Q, OPTS, { chat: false })).promptText).toBe(plain.text);
  });

  it('refuses an adapter made for another encoder width, naming both', () => {
    s.newAdapter('zhyper', 8, 'train');
    const a = s.adapter!;
    s.setEncoder(fakeEncoder(32));
    expect(() => s.useAdapter(a)).toThrow(/reads 48-number condition embeddings .* fake-32 gives 32/);
  });
});

describe('GpuAdapter', () => {
  it('refuses tensors whose shapes do not fit the backbone, naming the tensor', async () => {
    const { createAdapter, defaultSpec } = await import('../../src/adapters/create');
    const dims = rt.dims();
    const a = createAdapter(defaultSpec('zhyper', 48), { ...dims, hiddenSize: dims.hiddenSize + 4, qDim: dims.qDim }, 1, 'train');
    expect(() => rt.attachAdapter(a)).toThrow(/adapter tensor layers\.0\.q\.A is \[8, 68\] but this backbone needs \[8, 64\]/);
  });
});
