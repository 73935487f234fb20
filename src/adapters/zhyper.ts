// Zhyper's hypernetwork, as in the authors' code (see ../../../shared/notes/methods.md):
//
//   c_p  = LayerNorm(W_c·c + b_c)                          condition projection, condDim → projDim
//   x    = [c_p ‖ e_layer[l] ‖ e_type[t]]                  projDim + 2·embDim
//   x    = W_m2·SiLU(W_m1·x + b_m1) + b_m2                 mixer (in → hidden → in)
//   x    = x + W_2·SiLU(W_1·LN(x) + b_1) + b_2             two pre-LN residual blocks
//   o    = SiLU(W_o·LN(x) + b_o)                           in → hidden
//   z    = W_h[t]·o + b_h[t]                               one head per target: r (diag) or r² (square)
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

/** The hypernetwork of one Zhyper adapter. */
export class Hypernet {
  private readonly z: ZhyperSpec;
  private readonly inDim: number;

  constructor(private readonly a: Adapter) {
    if (!a.spec.zhyper) throw new Error('not a Zhyper adapter');
    this.z = a.spec.zhyper;
    this.inDim = this.z.projDim + 2 * this.z.embDim;
  }

  private t(name: string): Float32Array {
    const x = this.a.tensors.get(name);
    if (!x) throw new Error(`Zhyper adapter is missing tensor ${name}`);
    return x.data;
  }

  /** c_p = LayerNorm(W_c·c + b_c): computed once per condition, shared by every (layer, module). */
  project(c: Float32Array): Float32Array {
    if (c.length !== this.z.condDim) throw new Error(`condition embedding has ${c.length} numbers; this adapter was made for ${this.z.condDim} (encoder ${this.a.spec.encoderId ?? '?'})`);
    const p = affine(this.t('hyper.cond.W'), this.t('hyper.cond.b'), c, this.z.projDim, this.z.condDim);
    return layerNorm(p, this.t('hyper.cond.ln.g'), this.t('hyper.cond.ln.b'));
  }

  /** z for one layer and target (r numbers, or r² for the square variant, row-major). */
  z_for(cp: Float32Array, layer: number, target: Target): Float32Array {
    const { embDim: d, hidden: Hd } = this.z;
    const ti = this.a.spec.targets.indexOf(target);
    if (ti < 0) throw new Error(`target ${target} is not adapted`);
    const inDim = this.inDim;
    let x: Float32Array = new Float32Array(inDim);
    x.set(cp, 0);
    x.set(this.t('hyper.layerEmb').subarray(layer * d, layer * d + d), cp.length);
    x.set(this.t('hyper.typeEmb').subarray(ti * d, ti * d + d), cp.length + d);
    x = affine(this.t('hyper.mixer.W2'), this.t('hyper.mixer.b2'), silu(affine(this.t('hyper.mixer.W1'), this.t('hyper.mixer.b1'), x, Hd, inDim)), inDim, Hd);
    for (const b of [0, 1]) {
      const hIn = layerNorm(x, this.t(`hyper.block${b}.ln.g`), this.t(`hyper.block${b}.ln.b`));
      const h = affine(this.t(`hyper.block${b}.W2`), this.t(`hyper.block${b}.b2`), silu(affine(this.t(`hyper.block${b}.W1`), this.t(`hyper.block${b}.b1`), hIn, Hd, inDim)), inDim, Hd);
      x = x.map((v, i) => v + h[i]);
    }
    const o = silu(affine(this.t('hyper.out.W'), this.t('hyper.out.b'), layerNorm(x, this.t('hyper.out.ln.g'), this.t('hyper.out.ln.b')), Hd, inDim));
    const zLen = this.z.variant === 'square' ? this.a.spec.r ** 2 : this.a.spec.r;
    return affine(this.t(`hyper.head.${target}.W`), this.t(`hyper.head.${target}.b`), o, zLen, Hd);
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
