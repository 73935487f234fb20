// Loaders on bad input: every broken folder gets a clear, specific message (and the runtime stays usable),
// plus the pieces the loaders are made of: safetensors round trips, config parsing, sources.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '../../scripts/make-test-models';
import { makeBadInputs, type BadCase } from '../helpers/bad-inputs';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { hubSource, urlSource } from '../../src/model/sources';
import { parseSafetensors, tensorToF32, writeSafetensors } from '../../src/model/safetensors';
import { parseConfig, ropeInvFreq } from '../../src/model/config';

let rt: Runtime;
let good: string;
let bad: Record<string, string>;
beforeAll(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'atlas-bad-'));
  good = makeModel('llama', join(tmp, 'good'));
  bad = makeBadInputs(good, join(tmp, 'bad'));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
});
afterAll(() => rt?.destroy());

const EXPECT: Record<BadCase, RegExp> = {
  truncated: /model\.safetensors: .*(past its end|runs past the end|truncated)/,
  'header-lies-offsets': /model\.safetensors: tensor ".*" ends at byte \d+ of the data section, past its end/,
  'header-lies-length': /model\.safetensors: header length \d+ runs past the end/,
  'unknown-dtype': /tensor "model\.norm\.weight" has dtype "F64"; supported dtypes are F32, F16 and BF16/,
  'shape-mismatch': /tensor "model\.layers\.0\.self_attn\.q_proj\.weight" has shape \[32,128\] but config\.json implies \[64,64\]/,
  'missing-tensor': /tensor "model\.layers\.1\.mlp\.down_proj\.weight" is missing from the checkpoint/,
  'bad-config-json': /config\.json is not valid JSON/,
  'unsupported-arch': /unsupported model architecture "GPT2LMHeadModel"/,
  'bad-tokenizer': /tokenizer\.json is not valid JSON/,
  'metadata-not-string': /model\.safetensors: __metadata__ "step" is 1200, not a string/,
  'tensor-entry-null': /model\.safetensors: tensor "model\.extra\.weight" has an entry null, not \{dtype, shape, data_offsets\}/,
  'overlapping-tensors': /model\.safetensors: tensors ".*" and ".*" overlap in the data section/,
  'nan-weight': /tensor "model\.layers\.1\.mlp\.up_proj\.weight" holds NaN at \[0, 7\]: the checkpoint is corrupt/,
  'inf-weight': /tensor "model\.layers\.0\.self_attn\.k_proj\.weight" holds -Infinity at \[0, 0\]/,
  'bf16-nan-weight': /tensor "model\.embed_tokens\.weight" holds NaN at \[0, 3\]/,
  'f16-past-range': /tensor "model\.layers\.1\.self_attn\.o_proj\.weight" holds 100000 at \[0, 2\], beyond f16's range.*--weights f32/,
  'config-eps-null': /config\.json: "rms_norm_eps" must be a positive number, got null/,
  'config-eps-string': /config\.json: "rms_norm_eps" must be a positive number, got "1e-5"/,
  'config-eps-negative': /config\.json: "rms_norm_eps" must be a positive number, got -0\.00001/,
  'config-theta-null': /config\.json: "rope_theta" must be a positive number, got null/,
  'config-theta-zero': /config\.json: "rope_theta" must be a positive number, got 0/,
  'config-hidden-null': /config\.json: "hidden_size" must be a positive integer, got null/,
  'config-layers-fraction': /config\.json: "num_hidden_layers" must be a positive integer, got 1\.5/,
  'config-heads-negative': /config\.json: "num_attention_heads" must be a positive integer, got -4/,
  'config-vocab-string': /config\.json: "vocab_size" must be a positive integer, got "256"/,
  'config-eos-string': /config\.json: "eos_token_id" must be a token id/,
  'config-eos-past-vocab': /config\.json: "eos_token_id" 1000000 is outside the vocabulary/,
  'config-bos-negative': /config\.json: "bos_token_id" must be a token id/,
  'config-tie-string': /config\.json: "tie_word_embeddings" must be true or false, got "false"/,
  'config-max-pos-null': /config\.json: "max_position_embeddings" must be a positive integer, got null/,
};

describe('bad-input corpus', () => {
  for (const [name, re] of Object.entries(EXPECT)) {
    it(`${name}: a clear error, and the model that was loaded keeps working`, async () => {
      await rt.load(dirSource(good));
      const before = await rt.logits([1, 2, 3]);
      await expect(rt.load(dirSource(bad[name]))).rejects.toThrow(re);
      expect(rt.model).not.toBeNull();
      expect(Array.from(await rt.logits([1, 2, 3]))).toEqual(Array.from(before));
    });
  }
  it('a missing folder or file says which', () => {
    expect(() => dirSource('/nonexistent/model')).toThrow(/does not exist/);
  });
});

describe('safetensors', () => {
  it('round-trips F32, F16 and BF16 with metadata', () => {
    const data = Float32Array.from([0, 1, -2.5, 3.140625, 65504, 1e-3]);
    const bytes = writeSafetensors(
      { a: { shape: [2, 3], data }, b: { shape: [6], data, dtype: 'F16' }, c: { shape: [3, 2], data, dtype: 'BF16' } },
      { format: 'pt' },
    );
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensorToF32(f, f.tensors.get('a')!))).toEqual(Array.from(data));
    const f16 = tensorToF32(f, f.tensors.get('b')!);
    const bf16 = tensorToF32(f, f.tensors.get('c')!);
    data.forEach((v, i) => {
      expect(Math.abs(f16[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-3);
      expect(Math.abs(bf16[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 8e-3);
    });
    expect(f.tensors.get('c')!.shape).toEqual([3, 2]);
  });
  it('rejects a file shorter than its header', () => {
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow(/too short/);
  });
});

describe('config.json', () => {
  const base = { architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
  it('fills Hugging Face defaults and reads every field real checkpoints use', () => {
    const c = parseConfig(JSON.stringify({ ...base, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: [2, 3] }));
    expect(c).toMatchObject({ arch: 'llama', numKVHeads: 2, headDim: 16, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: true, bosTokenId: 1, eosTokenIds: [2, 3], attentionBias: false, qkNorm: false });
    const d = parseConfig(JSON.stringify(base));
    expect(d).toMatchObject({ numKVHeads: 4, ropeTheta: 10000, tieWordEmbeddings: false, eosTokenIds: [] });
    expect(parseConfig(JSON.stringify({ ...base, architectures: ['Qwen3ForCausalLM'], head_dim: 32 }))).toMatchObject({ arch: 'qwen3', headDim: 32, qkNorm: true });
    expect(parseConfig(JSON.stringify({ ...base, architectures: ['Qwen2ForCausalLM'] }))).toMatchObject({ arch: 'qwen2', attentionBias: true });
  });
  it('reads rope settings from transformers 5 rope_parameters too', () => {
    const c = parseConfig(JSON.stringify({ ...base, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }));
    expect(c.ropeTheta).toBe(500000);
    expect(c.ropeScaling).toMatchObject({ type: 'llama3', factor: 32 });
    expect(parseConfig(JSON.stringify({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }))).toMatchObject({ ropeTheta: 1e6, ropeScaling: null });
  });

  it('applies Llama-3 rope scaling by frequency band', () => {
    const plain = ropeInvFreq({ headDim: 64, ropeTheta: 500000, ropeScaling: null });
    const scaled = ropeInvFreq({ headDim: 64, ropeTheta: 500000, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } });
    expect(scaled[0]).toBe(plain[0]); // high frequency: kept
    expect(scaled[31]).toBeCloseTo(plain[31] / 8, 12); // low frequency: divided by factor
    const mid = scaled.findIndex((f, i) => f !== plain[i] && Math.abs(f - plain[i] / 8) > 1e-12);
    expect(mid).toBeGreaterThan(0); // a smoothed band in between
  });
  it('rejects bad values with the field name', () => {
    expect(() => parseConfig(JSON.stringify({ ...base, num_attention_heads: 3, num_key_value_heads: 2 }))).toThrow(/not a multiple/);
    expect(() => parseConfig(JSON.stringify({ ...base, hidden_size: -1 }))).toThrow(/"hidden_size" must be a positive integer/);
    expect(() => parseConfig(JSON.stringify({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }))).toThrow(/rope_scaling type "yarn"/);
  });
});

describe('model sources over HTTP (the hub loader against a local server with the hub URL layout)', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const m = /^\/org\/tiny\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      if (req.url?.startsWith('/gated/')) return void res.writeHead(401).end();
      if (!m) return void res.writeHead(404).end();
      try {
        const body = readFileSync(join(good, m[1]));
        res.writeHead(200, { 'content-length': body.byteLength }).end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('loads a model by repo id with streamed progress, and gives the same logits as the disk copy', async () => {
    const progress: number[] = [];
    await rt.load(hubSource('org/tiny', { hub: base, cacheName: null }), (p) => p.phase === 'download' && progress.push(p.loaded / p.total));
    expect(seen.some((s) => s === 'GET /org/tiny/resolve/main/model.safetensors')).toBe(true);
    expect(progress.at(-1)).toBe(1);
    const viaHub = await rt.logits([4, 5, 6]);
    await rt.load(dirSource(good));
    expect(Array.from(await rt.logits([4, 5, 6]))).toEqual(Array.from(viaHub));
  });
  it('cancels a download', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(rt.load(hubSource('org/tiny', { hub: base, cacheName: null }), undefined, ac.signal)).rejects.toThrow(/abort|cancel/i);
  });
  it('explains 404, gated repos, bad ids and an unreachable hub', async () => {
    await expect(rt.load(hubSource('org/missing', { hub: base, cacheName: null }))).rejects.toThrow(/config\.json was not found in org\/missing \(HTTP 404\)/);
    await expect(rt.load(hubSource('gated/model', { hub: base, cacheName: null }))).rejects.toThrow(/gated or private/);
    expect(() => hubSource('not a repo id')).toThrow(/not a Hugging Face repo id/);
    await expect(rt.load(hubSource('org/tiny', { hub: 'http://127.0.0.1:1', cacheName: null }))).rejects.toThrow(/offline|failed/);
    await expect(rt.load(urlSource(`${base}/nowhere`, 'static'))).rejects.toThrow(/HTTP 404/);
  });
});
