// Zhyper's hypernetwork, as in the authors' code (see ../../../shared/notes/methods.md):
//
//   c_p  = LayerNorm(W_c·c + b_c)                          condition projection, condDim → projDim
//   x    = [c_p ‖ e_layer[l] ‖ e_type[t]]                  projDim + 2·embDim
//   x    = W_m2·SiLU(W_m1·x + b_m1) + b_m2                 mixer (in → hidden → in)
//   x    = x + W_2·SiLU(W_1·LN(x) + b_1) + b_2             two pre-LN residual blocks
//   o    = SiLU(W_o·LN(x) + b_o)                           in → hidden
//   z    = W_h[t]·o + b_h[t]                               one head per target: r (diag) or r² (square)
// That is the 'atlas' trunk. The 'code' trunk (spec.zhyper.trunk, the authors' code point by point, Z1–Z5):
//   c    ← normalize(c)·√condDim (condScale 'sqrt-d');  e_layer, e_type each through a LayerNorm;
//   a SiLU after the mixer's and each block's second Linear;  o = SiLU(W_o2·SiLU(W_o·LN(x) + b_o) + b_o2).
//
// It runs on the CPU: it is evaluated once per (condition, layer, module), a few hundred small matvecs,
// and the result z is uploaded; the per-token work stays in the fused GPU kernel.
import type { Adapter, AdapterSpec, BackboneDims, Target, Tensor, ZhyperSpec } from './types';

export const ZHYPER_DEFAULTS: Omit<ZhyperSpec, 'condDim' | 'variant'> = { projDim: 64, embDim: 32, hidden: 512 };

/** Shapes of the hyper.* tensors. */
export function zhyperTensorShapes(spec: AdapterSpec, dims: BackboneDims): Map<string, number[]> {
  const z = spec.zhyper;
  if (!z) throw new Error('zhyperTensorShapes: the spec has no zhyper section');
  const m = new Map<string, number[]>();
  const inDim = z.projDim + 2 * z.embDim;
  m.set('hyper.cond.W', [z.projDim, z.condDim]);
  m.set('hyper.cond.b', [z.projDim]);
  m.set('hyper.cond.ln.g', [z.projDim]);
  m.set('hyper.cond.ln.b', [z.projDim]);
  m.set('hyper.layerEmb', [dims.numLayers, z.embDim]);
  m.set('hyper.typeEmb', [spec.targets.length, z.embDim]);
  const code = z.trunk === 'code';
  if (code) {
    m.set('hyper.layerEmb.ln.g', [z.embDim]);
    m.set('hyper.layerEmb.ln.b', [z.embDim]);
    m.set('hyper.typeEmb.ln.g', [z.embDim]);
    m.set('hyper.typeEmb.ln.b', [z.embDim]);
  }
  m.set('hyper.mixer.W1', [z.hidden, inDim]);
  m.set('hyper.mixer.b1', [z.hidden]);
  m.set('hyper.mixer.W2', [inDim, z.hidden]);
  m.set('hyper.mixer.b2', [inDim]);
  for (const b of [0, 1]) {
    m.set(`hyper.block${b}.ln.g`, [inDim]);
    m.set(`hyper.block${b}.ln.b`, [inDim]);
    m.set(`hyper.block${b}.W1`, [z.hidden, inDim]);
    m.set(`hyper.block${b}.b1`, [z.hidden]);
    m.set(`hyper.block${b}.W2`, [inDim, z.hidden]);
    m.set(`hyper.block${b}.b2`, [inDim]);
  }
  m.set('hyper.out.ln.g', [inDim]);
  m.set('hyper.out.ln.b', [inDim]);
  m.set('hyper.out.W', [z.hidden, inDim]);
  m.set('hyper.out.b', [z.hidden]);
  if (code) {
    m.set('hyper.out.W2', [z.hidden, z.hidden]);
    m.set('hyper.out.b2', [z.hidden]);
  }
  const zLen = z.variant === 'square' ? spec.r * spec.r : spec.r;
  for (const t of spec.targets) {
    m.set(`hyper.head.${t}.W`, [zLen, z.hidden]);
    m.set(`hyper.head.${t}.b`, [zLen]);
  }
  return m;
}

// ---- small dense ops (row-major W [out, in]) ----
export function affine(W: Float32Array, b: Float32Array | null, x: Float32Array, out: number, inp: number): Float32Array {
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    const row = o * inp;
    for (let i = 0; i < inp; i++) s += W[row + i] * x[i];
    y[o] = s;
  }
  return y;
}

/** LayerNorm's statistics: the mean and 1/√(var + eps) (the backward recomputes them the same way). */
export function layerNormStats(x: Float32Array, eps = 1e-5): { mean: number; inv: number } {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let varSum = 0;
  for (const v of x) varSum += (v - mean) ** 2;
  return { mean, inv: 1 / Math.sqrt(varSum / n + eps) };
}

export function layerNorm(x: Float32Array, g: Float32Array, b: Float32Array, eps = 1e-5): Float32Array {
  const { mean, inv } = layerNormStats(x, eps);
  return x.map((v, i) => (v - mean) * inv * g[i] + b[i]);
}

export const silu = (x: Float32Array): Float32Array => x.map((v) => v / (1 + Math.exp(-v)));

/** What one (layer, target) pass through the trunk computed: the backward (train/hypernet-backward.ts) reads it. */
export interface TrunkTrace {
  x0: Float32Array;
  /** mixer: am = W_m1·x0 + b_m1, sm = SiLU(am), m2 = W_m2·sm + b_m2 (x = m2, or SiLU(m2) in the code trunk) */
  am: Float32Array;
  sm: Float32Array;
  m2: Float32Array;
  /** blocks: n = LN(xIn), a = W_1·n + b_1, s = SiLU(a), h2 = W_2·s + b_2; x = xIn + h2 (or + SiLU(h2)) */
  blocks: { xIn: Float32Array; n: Float32Array; a: Float32Array; s: Float32Array; h2: Float32Array }[];
  xOut: Float32Array;
  /** output: nO = LN(x), aO = W_o·nO + b_o, o1 = SiLU(aO); code: a2 = W_o2·o1 + b_o2, o = SiLU(a2); else o = o1 */
  nO: Float32Array;
  aO: Float32Array;
  o1: Float32Array;
  a2: Float32Array | null;
  o: Float32Array;
}

type Weights = (name: string) => Float32Array;

/** The condition as the trunk reads it: as given, or normalize(c)·√d (the code's scale, Z1). */
export function scaleCondition(c: Float32Array, z: ZhyperSpec): Float32Array {
  if (z.condScale !== 'sqrt-d') return c;
  let n = 0;
  for (const v of c) n += v * v;
  const k = n > 0 ? Math.sqrt(c.length / n) : 0;
  return c.map((v) => v * k);
}

/** c_p = LayerNorm(W_c·c′ + b_c) with c′ the scaled condition: once per condition. Returns the pre-LN p too. */
export function projectCondition(W: Weights, z: ZhyperSpec, c: Float32Array): { cs: Float32Array; p: Float32Array; cp: Float32Array } {
  const cs = scaleCondition(c, z);
  const p = affine(W('hyper.cond.W'), W('hyper.cond.b'), cs, z.projDim, z.condDim);
  return { cs, p, cp: layerNorm(p, W('hyper.cond.ln.g'), W('hyper.cond.ln.b')) };
}

/** The layer and type embeddings as x0 reads them (through a LayerNorm each in the code trunk). */
export function embeddings(W: Weights, z: ZhyperSpec, layer: number, ti: number): { el: Float32Array; et: Float32Array; elRaw: Float32Array; etRaw: Float32Array } {
  const d = z.embDim;
  const elRaw = W('hyper.layerEmb').subarray(layer * d, layer * d + d), etRaw = W('hyper.typeEmb').subarray(ti * d, ti * d + d);
  if (z.trunk !== 'code') return { el: elRaw, et: etRaw, elRaw, etRaw };
  return { el: layerNorm(elRaw, W('hyper.layerEmb.ln.g'), W('hyper.layerEmb.ln.b')), et: layerNorm(etRaw, W('hyper.typeEmb.ln.g'), W('hyper.typeEmb.ln.b')), elRaw, etRaw };
}

/** The trunk from x0 = [c_p ‖ e_layer ‖ e_type] to o (the heads' input), keeping what the backward needs. */
export function trunkForward(W: Weights, z: ZhyperSpec, x0: Float32Array): TrunkTrace {
  const inDim = z.projDim + 2 * z.embDim, Hd = z.hidden, code = z.trunk === 'code';
  const am = affine(W('hyper.mixer.W1'), W('hyper.mixer.b1'), x0, Hd, inDim);
  const sm = silu(am);
  const m2 = affine(W('hyper.mixer.W2'), W('hyper.mixer.b2'), sm, inDim, Hd);
  let x = code ? silu(m2) : m2;
  const blocks: TrunkTrace['blocks'] = [];
  for (const b of [0, 1]) {
    const n = layerNorm(x, W(`hyper.block${b}.ln.g`), W(`hyper.block${b}.ln.b`));
    const a = affine(W(`hyper.block${b}.W1`), W(`hyper.block${b}.b1`), n, Hd, inDim);
    const s = silu(a);
    const h2 = affine(W(`hyper.block${b}.W2`), W(`hyper.block${b}.b2`), s, inDim, Hd);
    blocks.push({ xIn: x, n, a, s, h2 });
    const h = code ? silu(h2) : h2;
    x = x.map((v, i) => v + h[i]);
  }
  const nO = layerNorm(x, W('hyper.out.ln.g'), W('hyper.out.ln.b'));
  const aO = affine(W('hyper.out.W'), W('hyper.out.b'), nO, Hd, inDim);
  const o1 = silu(aO);
  const a2 = code ? affine(W('hyper.out.W2'), W('hyper.out.b2'), o1, Hd, Hd) : null;
  return { x0, am, sm, m2, blocks, xOut: x, nO, aO, o1, a2, o: a2 ? silu(a2) : o1 };
}

/** The hypernetwork of one Zhyper adapter. */
export class Hypernet {
  private readonly z: ZhyperSpec;
  private readonly W: Weights;

  constructor(private readonly a: Adapter) {
    if (!a.spec.zhyper) throw new Error('not a Zhyper adapter');
    this.z = a.spec.zhyper;
    this.W = (name) => {
      const x = this.a.tensors.get(name);
      if (!x) throw new Error(`Zhyper adapter is missing tensor ${name}`);
      return x.data;
    };
  }

  /** c_p = LayerNorm(W_c·c + b_c): computed once per condition, shared by every (layer, module). */
  project(c: Float32Array): Float32Array {
    if (c.length !== this.z.condDim) throw new Error(`condition embedding has ${c.length} numbers; this adapter was made for ${this.z.condDim} (encoder ${this.a.spec.encoderId ?? '?'})`);
    return projectCondition(this.W, this.z, c).cp;
  }

  /** z for one layer and target (r numbers, or r² for the square variant, row-major). */
  z_for(cp: Float32Array, layer: number, target: Target): Float32Array {
    const ti = this.a.spec.targets.indexOf(target);
    if (ti < 0) throw new Error(`target ${target} is not adapted`);
    const { el, et } = embeddings(this.W, this.z, layer, ti);
    const x0 = new Float32Array(this.z.projDim + 2 * this.z.embDim);
    x0.set(cp, 0);
    x0.set(el, cp.length);
    x0.set(et, cp.length + this.z.embDim);
    const o = trunkForward(this.W, this.z, x0).o;
    const zLen = this.z.variant === 'square' ? this.a.spec.r ** 2 : this.a.spec.r;
    return affine(this.W(`hyper.head.${target}.W`), this.W(`hyper.head.${target}.b`), o, zLen, this.z.hidden);
  }

  /** z for every layer and target: zs[layer][target]. */
  all(c: Float32Array, numLayers: number): Record<string, Float32Array>[] {
    const cp = this.project(c);
    return Array.from({ length: numLayers }, (_, l) => Object.fromEntries(this.a.spec.targets.map((t) => [t, this.z_for(cp, l, t)])));
  }
}

/**
 * Initial values for the hyper.* tensors: PyTorch's defaults, heads' weights zero unless randomHeads.
 * For training (not randomHeads) the heads' bias also gets the identity: z starts at 1 + ε (Z at I + ε), so
 * ΔW = s·B·diag(z)·A = s·B(I + diag z′)A with z′ = z − 1 ≈ 0. That is what the authors' code trains: their
 * hook adds s·B·Z·A while PEFT's own LoRA path s·B·A stays on. B then learns at a plain LoRA's pace, and z
 * only has to carry how conditions differ; with z ≈ ±0.04 at the start, B's gradient was 25× smaller.
 */
export function initHypernet(spec: AdapterSpec, dims: BackboneDims, rng: () => number, randomHeads: boolean): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of zhyperTensorShapes(spec, dims)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape[1] : 0;
    let data: Float32Array;
    if (name.endsWith('ln.g')) data = new Float32Array(n).fill(1);
    else if (name.endsWith('ln.b')) data = new Float32Array(n);
    else if (name.endsWith('Emb')) data = Float32Array.from({ length: n }, () => gauss(rng));
    else if (name.startsWith('hyper.head.') && name.endsWith('.W') && !randomHeads) data = new Float32Array(n);
    else {
      // nn.Linear: U(±1/√fan_in) for weight and bias (the bias's fan_in is its layer's)
      const fi = fanIn || fanInOfBias(name, spec, dims);
      const bound = 1 / Math.sqrt(fi);
      data = Float32Array.from({ length: n }, () => (rng() * 2 - 1) * bound);
    }
    if (!randomHeads && name.startsWith('hyper.head.') && name.endsWith('.b')) {
      const r = spec.r;
      if (spec.zhyper!.variant === 'square') for (let i = 0; i < r; i++) data[i * r + i] += 1;
      else for (let i = 0; i < r; i++) data[i] += 1;
    }
    out.set(name, { shape, data });
  }
  return out;
}

function fanInOfBias(name: string, spec: AdapterSpec, dims: BackboneDims): number {
  const W = zhyperTensorShapes(spec, dims).get(name.replace(/\.b(\d?)$/, '.W$1'));
  return W ? W[1] : 1;
}

/** Standard normal from a uniform generator (Box–Muller). */
export function gauss(rng: () => number): number {
  const u = Math.max(rng(), 1e-12), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
