// An adapted forward equals the plain forward of a checkpoint whose weights were merged on the CPU
// (W + ΔW, with ΔW built here from the adapter's tensors, independently of the kernels), for plain LoRA,
// Zhyper diag and square, and CUMA with routing pinned so that ΔW is static; fused and unfused paths;
// prefill and token-by-token decode. Then: two personas under a random adapter answer differently.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures } from '../../scripts/make-test-models';
import { parseSafetensors, tensorToF32, writeSafetensors, type WriteTensor } from '../../src/model/safetensors';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { createAdapter, defaultSpec } from '../../src/adapters/create';
import { TARGETS, TARGET_MODULE, loraScale, targetShape, tensorName, type Adapter, type AdapterSpec, type Target } from '../../src/adapters/types';
import { routerRef } from '../reference/kernels';
import type { AdapterPath } from '../../src/model/model';
import { maxRelErr, rand } from '../helpers/gpu';

let dirs: ReturnType<typeof writeAllFixtures>;
let rt: Runtime;
beforeAll(async () => {
  dirs = writeAllFixtures(mkdtempSync(join(tmpdir(), 'atlas-ad-')));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
});
afterAll(() => rt?.destroy());

const IDS = [5, 17, 200, 3, 99, 42, 7, 150, 11, 64, 250, 1, 33, 8, 120, 19, 77];
/** f32 weights: the adapted forward is checked against the f32 merged checkpoint and tfjs */
const F32 = { weights: 'f32' } as const;

/** ΔW [N, K] = s · Σ_e c_e · B_e · M · A_e, with M = diag(z), Z or I: plain loops, no shared code with the kernels. */
function delta(a: Adapter, l: number, t: Target, z: Float32Array | null, experts: number[] | null, weights: number[] | null, dims: ReturnType<Runtime['dims']>): Float32Array {
  const [N, K] = targetShape(t, dims);
  const r = a.spec.r, s = loraScale(a.spec);
  const A = a.tensors.get(tensorName(l, t, 'A'))!.data, B = a.tensors.get(tensorName(l, t, 'B'))!.data;
  const out = new Float64Array(N * K);
  const list = experts ?? [0];
  list.forEach((e, idx) => {
    const w = weights ? weights[idx] : 1;
    const ea = a.spec.cuma && !a.spec.cuma.sharedA ? e : 0;
    // M·A  [r, K]
    const MA = new Float64Array(r * K);
    for (let i = 0; i < r; i++)
      for (let k = 0; k < K; k++) {
        let v = 0;
        if (!z) v = A[(ea * r + i) * K + k];
        else if (z.length === r) v = z[i] * A[(ea * r + i) * K + k];
        else for (let j = 0; j < r; j++) v += z[i * r + j] * A[(ea * r + j) * K + k];
        MA[i * K + k] = v;
      }
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        let v = 0;
        for (let i = 0; i < r; i++) v += B[(e * N + n) * r + i] * MA[i * K + k];
        out[n * K + k] += s * w * v;
      }
  });
  return Float32Array.from(out);
}

/** A copy of a fixture with W + ΔW(layer, target) merged into its safetensors. */
function mergedDir(src: string, deltas: (l: number, t: Target) => Float32Array | null, layers: number): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'atlas-merged-')), 'm');
  cpSync(src, dir, { recursive: true });
  const f = parseSafetensors(readFileSync(join(src, 'model.safetensors')));
  const out: Record<string, WriteTensor> = {};
  for (const [name, info] of f.tensors) out[name] = { shape: info.shape, data: tensorToF32(f, info), dtype: 'F32' };
  for (let l = 0; l < layers; l++)
    for (const t of TARGETS) {
      const d = deltas(l, t);
      if (!d) continue;
      const w = out[`model.layers.${l}.${TARGET_MODULE[t]}.weight`];
      for (let i = 0; i < d.length; i++) w.data[i] += d[i];
    }
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(out));
  return dir;
}

async function compare(fixture: keyof typeof dirs, a: Adapter, cond: Float32Array | null, deltas: (l: number, t: Target) => Float32Array | null, path: AdapterPath) {
  await rt.load(dirSource(dirs[fixture]), undefined, undefined, F32);
  const layers = rt.config!.numLayers;
  const merged = mergedDir(dirs[fixture], deltas, layers);
  await rt.load(dirSource(merged), undefined, undefined, F32);
  const wantPrefill = await rt.logits(IDS);
  const m = rt.model!;
  m.reset();
  const wantDecode: Float32Array[] = [await m.forward(IDS.slice(0, 3))];
  for (let t = 3; t < IDS.length; t++) wantDecode.push(await m.forward([IDS[t]]));
  const plain = await rt.logits(IDS.slice(0, 5));

  await rt.load(dirSource(dirs[fixture]), undefined, undefined, F32);
  rt.attachAdapter(a, { path });
  rt.setCondition(cond);
  expect(maxRelErr(await rt.logits(IDS), wantPrefill)).toBeLessThan(2e-4);
  m.reset();
  const m2 = rt.model!;
  m2.reset();
  expect(maxRelErr(await m2.forward(IDS.slice(0, 3)), wantDecode[0])).toBeLessThan(2e-4);
  for (let t = 3; t < IDS.length; t++) expect(maxRelErr(await m2.forward([IDS[t]]), wantDecode[t - 2]), `position ${t}`).toBeLessThan(2e-4);
  // the adapter really changes the output (so the equality above is not the backbone against itself)
  rt.attachAdapter(null);
  expect(maxRelErr(await rt.logits(IDS.slice(0, 5)), plain)).toBeGreaterThan(1e-3);
}

const cond = (n: number, seed: number) => rand(n, seed);

describe('adapted forward = forward of the merged checkpoint', () => {
  for (const path of ['fused', 'split', 'unfused'] as const) {
    it(`plain LoRA on all seven targets (qwen2, ${path})`, async () => {
      await rt.load(dirSource(dirs.qwen2), undefined, undefined, F32);
      const dims = rt.dims();
      const spec: AdapterSpec = { method: 'lora', r: 4, alpha: 8, rsLora: false, targets: [...TARGETS] };
      const a = createAdapter(spec, dims, 3, 'random');
      await compare('qwen2', a, null, (l, t) => delta(a, l, t, null, null, null, dims), path);
    });

    it(`Zhyper diag on q and v (llama, ${path})`, async () => {
      await rt.load(dirSource(dirs.llama), undefined, undefined, F32);
      const dims = rt.dims();
      const a = createAdapter(defaultSpec('zhyper', 24), dims, 4, 'random');
      const c = cond(24, 9);
      const ad = rt.attachAdapter(a)!;
      ad.setCondition(c);
      const z = ad.z!;
      await compare('llama', a, c, (l, t) => (a.spec.targets.includes(t) ? delta(a, l, t, z[l][t], null, null, dims) : null), path);
    });

    it(`Zhyper square Z on k, o, gate, up, down (qwen3, ${path})`, async () => {
      await rt.load(dirSource(dirs.qwen3), undefined, undefined, F32);
      const dims = rt.dims();
      const spec: AdapterSpec = { ...defaultSpec('zhyper-square', 16), r: 4, targets: ['k', 'o', 'gate', 'up', 'down'] };
      const a = createAdapter(spec, dims, 5, 'random');
      const c = cond(16, 10);
      const ad = rt.attachAdapter(a)!;
      ad.setCondition(c);
      const z = ad.z!;
      await compare('qwen3', a, c, (l, t) => (spec.targets.includes(t) ? delta(a, l, t, z[l][t], null, null, dims) : null), path);
    });
  }

  // CUMA's update depends on each token's gates; pin the router so that ΔW is static and checkable
  const pinned = (a: Adapter, layers: number, logits: number[]) => {
    for (let l = 0; l < layers; l++) {
      a.tensors.get(tensorName(l, 'router', 'W2'))!.data.fill(0);
      a.tensors.get(tensorName(l, 'router', 'b2'))!.data.set(logits);
    }
  };

  for (const path of ['fused', 'split', 'unfused'] as const)
  it(`CUMA, independent experts, k = 2 with the router pinned to experts 5 and 2 (${path})`, async () => {
    await rt.load(dirSource(dirs.llama), undefined, undefined, F32);
    const dims = rt.dims();
    const spec = defaultSpec('cuma', 12);
    spec.cuma!.sharedA = false;
    const a = createAdapter(spec, dims, 6, 'random');
    const logits = [0, 0.1, 1.5, 0, 0, 2.0, 0.3, -1];
    pinned(a, dims.numLayers, logits);
    // Eq. 4: softmax over the kept logits (2.0 and 1.5)
    const w5 = 1 / (1 + Math.exp(1.5 - 2.0));
    await compare('llama', a, cond(12, 3), (l, t) => (spec.targets.includes(t) ? delta(a, l, t, null, [5, 2], [w5, 1 - w5], dims) : null), 'fused');
  });

  it('CUMA soft routing (k = N), HydraLoRA shared A, uniform router: ΔW = s/N · Σ B_i A', async () => {
    await rt.load(dirSource(dirs.qwen2), undefined, undefined, F32);
    const dims = rt.dims();
    const spec = defaultSpec('cuma-soft', 12);
    spec.targets = ['q', 'v', 'down'];
    const a = createAdapter(spec, dims, 7, 'random');
    pinned(a, dims.numLayers, new Array(8).fill(0));
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    await compare('qwen2', a, cond(12, 4), (l, t) => (spec.targets.includes(t) ? delta(a, l, t, null, all, all.map(() => 1 / 8), dims) : null), 'split');
  });
});

describe('option scoring', () => {
  it('scores multi-token options by their total log-probability and rewinds the KV cache after each', async () => {
    await rt.load(dirSource(dirs.llama), undefined, undefined, F32);
    const opts = [[40], [41, 7], [42, 9, 3]];
    const { logProbs, probs } = await rt.optionProbs(IDS, opts);
    expect(rt.model!.pos).toBe(IDS.length);
    const lsm = (l: Float32Array, id: number) => {
      const m = Math.max(...l);
      return l[id] - m - Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
    };
    for (let i = 0; i < opts.length; i++) {
      let want = 0;
      for (let j = 0; j < opts[i].length; j++) want += lsm(await rt.logits([...IDS, ...opts[i].slice(0, j)]), opts[i][j]);
      expect(logProbs[i]).toBeCloseTo(want, 3);
    }
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe('routing and personas', () => {
  it("the gates read back are the router's on each layer's normed input (layer 0 checked on the CPU)", async () => {
    await rt.load(dirSource(dirs.llama), undefined, undefined, F32);
    const dims = rt.dims();
    const a = createAdapter(defaultSpec('cuma', 12), dims, 8, 'random');
    rt.attachAdapter(a);
    const c = cond(12, 5);
    rt.setCondition(c);
    await rt.logits(IDS);
    const { E, T, gates } = await rt.readGates();
    expect([E, T, gates.length]).toEqual([8, IDS.length, dims.numLayers]);
    for (const g of gates)
      for (let t = 0; t < T; t++) {
        const row = Array.from(g.slice(t * E, t * E + E));
        expect(row.filter((v) => v > 0).length).toBe(2);
        expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
      }
    // layer 0's router input: RMSNorm(embed[ids]) · w_in, computed here from the checkpoint
    const f = parseSafetensors(readFileSync(join(dirs.llama, 'model.safetensors')));
    const get = (n: string) => tensorToF32(f, f.tensors.get(n)!);
    const emb = get('model.embed_tokens.weight'), wIn = get('model.layers.0.input_layernorm.weight');
    const H = dims.hiddenSize;
    const h = new Float32Array(IDS.length * H);
    IDS.forEach((id, t) => {
      let ss = 0;
      for (let i = 0; i < H; i++) ss += emb[id * H + i] ** 2;
      const inv = 1 / Math.sqrt(ss / H + rt.config!.rmsNormEps);
      for (let i = 0; i < H; i++) h[t * H + i] = emb[id * H + i] * inv * wIn[i];
    });
    const W1 = a.tensors.get('layers.0.router.W1')!.data, b1 = a.tensors.get('layers.0.router.b1')!.data;
    const R = 256, D = 12;
    const W1h = new Float32Array(R * H), cv = new Float32Array(R);
    for (let j = 0; j < R; j++) {
      W1h.set(W1.subarray(j * (H + D), j * (H + D) + H), j * H);
      let s = b1[j];
      for (let i = 0; i < D; i++) s += W1[j * (H + D) + H + i] * c[i];
      cv[j] = s;
    }
    const want = routerRef(h, IDS.length, H, W1h, cv, a.tensors.get('layers.0.router.W2')!.data, a.tensors.get('layers.0.router.b2')!.data, 8, 2, 'eq4');
    expect(maxRelErr(gates[0], want)).toBeLessThan(1e-4);
  });

  for (const method of ['zhyper', 'cuma'] as const) {
    it(`two personas give different option distributions under a random ${method} adapter; strength 0 = backbone`, async () => {
      await rt.load(dirSource(dirs.llama), undefined, undefined, F32);
      const dims = rt.dims();
      const a = createAdapter(defaultSpec(method, 32), dims, 11, 'random');
      const options = [[40], [41], [42], [43]];
      const plain = await rt.optionProbs(IDS, options);
      rt.attachAdapter(a);
      rt.setCondition(cond(32, 1));
      const p1 = await rt.optionProbs(IDS, options);
      rt.setCondition(cond(32, 2));
      const p2 = await rt.optionProbs(IDS, options);
      const tv = (p: number[], q: number[]) => p.reduce((s, v, i) => s + Math.abs(v - q[i]), 0) / 2;
      expect(tv(p1.probs, p2.probs)).toBeGreaterThan(1e-3);
      rt.setStrength(0);
      const p0 = await rt.optionProbs(IDS, options);
      expect(tv(p0.probs, plain.probs)).toBeLessThan(1e-5);
      rt.setStrength(2);
      const pd = await rt.optionProbs(IDS, options);
      expect(tv(pd.probs, p2.probs)).toBeGreaterThan(1e-4);
    });
  }
});
