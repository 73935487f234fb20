import { describe, expect, it } from 'vitest';
import { parseConfig, type ModelConfig } from '../../src/model/config';
import { parseSafetensors, tensorToF32, writeSafetensors } from '../../src/model/safetensors';
import { mulberry32 } from '../../src/model/sampling';
import {
  AdapterFileError,
  AdapterMismatchError,
  backboneHash,
  checkAdapterFits,
  dimsOf,
  expectedAdapterShapes,
  loadAdapter,
  saveAdapter,
} from '../../src/adapters/files';
import { exportPeft, materializeDelta } from '../../src/adapters/peft';
import { zhyperTensorShapes } from '../../src/adapters/zhyper';
import { loraScale, targetShape, tensorName, type Adapter, type AdapterSpec, type BackboneDims, type Tensor } from '../../src/adapters/types';

function config(over: Record<string, unknown> = {}): ModelConfig {
  return parseConfig(
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 50,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      ...over,
    }),
  );
}

const LORA: AdapterSpec = { method: 'lora', r: 4, alpha: 8, rsLora: false, targets: ['q', 'v'] };
const ZHYPER: AdapterSpec = {
  method: 'zhyper',
  r: 4,
  alpha: 16,
  rsLora: true,
  targets: ['q', 'v', 'down'],
  zhyper: { variant: 'diag', condDim: 6, projDim: 4, embDim: 2, hidden: 8 },
  encoderId: 'test-encoder',
};
const CUMA: AdapterSpec = {
  method: 'cuma',
  r: 2,
  alpha: 4,
  rsLora: false,
  targets: ['q', 'v'],
  cuma: { experts: 3, topK: 2, gating: 'eq4', sharedA: true, semanticOnly: false, routerHidden: 5, condDim: 6 },
};

function randomTensor(shape: number[], rng: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => rng() * 2 - 1) };
}

/** An adapter with every tensor its spec needs on these dims, filled with random numbers. */
function makeAdapter(spec: AdapterSpec, dims: BackboneDims, seed = 1): Adapter {
  const rng = mulberry32(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of expectedAdapterShapes(spec, dims)) tensors.set(name, randomTensor(shape, rng));
  if (spec.method === 'zhyper') for (const [name, shape] of zhyperTensorShapes(spec, dims)) tensors.set(name, randomTensor(shape, rng));
  return { spec: structuredClone(spec), tensors };
}

function expectSame(a: Adapter, b: Adapter) {
  expect(b.spec).toEqual(a.spec);
  expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
  for (const [name, t] of a.tensors) {
    expect(b.tensors.get(name)!.shape).toEqual(t.shape);
    expect(b.tensors.get(name)!.data).toEqual(t.data);
  }
}

/** Rewrite a saved adapter's metadata or tensors, as a broken or foreign writer would. */
function resave(a: Adapter, meta: Record<string, string>, edit: (t: Map<string, Tensor>) => void = () => {}): Uint8Array {
  const tensors = new Map(a.tensors);
  edit(tensors);
  return writeSafetensors(Object.fromEntries(tensors), meta);
}

const junk = mulberry32(99);
const cfg = config();
const dims = dimsOf(cfg);

describe('adapter files', () => {
  it('round-trips every method bit for bit', () => {
    const cumaIndep: AdapterSpec = { ...CUMA, cuma: { ...CUMA.cuma!, sharedA: false, semanticOnly: true, gating: 'double' } };
    const square: AdapterSpec = { ...ZHYPER, zhyper: { ...ZHYPER.zhyper!, variant: 'square' }, backbone: { id: 'tiny', configHash: 'ab'.repeat(32) } };
    // the code recipe's trunk, condition scale and prompt form: fields a reader must keep (zod drops unknown keys)
    const codeZhyper: AdapterSpec = { ...ZHYPER, zhyper: { ...ZHYPER.zhyper!, trunk: 'code', condScale: 'sqrt-d' }, prompt: 'code' };
    const codeCuma: AdapterSpec = { ...CUMA, prompt: 'code' };
    for (const spec of [LORA, ZHYPER, square, CUMA, cumaIndep, codeZhyper, codeCuma]) {
      const a = makeAdapter(spec, dims);
      const bytes = saveAdapter(a);
      expectSame(a, loadAdapter(bytes));
      const meta = parseSafetensors(bytes).metadata;
      expect(meta.format).toBe('adapter-atlas');
      expect(meta.version).toBe('1');
      expect(JSON.parse(meta.spec)).toEqual(spec);
    }
  });

  it('stores cuma tensors with the documented shapes', () => {
    const m = expectedAdapterShapes(CUMA, dims);
    expect(m.get('layers.0.q.A')).toEqual([1, 2, 16]);
    expect(m.get('layers.0.v.B')).toEqual([3, 8, 2]);
    expect(m.get('layers.2.router.W1')).toEqual([5, 16 + 6]);
    expect(m.get('layers.2.router.b1')).toEqual([5]);
    expect(m.get('layers.2.router.W2')).toEqual([3, 5]);
    expect(m.get('layers.2.router.b2')).toEqual([3]);
    const indep = expectedAdapterShapes({ ...CUMA, cuma: { ...CUMA.cuma!, sharedA: false, semanticOnly: true } }, dims);
    expect(indep.get('layers.0.q.A')).toEqual([3, 2, 16]);
    expect(indep.get('layers.0.router.W1')).toEqual([5, 16]);
    expect(m.size).toBe(3 * (2 * 2 + 4));
  });

  it('explains files that are not adapters', () => {
    const good = saveAdapter(makeAdapter(LORA, dims));
    const garbage = new TextEncoder().encode('this is a PNG, honest');
    expect(() => loadAdapter(garbage)).toThrow(AdapterFileError);
    expect(() => loadAdapter(garbage)).toThrow(/not an Adapter Atlas adapter file.*(header length|too short)/);
    expect(() => loadAdapter(new Uint8Array(3))).toThrow(/too short/);
    expect(() => loadAdapter(good.subarray(0, good.length - 10))).toThrow(/not an Adapter Atlas adapter file.*(past its end|truncated)/);
    const peftLike = writeSafetensors({ w: { shape: [1], data: new Float32Array(1) } }, { format: 'pt' });
    expect(() => loadAdapter(peftLike, 'x.safetensors')).toThrow(/x\.safetensors is a safetensors file but not an Adapter Atlas adapter \(its format is "pt"\)/);
    const noMeta = writeSafetensors({ w: { shape: [1], data: new Float32Array(1) } });
    expect(() => loadAdapter(noMeta)).toThrow(/no "format" in its metadata/);
  });

  it('explains bad metadata and specs', () => {
    const a = makeAdapter(LORA, dims);
    const meta = (spec: unknown, version = '1') => ({ format: 'adapter-atlas', version, spec: typeof spec === 'string' ? spec : JSON.stringify(spec) });
    expect(() => loadAdapter(resave(a, meta(LORA, '7')))).toThrow(/version "7"; this app reads version 1/);
    expect(() => loadAdapter(resave(a, { format: 'adapter-atlas', version: '1' }))).toThrow(/no adapter spec/);
    expect(() => loadAdapter(resave(a, meta('{"method": "lora", ')))).toThrow(/spec is not valid JSON/);
    expect(() => loadAdapter(resave(a, meta({ ...LORA, method: 'dora' })))).toThrow(/invalid adapter spec: method: .*"lora"/);
    expect(() => loadAdapter(resave(a, meta({ ...LORA, r: -2 })))).toThrow(/invalid adapter spec: r: /);
    expect(() => loadAdapter(resave(a, meta({ ...LORA, targets: ['q', 'qq'] })))).toThrow(/targets\.1/);
    expect(() => loadAdapter(resave(a, meta({ ...LORA, method: 'zhyper' })))).toThrow(/zhyper: method "zhyper" needs a zhyper section/);
    expect(() => loadAdapter(resave(a, meta({ ...CUMA, cuma: { ...CUMA.cuma!, topK: 9 } })))).toThrow(/cuma\.topK: topK must not exceed/);
    expect(() => loadAdapter(resave(a, meta({ ...LORA, backbone: { id: 'x', configHash: 'nope' } })))).toThrow(/backbone\.configHash: must be a SHA-256/);
  });

  it('explains missing, misshapen and stray tensors', () => {
    const a = makeAdapter(LORA, dims);
    const meta = { format: 'adapter-atlas', version: '1', spec: JSON.stringify(LORA) };
    expect(() => loadAdapter(resave(a, meta, (t) => t.delete('layers.1.v.B')))).toThrow(/tensor layers\.1\.v\.B is missing/);
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('layers.2.q.A', randomTensor([3, 16], junk))))).toThrow(
      /layers\.2\.q\.A is \[3, 16\] but the adapter spec says rank r = 4/,
    );
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('layers.2.q.A', randomTensor([4, 20], junk))))).toThrow(
      /layers\.2\.q\.A is \[4, 20\] but the file's other tensors say q_proj takes 16 inputs/,
    );
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('layers.0.q.B', randomTensor([4, 4, 4], junk))))).toThrow(/should have 2 dimensions/);
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('layers.0.k.A', randomTensor([4, 16], junk))))).toThrow(
      /adapts k, which the spec's targets \(q, v\) do not list/,
    );
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('lm_head.weight', randomTensor([2], junk))))).toThrow(/unexpected tensor "lm_head.weight"/);
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('layers.0.router.W1', randomTensor([2], junk))))).toThrow(/router tensor, but the adapter's method is "lora"/);
    expect(() => loadAdapter(resave(a, meta, (t) => t.set('hyper.x', randomTensor([2], junk))))).toThrow(/hypernetwork tensor, but the adapter's method is "lora"/);
    // a gap in the layers is a missing tensor, not a shorter adapter
    expect(() => loadAdapter(resave(a, meta, (t) => (t.delete('layers.1.q.A'), t.delete('layers.1.q.B'), t.delete('layers.1.v.A'), t.delete('layers.1.v.B'))))).toThrow(
      /layers\.1\.q\.A is missing/,
    );
  });

  it('checks hypernetwork and router tensors on load', () => {
    const z = makeAdapter(ZHYPER, dims);
    const zmeta = { format: 'adapter-atlas', version: '1', spec: JSON.stringify(ZHYPER) };
    expect(() => loadAdapter(resave(z, zmeta, (t) => t.delete('hyper.mixer.W1')))).toThrow(/hyper\.mixer\.W1 is missing/);
    expect(() => loadAdapter(resave(z, zmeta, (t) => t.set('hyper.cond.W', randomTensor([4, 7], junk))))).toThrow(/hyper\.cond\.W is \[4, 7\] but should be \[4, 6\]/);
    expect(() => loadAdapter(resave(z, zmeta, (t) => t.set('hyper.extra', randomTensor([1], junk))))).toThrow(/unexpected tensor hyper\.extra/);
    const c = makeAdapter(CUMA, dims);
    const cmeta = { format: 'adapter-atlas', version: '1', spec: JSON.stringify(CUMA) };
    expect(() => loadAdapter(resave(c, cmeta, (t) => t.set('layers.1.router.W2', randomTensor([4, 5], junk))))).toThrow(
      /layers\.1\.router\.W2 is \[4, 5\] but the adapter spec says 3 experts/,
    );
    expect(() => loadAdapter(resave(c, cmeta, (t) => t.set('layers.1.q.A', randomTensor([3, 2, 16], junk))))).toThrow(/one shared A/);
  });

  it('refuses to save an inconsistent adapter', () => {
    const a = makeAdapter(LORA, dims);
    a.tensors.delete('layers.0.q.A');
    expect(() => saveAdapter(a)).toThrow(/layers\.0\.q\.A is missing/);
  });
});

describe('backbone identity and fit', () => {
  it('hashes the shape-relevant config fields only', async () => {
    const h = await backboneHash(cfg);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await backboneHash(config())).toBe(h);
    expect(await backboneHash(config({ rope_theta: 1e6, rms_norm_eps: 1e-5, max_position_embeddings: 99 }))).toBe(h);
    expect(await backboneHash(config({ vocab_size: 51 }))).not.toBe(h);
    expect(await backboneHash(config({ hidden_size: 32 }))).not.toBe(h);
    expect(await backboneHash(config({ architectures: ['Qwen2ForCausalLM'] }))).not.toBe(h);
  });

  it('derives dims from the config', () => {
    expect(dimsOf(cfg)).toEqual({ numLayers: 3, hiddenSize: 16, intermediateSize: 24, qDim: 16, kvDim: 8 });
    expect(dimsOf(config({ head_dim: 8 }))).toMatchObject({ qDim: 32, kvDim: 16 });
  });

  it('accepts an adapter made for this backbone', async () => {
    const hash = await backboneHash(cfg);
    for (const spec of [LORA, ZHYPER, CUMA]) {
      const a = makeAdapter({ ...spec, backbone: { id: 'tiny', configHash: hash } }, dims);
      expect(() => checkAdapterFits(a, cfg, hash)).not.toThrow();
    }
    // no recorded backbone: shapes decide
    expect(() => checkAdapterFits(makeAdapter(LORA, dims), cfg, hash)).not.toThrow();
  });

  it('names both backbones when the hash differs', async () => {
    const hash = await backboneHash(cfg);
    const other = config({ hidden_size: 24 });
    const otherHash = await backboneHash(other);
    const a = makeAdapter({ ...LORA, backbone: { id: 'tiny-16', configHash: hash } }, dims);
    expect(() => checkAdapterFits(a, other, otherHash, 'tiny-24')).toThrow(AdapterMismatchError);
    expect(() => checkAdapterFits(a, other, otherHash, 'tiny-24')).toThrow(
      `This adapter was made for "tiny-16" (config ${hash.slice(0, 12)}), not for "tiny-24" (LlamaForCausalLM, 3 layers, hidden 24, config ${otherHash.slice(0, 12)}): layers.0.q.A is [4, 16] but this backbone's q_proj takes 24 inputs`,
    );
    // same shapes, different vocabulary: still another backbone
    const vocab = config({ vocab_size: 51 });
    const vocabHash = await backboneHash(vocab);
    expect(() => checkAdapterFits(a, vocab, vocabHash)).toThrow(/made for "tiny-16".*not for the loaded backbone.*the tensor shapes happen to fit/);
  });

  it('explains shape and layer-count mismatches', async () => {
    const wide = config({ hidden_size: 24, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4 });
    const wideHash = await backboneHash(wide);
    expect(() => checkAdapterFits(makeAdapter(LORA, dims), wide, wideHash)).toThrow(
      /does not fit the loaded backbone \(LlamaForCausalLM, 3 layers, hidden 24, config [0-9a-f]{12}\): layers\.0\.q\.A is \[4, 16\] but this backbone's q_proj takes 24 inputs \(and \d+ more problems\)/,
    );
    const deeper = config({ num_hidden_layers: 5 });
    const deeperHash = await backboneHash(deeper);
    expect(() => checkAdapterFits(makeAdapter(LORA, dims), deeper, deeperHash)).toThrow(
      /the adapter has 3 layers but this backbone has 5/,
    );
    const kv = config({ num_key_value_heads: 4 });
    const kvHash = await backboneHash(kv);
    expect(() => checkAdapterFits(makeAdapter(LORA, dims), kv, kvHash)).toThrow(
      /layers\.0\.v\.B is \[8, 4\] but this backbone's v_proj gives 16 outputs/,
    );
    const cumaWide = makeAdapter(CUMA, dims);
    const wideCuma = dimsOf(wide);
    expect(wideCuma.hiddenSize).toBe(24);
    expect(() => checkAdapterFits(cumaWide, wide, wideHash)).toThrow(/layers\.0\.q\.A is \[1, 2, 16\] but this backbone's q_proj takes 24 inputs/);
    // only the router is wrong: a router made for a 10-wide condition
    const c = makeAdapter(CUMA, dims);
    c.tensors.set('layers.2.router.W1', randomTensor([5, 26], junk));
    const hash = await backboneHash(cfg);
    expect(() => checkAdapterFits(c, cfg, hash)).toThrow(
      /layers\.2\.router\.W1 is \[5, 26\] but this backbone's router reads 22 numbers \(hidden 16 \+ condition 6\)/,
    );
    const z = makeAdapter(ZHYPER, dims);
    expect(() => checkAdapterFits(z, deeper, deeperHash)).toThrow(/the adapter has 3 layers but this backbone has 5/);
    // a hypernetwork whose layer embedding does not match is named too
    z.tensors.set('hyper.layerEmb', randomTensor([4, 2], junk));
    expect(() => checkAdapterFits(z, cfg, hash)).toThrow(/hyper\.layerEmb is \[4, 2\] but should be \[3, 2\] for this adapter spec and backbone/);
  });
});

describe('PEFT export', () => {
  const rng = mulberry32(7);
  const vec = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);

  /** ΔW = s·B·M·A with M given as a dense r×r matrix, in plain f64 loops. */
  function reference(A: Tensor, B: Tensor, M: number[][], s: number): Float64Array {
    const [r, K] = A.shape;
    const [N] = B.shape;
    const out = new Float64Array(N * K);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        let acc = 0;
        for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) acc += B.data[n * r + i] * M[i][j] * A.data[j * K + k];
        out[n * K + k] = s * acc;
      }
    return out;
  }

  function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) {
    expect(a.length).toBe(b.length);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    expect(worst).toBeLessThanOrEqual(tol * Math.max(scale, 1));
  }

  it('writes PEFT names, shapes and a config whose scale is ours (lora)', () => {
    const a = makeAdapter(LORA, dims);
    const out = exportPeft(a, { baseModelId: 'HuggingFaceTB/SmolLM2-135M' });
    const conf = JSON.parse(out['adapter_config.json']);
    expect(conf).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M',
      r: 4,
      use_rslora: false,
      target_modules: ['q_proj', 'v_proj'],
      lora_dropout: 0,
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
    });
    expect(conf.lora_alpha / conf.r).toBeCloseTo(loraScale(LORA), 12);
    const f = parseSafetensors(out['adapter_model.safetensors']);
    expect(f.tensors.size).toBe(3 * 2 * 2);
    const qA = f.tensors.get('base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight')!;
    const vB = f.tensors.get('base_model.model.model.layers.2.self_attn.v_proj.lora_B.weight')!;
    expect([qA.dtype, qA.shape]).toEqual(['F32', [4, 16]]);
    expect(vB.shape).toEqual([8, 4]);
    expect(tensorToF32(f, qA)).toEqual(a.tensors.get('layers.2.q.A')!.data);
    const M = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? 1 : 0)));
    expectClose(materializeDelta(a, 1, 'v'), reference(a.tensors.get('layers.1.v.A')!, a.tensors.get('layers.1.v.B')!, M, loraScale(LORA)));
  });

  it('materializes Zhyper as s·B·diag(z)·A and s·B·Z·A', () => {
    const a = makeAdapter(ZHYPER, dims);
    const zs = new Map<string, Float32Array>();
    const zOf = (l: number, t: string) => {
      const k = `${l}.${t}`;
      if (!zs.has(k)) zs.set(k, vec(4));
      return zs.get(k)!;
    };
    const s = loraScale(ZHYPER);
    expect(s).toBeCloseTo(16 / 2, 12); // rsLoRA: α/√r
    for (const [l, t] of [[0, 'q'], [2, 'down']] as const) {
      const z = zOf(l, t);
      const M = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? z[i] : 0)));
      expectClose(materializeDelta(a, l, t, { zOf }), reference(a.tensors.get(tensorName(l, t, 'A'))!, a.tensors.get(tensorName(l, t, 'B'))!, M, s));
    }
    const out = exportPeft(a, { baseModelId: 'base', zOf });
    const conf = JSON.parse(out['adapter_config.json']);
    expect(conf.target_modules).toEqual(['q_proj', 'v_proj', 'down_proj']);
    expect(conf.r).toBe(4);
    expect(conf.lora_alpha / conf.r).toBeCloseTo(s, 12);
    const f = parseSafetensors(out['adapter_model.safetensors']);
    const dA = f.tensors.get('base_model.model.model.layers.2.mlp.down_proj.lora_A.weight')!;
    expect(dA.shape).toEqual([4, 24]);
    expect(f.tensors.get('base_model.model.model.layers.2.mlp.down_proj.lora_B.weight')!.shape).toEqual([16, 4]);
    // the exported factors multiply out to the materialized ΔW
    const A = { shape: dA.shape, data: tensorToF32(f, dA) };
    const Bi = f.tensors.get('base_model.model.model.layers.2.mlp.down_proj.lora_B.weight')!;
    const I = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? 1 : 0)));
    expectClose(reference(A, { shape: Bi.shape, data: tensorToF32(f, Bi) }, I, conf.lora_alpha / conf.r), materializeDelta(a, 2, 'down', { zOf }));

    const sq = makeAdapter({ ...ZHYPER, zhyper: { ...ZHYPER.zhyper!, variant: 'square' } }, dims);
    const Z = vec(16);
    const M = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => Z[i * 4 + j]));
    expectClose(materializeDelta(sq, 1, 'v', { zOf: () => Z }), reference(sq.tensors.get('layers.1.v.A')!, sq.tensors.get('layers.1.v.B')!, M, s));
    expect(() => materializeDelta(sq, 1, 'v', { zOf: () => vec(5) })).toThrow(/gave 5 numbers; a rank-4 Zhyper adapter needs 4 \(diag\) or 16 \(square\)/);
    expect(() => exportPeft(sq, { baseModelId: 'base' })).toThrow(/needs zOf/);
  });

  it('materializes CUMA as the mean-gated sum of its experts', () => {
    for (const sharedA of [true, false]) {
      const spec: AdapterSpec = { ...CUMA, cuma: { ...CUMA.cuma!, sharedA } };
      const a = makeAdapter(spec, dims);
      const g = Float32Array.from([0.5, 0, 0.25]);
      const s = loraScale(spec);
      const A = a.tensors.get('layers.1.q.A')!;
      const B = a.tensors.get('layers.1.q.B')!;
      const [, r, K] = A.shape;
      const [E, N] = B.shape;
      const want = new Float64Array(N * K);
      for (let i = 0; i < E; i++) {
        const Ai = A.data.subarray((sharedA ? 0 : i) * r * K, ((sharedA ? 0 : i) + 1) * r * K);
        const Bi = B.data.subarray(i * N * r, (i + 1) * N * r);
        for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let j = 0; j < r; j++) want[n * K + k] += s * g[i] * Bi[n * r + j] * Ai[j * K + k];
      }
      expectClose(materializeDelta(a, 1, 'q', { meanGates: () => g }), want);
      const out = exportPeft(a, { baseModelId: 'base', meanGates: () => g });
      const conf = JSON.parse(out['adapter_config.json']);
      expect(conf.r).toBe(2 * 3);
      expect(conf.lora_alpha / conf.r).toBeCloseTo(s, 12);
      const f = parseSafetensors(out['adapter_model.safetensors']);
      expect(f.tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([6, 16]);
      expect(f.tensors.get('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight')!.shape).toEqual([8, 6]);
      expect(() => exportPeft(a, { baseModelId: 'base', meanGates: () => g.subarray(0, 2) })).toThrow(/gave 2 numbers; the adapter has 3 experts/);
    }
  });

  it('uses targetShape for every exported module', () => {
    const all: AdapterSpec = { ...LORA, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] };
    const out = exportPeft(makeAdapter(all, dims), { baseModelId: 'b' });
    const f = parseSafetensors(out['adapter_model.safetensors']);
    for (const t of all.targets) {
      const [N, K] = targetShape(t, dims);
      const mod = { q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj', gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj' }[t];
      expect(f.tensors.get(`base_model.model.model.layers.0.${mod}.lora_A.weight`)!.shape).toEqual([4, K]);
      expect(f.tensors.get(`base_model.model.model.layers.0.${mod}.lora_B.weight`)!.shape).toEqual([N, 4]);
    }
  });
});
