// The whole forward against an independent implementation (tfjs on its cpu backend, written from the
// Hugging Face modeling code): prefill logits and token-by-token decode logits, for every architecture.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parseSafetensors, tensorToF32, writeSafetensors, type WriteTensor } from '../../src/model/safetensors';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures } from '../../scripts/make-test-models';
import { referenceLogits } from '../reference/tfjs-forward';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { argmax } from '../../src/model/sampling';
import { maxRelErr } from '../helpers/gpu';
import { dequantisedCopy } from '../helpers/quant';
import type { WeightDtype } from '../../src/gpu/kernels';
import { chooseVariants } from '../../src/gpu/variants';

let dirs: ReturnType<typeof writeAllFixtures>;
let rt: Runtime;
beforeAll(async () => {
  dirs = writeAllFixtures(mkdtempSync(join(tmpdir(), 'atlas-fx-')));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
});
afterAll(() => rt?.destroy());

const IDS = [5, 17, 200, 3, 99, 42, 7, 150, 11, 64, 250, 1, 33];
/** the tests of the arithmetic load f32 weights, as the reference reads them; the f16 tests below load the default */
const F32 = { weights: 'f32' } as const;

/** a copy of a fixture with its tensors stored as F16 in the file (what many hub checkpoints are) */
function f16Copy(src: string, name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'atlas-f16-')), name);
  cpSync(src, dir, { recursive: true });
  const f = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
  const t: Record<string, WriteTensor> = {};
  for (const [n, info] of f.tensors) t[n] = { shape: info.shape, data: tensorToF32(f, info), dtype: 'F16' };
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
  return dir;
}

describe.each(['llama', 'llama3', 'qwen2', 'qwen3', 'llama-sharded'] as const)('%s', (kind) => {
  it('prefill logits match the reference to 1e-4 relative', async () => {
    await rt.load(dirSource(dirs[kind]), undefined, undefined, F32);
    const want = await referenceLogits(dirs[kind], IDS);
    const got = await rt.logits(IDS);
    expect(got.length).toBe(want[IDS.length - 1].length);
    expect(maxRelErr(got, want[IDS.length - 1])).toBeLessThan(1e-4);
  });

  it('token-by-token decode matches the reference at every position', async () => {
    await rt.load(dirSource(dirs[kind]), undefined, undefined, F32);
    const want = await referenceLogits(dirs[kind], IDS);
    const m = rt.model!;
    m.reset();
    // a 4-token prefill, then one token at a time through the decode (matvec) path
    const first = await m.forward(IDS.slice(0, 4));
    expect(maxRelErr(first, want[3])).toBeLessThan(1e-4);
    for (let t = 4; t < IDS.length; t++) {
      const got = await m.forward([IDS[t]]);
      expect(maxRelErr(got, want[t]), `position ${t}`).toBeLessThan(1e-4);
    }
  });

  for (const form of ['coalesced', 'subgroup'] as const)
  it(`decode with a GPU's variants (the ${form} GEMVs, plain and fused) matches the reference at every position too`, async () => {
    const before = rt.variants;
    rt.variants = { ...before, gemv: form, fused: form, reason: 'test' };
    try {
      await rt.load(dirSource(dirs[kind]), undefined, undefined, F32);
      const want = await referenceLogits(dirs[kind], IDS);
      const m = rt.model!;
      m.reset();
      await m.forward(IDS.slice(0, 4));
      for (let t = 4; t < IDS.length; t++) expect(maxRelErr(await m.forward([IDS[t]]), want[t]), `position ${t}`).toBeLessThan(1e-4);
    } finally {
      rt.variants = before;
    }
  });
});

describe('f16 weights (the default)', () => {
  for (const kind of ['llama', 'qwen3'] as const) {
    it(`${kind}: an F16 checkpoint in f16 matches the reference on the same weights to 1e-4, prefill and decode, in half the memory`, async () => {
      const dir = f16Copy(dirs[kind], kind);
      const want = await referenceLogits(dir, IDS);
      const s16 = await rt.load(dirSource(dir));
      expect(s16.weights).toBe('f16');
      const m = rt.model!;
      m.reset();
      expect(maxRelErr(await m.forward(IDS.slice(0, 4)), want[3])).toBeLessThan(1e-4);
      for (let t = 4; t < IDS.length; t++) expect(maxRelErr(await m.forward([IDS[t]]), want[t]), `position ${t}`).toBeLessThan(1e-4);
      const s32 = await rt.load(dirSource(dir), undefined, undefined, F32);
      // the matrices halve; norms and biases stay f32
      expect(s16.gpuBytes / s32.gpuBytes).toBeGreaterThan(0.5);
      expect(s16.gpuBytes / s32.gpuBytes).toBeLessThan(0.52);
    });

    it(`${kind}: an F32 checkpoint loaded in f16 stays within 2e-2 of the f32 logits, with the same greedy ids`, async () => {
      await rt.load(dirSource(dirs[kind]), undefined, undefined, F32);
      const l32 = await rt.logits(IDS);
      const g32 = await rt.generate(IDS.slice(0, 5), { maxTokens: 8, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false });
      await rt.load(dirSource(dirs[kind]));
      const l16 = await rt.logits(IDS);
      let d = 0;
      for (let i = 0; i < l32.length; i++) d = Math.max(d, Math.abs(l32[i] - l16[i]));
      expect(d).toBeLessThan(2e-2);
      expect(d).toBeGreaterThan(0); // the weights really were rounded
      const g16 = await rt.generate(IDS.slice(0, 5), { maxTokens: 8, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false });
      expect(g16.ids).toEqual(g32.ids);
    });
  }

  it('refuses a weight past f16 range by name, and loads the same file with f32 weights', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'atlas-big-')), 'llama-big');
    cpSync(dirs.llama, dir, { recursive: true });
    const f = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const t: Record<string, WriteTensor> = {};
    for (const [n, info] of f.tensors) t[n] = { shape: info.shape, data: tensorToF32(f, info) };
    t['model.layers.1.mlp.down_proj.weight'].data[5] = 1e6;
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
    await expect(rt.load(dirSource(dir))).rejects.toThrow(/down_proj\.weight" holds 1000000 at \[0, 5\], beyond f16's range.*--weights f32/);
    await expect(rt.load(dirSource(dir), undefined, undefined, F32)).resolves.toMatchObject({ weights: 'f32' });
  });
});

describe('8- and 4-bit weights (q8, q4: src/model/quant.ts)', () => {
  for (const dtype of ['q8', 'q4'] as const) {
    for (const kind of ['llama', 'qwen2', 'qwen3'] as const) {
      it(`${kind} in ${dtype}: matches the reference on the values ${dtype} stores to 1e-4, prefill and decode, in ${dtype === 'q8' ? '0.28' : 'under 0.2'}× the memory`, async () => {
        const dir = dequantisedCopy(dirs[kind], kind, dtype);
        const want = await referenceLogits(dir, IDS);
        const sq = await rt.load(dirSource(dirs[kind]), undefined, undefined, { weights: dtype });
        expect(sq.weights).toBe(dtype);
        expect(sq.weightFormat).toBe(dtype);
        const m = rt.model!;
        m.reset();
        expect(maxRelErr(await m.forward(IDS.slice(0, 4)), want[3])).toBeLessThan(1e-4);
        for (let t = 4; t < IDS.length; t++) expect(maxRelErr(await m.forward([IDS[t]]), want[t]), `position ${t}`).toBeLessThan(1e-4);
        const s32 = await rt.load(dirSource(dirs[kind]), undefined, undefined, F32);
        // 36 or 20 bytes a block of 32 weights against 128 (q4's token table in q8: 36); norms and biases stay f32
        const ratio = sq.gpuBytes / s32.gpuBytes;
        expect(ratio).toBeGreaterThan(dtype === 'q8' ? 36 / 128 : 20 / 128);
        expect(ratio).toBeLessThan(dtype === 'q8' ? 0.3 : 0.2);
      });
    }
  }

  it('the embedded default (a trained model): q8 within 0.1 and q4 (its token table in q8) within 0.15 of the f32 logits, with the same greedy ids', async () => {
    const dir = 'public/models/default';
    const prompts = [[5, 17, 200, 3, 99, 42, 7], [11, 64, 250, 1, 33, 2, 8, 9, 10]];
    const opts = { maxTokens: 12, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false };
    const run = async (weights: WeightDtype) => {
      await rt.load(dirSource(dir), undefined, undefined, { weights });
      const out = [];
      for (const p of prompts) out.push({ logits: await rt.logits(p), ids: (await rt.generate(p, opts)).ids });
      return out;
    };
    const f32 = await run('f32');
    for (const [dtype, bound] of [['q8', 0.1], ['q4', 0.15]] as const) {
      const q = await run(dtype);
      let d = 0;
      q.forEach((r, i) => r.logits.forEach((v, j) => (d = Math.max(d, Math.abs(v - f32[i].logits[j])))));
      expect(d, dtype).toBeLessThan(bound);
      expect(d, `${dtype}: the weights really were quantised`).toBeGreaterThan(1e-3);
      expect(q.map((r) => r.ids), `${dtype} greedy ids`).toEqual(f32.map((r) => r.ids));
    }
  });

  it('splits a q8 embedding / lm_head into row chunks (blocks aligned when H is a multiple of 32), same logits', async () => {
    await rt.load(dirSource(dirs.llama), undefined, undefined, { weights: 'q8' });
    const whole = await rt.logits(IDS);
    await rt.load(dirSource(dirs.llama), undefined, undefined, { weights: 'q8', maxBindingBytes: 13_000 });
    expect(rt.model!.weights.embed.chunks.length).toBeGreaterThan(1);
    expect(maxRelErr(await rt.logits(IDS), whole)).toBeLessThan(1e-6);
  });
});

describe('kernel variants per device (src/gpu/variants.ts)', () => {
  it('the emulators run what they measured fastest; any other adapter, a GPU, the subgroup GEMVs (coalesced without subgroups)', () => {
    const sub = (n: number) => ({ features: { shaderF16: false, subgroups: true, timestampQuery: false }, subgroupMinSize: n });
    const none = { features: { shaderF16: false, subgroups: false, timestampQuery: false }, subgroupMinSize: 0 };
    const swiftshader = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
    const lavapipe = { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' };
    const h200 = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
    expect(chooseVariants({ ...swiftshader, ...sub(4) })).toMatchObject({ gemv: 'subgroup', fused: 'subgroup', adapterPath: 'split', sampling: 'cpu', topP: 'gpu' });
    expect(chooseVariants({ ...lavapipe, ...sub(8) })).toMatchObject({ gemv: 'subgroup', fused: 'subgroup' });
    expect(chooseVariants({ ...lavapipe, ...none })).toMatchObject({ gemv: 'vec4', fused: 'vec4' });
    expect(chooseVariants({ ...h200, ...sub(32) })).toMatchObject({ gemv: 'subgroup', fused: 'subgroup', adapterPath: 'fused', sampling: 'gpu', topP: 'gpu' });
    expect(chooseVariants({ ...h200, ...none })).toMatchObject({ gemv: 'coalesced', fused: 'coalesced', adapterPath: 'fused' });
    // subgroups of fewer than 4 lanes (or an adapter that does not say) cannot hold matvec_subgroup's 4 rows
    expect(chooseVariants({ ...h200, ...sub(2) }).gemv).toBe('coalesced');
    expect(chooseVariants({ ...h200, ...sub(0) }).gemv).toBe('coalesced');
    // this test's own adapter gets its table entry, with the reason said
    expect(rt.variants).toEqual(chooseVariants(rt.info));
    expect(rt.variants.reason.length).toBeGreaterThan(0);
  });
});

describe('runtime behaviour', () => {
  it('Llama with attention_bias: q, k, v and o biases, matching the reference', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'atlas-bias-')), 'llama-bias');
    cpSync(dirs.llama, dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, attention_bias: true }));
    const f = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const t: Record<string, WriteTensor> = {};
    for (const [name, info] of f.tensors) t[name] = { shape: info.shape, data: tensorToF32(f, info) };
    for (let l = 0; l < cfg.num_hidden_layers; l++)
      for (const [n, size] of [['q', cfg.num_attention_heads * cfg.head_dim], ['k', cfg.num_key_value_heads * cfg.head_dim], ['v', cfg.num_key_value_heads * cfg.head_dim], ['o', cfg.hidden_size]] as const)
        t[`model.layers.${l}.self_attn.${n}_proj.bias`] = { shape: [size], data: Float32Array.from({ length: size }, (_, i) => Math.sin(i + l) * 0.3) };
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
    await rt.load(dirSource(dir), undefined, undefined, F32);
    const want = await referenceLogits(dir, IDS);
    expect(maxRelErr(await rt.logits(IDS), want[IDS.length - 1])).toBeLessThan(1e-4);
    // dropping o_proj's bias must change the answer, so the check above really covers it
    delete t['model.layers.0.self_attn.o_proj.bias'];
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
    await expect(rt.load(dirSource(dir))).rejects.toThrow(/o_proj\.bias" is missing/);
  });

  it('ignores tensors of other dtypes that the model does not use', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'atlas-extra-')), 'llama-extra');
    cpSync(dirs.llama, dir, { recursive: true });
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
    const dataLen = bytes.length - 8 - n;
    header['model.rotary_emb.position_ids'] = { dtype: 'I64', shape: [2], data_offsets: [dataLen, dataLen + 16] };
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, h, bytes.subarray(8 + n), Buffer.alloc(16)]));
    await rt.load(dirSource(dir));
    await rt.load(dirSource(dirs.llama));
    expect(Array.from(await rt.logits(IDS))).toEqual(Array.from(await (async () => { await rt.load(dirSource(dir)); return rt.logits(IDS); })()));
  });

  it('chunked prefill equals one-shot prefill', async () => {
    await rt.load(dirSource(dirs.llama), undefined, undefined, { maxChunk: 3 });
    const chunked = await rt.logits(IDS);
    await rt.load(dirSource(dirs.llama));
    expect(maxRelErr(chunked, await rt.logits(IDS))).toBeLessThan(1e-5);
  });

  it('splits an embedding / lm_head bigger than one binding into row chunks, same logits', async () => {
    await rt.load(dirSource(dirs.qwen2));
    const whole = await rt.logits(IDS);
    const s = await rt.load(dirSource(dirs.qwen2), undefined, undefined, { maxBindingBytes: 24_000 }); // embed 58 KB, largest layer tensor 21.5 KB
    expect(rt.model!.weights.embed.chunks.length).toBeGreaterThan(1);
    expect(s.numParams).toBeGreaterThan(0);
    expect(maxRelErr(await rt.logits(IDS), whole)).toBeLessThan(1e-6);
  });

  it('refuses a layer tensor bigger than the binding limit before downloading, with a message that says why', async () => {
    const read: string[] = [];
    const src = dirSource(dirs.llama);
    const spy = { ...src, readBytes: (n: string, ...a: Parameters<typeof src.readBytes> extends [string, ...infer R] ? R : never) => (read.push(n), src.readBytes(n, ...a)) };
    await expect(rt.load(spy, undefined, undefined, { maxBindingBytes: 4096 })).rejects.toThrow(/largest storage binding \(4\.0 KiB\): the model is too large for this adapter/);
    expect(read).toEqual([]); // no weights were fetched
  });

  it('greedy generation follows the reference argmax and replays exactly with a seed', async () => {
    await rt.load(dirSource(dirs.qwen3), undefined, undefined, F32);
    const prompt = [5, 17, 200];
    const g = await rt.generate(prompt, { maxTokens: 6, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false });
    const seq = [...prompt];
    for (const id of g.ids) {
      const ref = await referenceLogits(dirs.qwen3, seq);
      expect(id).toBe(argmax(ref[seq.length - 1]));
      seq.push(id);
    }
    const opts = { maxTokens: 8, greedy: false, temperature: 1.2, topK: 50, topP: 0.9, seed: 7, chat: true };
    const a = await rt.generate('Hello there', opts);
    const b = await rt.generate('Hello there', opts);
    const c = await rt.generate('Hello there', { ...opts, seed: 8 });
    expect(a.ids).toEqual(b.ids);
    expect(a.ids.length).toBeGreaterThan(0);
    expect(c.ids).not.toEqual(a.ids);
  });

  it('rejects token ids outside the vocabulary', async () => {
    await rt.load(dirSource(dirs.llama));
    await expect(rt.logits([1, 100000])).rejects.toThrow(/outside the vocabulary/);
  });
});
