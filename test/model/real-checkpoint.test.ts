// A real pretrained checkpoint in the suite: llama2.c's stories260K (a Llama trained on TinyStories: dim 64,
// 5 layers, 8 query / 4 key-value heads, hidden 172, vocabulary 512), converted by src/model/llama2c.ts and
// checked against llama2.c's own C forward (run.c's logits and greedy tokens, test/fixtures/stories260K/run-c.json).
// Then what f16, q8 and q4 cost on trained weights, where the random fixtures' flat logits say little.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { parseSafetensors, tensorToF32, writeSafetensors, type WriteTensor } from '../../src/model/safetensors';
import { f16Bits, f16Value } from '../../src/model/f16';
import { convertLlama2cModel, llama2cTokenizerFiles, readLlama2cTokenizer, Llama2cError } from '../../src/model/llama2c';
import { loadTokenizer } from '../../src/model/tokenizer';
import { writeLlama2cFolder } from '../../scripts/llama2c-to-hf';
import { llama2cTokenizerBytes, syntheticPieces } from '../helpers/llama2c';
import { spBpeEncode } from '../reference/sp-bpe';
import type { WeightDtype } from '../../src/gpu/kernels';

const FIXTURE = 'test/fixtures/stories260K';
const runC = JSON.parse(readFileSync(join(FIXTURE, 'run-c.json'), 'utf8')) as { greedy_from_bos: number[]; prompt: number[]; last_logits: number[] };
const GREEDY = { greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false };

let rt: Runtime;
let dir: string;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'atlas-s260-'));
  writeFileSync(join(work, 'tok512.bin'), llama2cTokenizerBytes(syntheticPieces(512)));
  dir = join(work, 'hf');
  writeLlama2cFolder(join(FIXTURE, 'stories260K.bin'), join(work, 'tok512.bin'), dir);
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
});
afterAll(() => rt?.destroy());

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};
const logitsIn = async (weights: WeightDtype, model = dir) => {
  await rt.load(dirSource(model), undefined, undefined, { weights });
  return rt.logits(runC.prompt);
};
const greedyIn = async (weights: WeightDtype) => {
  await rt.load(dirSource(dir), undefined, undefined, { weights });
  return (await rt.generate([1], { ...GREEDY, maxTokens: 255 })).ids;
};
const agreeing = (a: number[], b: number[]) => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
};

describe('stories260K, a real pretrained Llama (llama2.c), against llama2.c run.c', () => {
  it('f32: last-position logits within 1e-4 of run.c, and run.c’s 255 greedy tokens from <s>, token for token', async () => {
    const l = await logitsIn('f32');
    const range = Math.max(...runC.last_logits.map(Math.abs));
    expect(range).toBeGreaterThan(5); // a trained model's peaked logits, not a random one's flat ones
    expect(maxAbsDiff(l, runC.last_logits)).toBeLessThan(1e-4);
    expect(await greedyIn('f32')).toEqual(runC.greedy_from_bos.slice(1));
  });

  it('f16: adds nothing to rounding the matrices (1e-4 of f32 on f16-rounded matrices); moves the logits by under 0.06, greedy the same for 30+ tokens', async () => {
    // the same checkpoint with every matrix rounded to f16 (norms stay f32, as the f16 load keeps them), read in f32
    const rounded = join(work, 'hf-f16-rounded');
    cpSync(dir, rounded, { recursive: true });
    const f = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const t: Record<string, WriteTensor> = {};
    for (const [n, info] of f.tensors) {
      const x = tensorToF32(f, info);
      t[n] = { shape: info.shape, data: info.shape.length === 2 ? x.map((v) => f16Value(f16Bits(v))) : x };
    }
    writeFileSync(join(rounded, 'model.safetensors'), writeSafetensors(t));
    const l16 = await logitsIn('f16');
    expect(maxAbsDiff(l16, await logitsIn('f32', rounded))).toBeLessThan(1e-4);
    // rounding alone, on these weights (std 0.3, logits up to 13): 0.042 measured
    const d = maxAbsDiff(l16, runC.last_logits);
    expect(d).toBeGreaterThan(1e-3);
    expect(d).toBeLessThan(0.06);
    // greedy follows run.c until a near-tie (f32's top two 0.003 apart at token 38, less than the rounding moves them)
    expect(agreeing(await greedyIn('f16'), runC.greedy_from_bos.slice(1))).toBeGreaterThanOrEqual(30);
  });

  it('q8 and q4 on trained weights: what they cost (q8 0.55, q4 7: a 64-wide model is two blocks a row)', async () => {
    const f32 = runC.last_logits;
    const q8 = maxAbsDiff(await logitsIn('q8'), f32);
    const q4 = maxAbsDiff(await logitsIn('q4'), f32);
    expect(q8).toBeLessThan(0.7);
    expect(q4).toBeGreaterThan(q8);
    expect(q4).toBeLessThan(9);
  });
});

describe('llama2.c files (src/model/llama2c.ts)', () => {
  const bin = () => new Uint8Array(readFileSync(join(FIXTURE, 'stories260K.bin')));

  it('converts to the Hugging Face layout: config, names and shapes; wq and wk rows reordered from pairs to halves', () => {
    const { header, config, tensors } = convertLlama2cModel(bin());
    expect(header).toEqual({ dim: 64, hiddenDim: 172, numLayers: 5, numHeads: 8, numKVHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true });
    expect(config).toMatchObject({ architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 172, num_key_value_heads: 4, tie_word_embeddings: true });
    expect(Object.keys(tensors)).toHaveLength(1 + 5 * 9 + 1);
    expect(tensors['model.layers.4.mlp.down_proj.weight'].shape).toEqual([64, 172]);
    expect(tensors['model.layers.0.self_attn.k_proj.weight'].shape).toEqual([32, 64]);
    // head 0's wq row 1 (pair 0, second half) is stored at row 1 of the .bin; it moves to row 0 + 8/2 = 4
    const raw = new Float32Array(bin().slice(28).buffer);
    const wq0 = raw.subarray(512 * 64 + 5 * 64);
    expect(Array.from(tensors['model.layers.0.self_attn.q_proj.weight'].data.subarray(4 * 64, 5 * 64))).toEqual(Array.from(wq0.subarray(64, 128)));
  });

  it('an unshared classifier (negative vocab_size) becomes lm_head, untied', () => {
    const b = bin();
    const wcls = Float32Array.from({ length: 512 * 64 }, (_, i) => Math.sin(i));
    const u = new Uint8Array(b.length + wcls.byteLength);
    u.set(b);
    u.set(new Uint8Array(wcls.buffer), b.length);
    new DataView(u.buffer).setInt32(20, -512, true);
    const { header, config, tensors } = convertLlama2cModel(u);
    expect([header.vocabSize, header.sharedClassifier, config.tie_word_embeddings]).toEqual([512, false, false]);
    expect(tensors['lm_head.weight'].shape).toEqual([512, 64]);
    expect(Array.from(tensors['lm_head.weight'].data)).toEqual(Array.from(wcls));
    expect(Array.from(tensors['model.embed_tokens.weight'].data.subarray(0, 64))).toEqual(Array.from(new Float32Array(b.slice(28, 28 + 256).buffer)));
  });

  it('refuses by name: a truncated file, a version-1/2 export, a header that makes no sense', () => {
    const b = bin();
    expect(() => convertLlama2cModel(b.slice(0, b.length - 4), 'x.bin')).toThrow(/x\.bin holds 1056536 bytes but its header .* needs 1056540: truncated/);
    const v1 = b.slice();
    new DataView(v1.buffer).setUint32(0, 0x616b3432, true);
    new DataView(v1.buffer).setInt32(4, 2, true);
    expect(() => convertLlama2cModel(v1, 'x.bin')).toThrow(Llama2cError);
    expect(() => convertLlama2cModel(v1, 'x.bin')).toThrow(/version-2 export .*version-0/);
    const odd = b.slice();
    new DataView(odd.buffer).setInt32(12, 7, true); // 7 heads do not divide dim 64
    expect(() => convertLlama2cModel(odd, 'x.bin')).toThrow(/dim 64 is not a multiple of n_heads 7/);
    expect(() => convertLlama2cModel(b.slice(0, 10), 'x.bin')).toThrow(/shorter than a llama2.c header/);
    // one past what the converter reads whole (a sparse file: nothing is written or read)
    const big = join(work, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31);
    expect(() => writeLlama2cFolder(big, join(work, 'tok512.bin'), join(work, 'big'))).toThrow(/big\.bin is 2\.0 GiB; this converter reads a checkpoint whole and takes up to 2 GiB/);
  });

  it('refuses a tokenizer of another model, a cut one, or one that is not SentencePiece', () => {
    const tok = llama2cTokenizerBytes(syntheticPieces(512));
    expect(() => readLlama2cTokenizer(tok, 500, 't.bin')).toThrow(/t\.bin holds more than the model's 500 tokens/);
    expect(() => readLlama2cTokenizer(tok.slice(0, 3000), 512, 't.bin')).toThrow(/t\.bin ends after \d+ tokens; the model has 512|token \d+ has length/);
    const notSp = syntheticPieces(512);
    notSp[1] = { piece: '<|begin|>', score: 0 };
    expect(() => llama2cTokenizerFiles(notSp)).toThrow(/id 1 is "<\|begin\|>", not "\\n<s>\\n"/);
    const noBytes = syntheticPieces(512);
    noBytes[3 + 0x41] = { piece: 'A', score: 0 };
    expect(() => llama2cTokenizerFiles(noBytes)).toThrow(/id 68 is "A", not <0x41>: not a byte-fallback vocabulary/);
    const twice = syntheticPieces(512);
    twice[400] = { ...twice[401] };
    expect(() => llama2cTokenizerFiles(twice)).toThrow(/appears twice \(ids 400 and 401\)/);
    // pieces that are names on Object.prototype are ordinary words (Llama-2's vocabulary has "toString")
    const words = syntheticPieces(512);
    words[300] = { piece: 'toString', score: -1 };
    words[301] = { piece: '__proto__', score: -2 };
    const vocab = llama2cTokenizerFiles(words).tokenizerJSON.model as { vocab: Record<string, number> };
    expect([Object.hasOwn(vocab.vocab, 'toString') && vocab.vocab.toString, Object.hasOwn(vocab.vocab, '__proto__')]).toEqual([300, true]);
  });

  it('its tokenizer.json encodes as llama2.c does (SentencePiece BPE with byte fallback) and decodes back', async () => {
    const pieces = syntheticPieces(512);
    const { tokenizerJSON, tokenizerConfig } = llama2cTokenizerFiles(pieces);
    const files = {
      label: 't',
      has: async (n: string) => n === 'tokenizer.json' || n === 'tokenizer_config.json',
      readText: async (n: string) => JSON.stringify(n === 'tokenizer.json' ? tokenizerJSON : tokenizerConfig),
      readBytes: async () => new Uint8Array(),
    };
    const tok = await loadTokenizer(files as never);
    expect(tok.vocabSize).toBe(512);
    for (const text of ['Once upon a time, there was a little girl named Lily.', 'She said, "the day was big!"', 'two  spaces and\nnew lines', 'café, naïve 你好 🙂', 'x']) {
      const ids = tok.encode(text, true);
      expect(ids, text).toEqual(spBpeEncode(pieces, text));
      expect(tok.decode(ids), text).toBe(text);
    }
    // merges did the work: far fewer ids than characters for plain English
    expect(tok.encode('Once upon a time, there was a little girl named Lily.', false).length).toBeLessThan(20);
  });
});
