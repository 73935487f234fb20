// Zhyper's hypernetwork (src/adapters/zhyper.ts) forward with a tape, and its backward, on the CPU.
//
// Training runs the hypernetwork once per sequence (its condition c), uploads z[layer][target] for the
// GPU forward, and gets dL/dz back from the GPU backward. Here dL/dz becomes the gradient of every
// hyper.* tensor, by hand, in the forward's order reversed:
//
//   c_p  = LN(p),  p = W_c·c + b_c                        once per condition
//   x0   = [c_p ‖ e_layer[l] ‖ e_type[t]]
//   x1   = W_m2·SiLU(a_m),  a_m = W_m1·x0 + b_m1 (+ b_m2)  mixer
//   x    = x + W_2·SiLU(a),  a = W_1·LN(x) + b_1 (+ b_2)   two pre-LN residual blocks
//   o    = SiLU(a_o),  a_o = W_o·LN(x) + b_o
// (the 'code' trunk adds the LayerNorms and SiLUs of zhyper.ts's header; the forward is zhyper.ts's trunkForward)
//   z    = W_h[t]·o + b_h[t]
//
// Backward pieces: an affine y = W·x + b gives dW += dy·xᵀ, db += dy, dx = Wᵀ·dy; SiLU'(a) = σ(a)·(1 + a·(1 − σ(a)));
// LayerNorm y = x̂·g + b with x̂ = (x − μ)/σ gives dg += dy ⊙ x̂, db += dy and
// dx = (d̂ − mean(d̂) − x̂·mean(d̂ ⊙ x̂))/σ with d̂ = dy ⊙ g. The forward reuses zhyper.ts's own f32 ops, so
// its z is bit-for-bit the z that GpuAdapter.setCondition uploads for inference.
import { affine, embeddings, layerNormStats, projectCondition, trunkForward, type TrunkTrace } from '../adapters/zhyper';
import type { Adapter } from '../adapters/types';

/** Gradient of every hyper.* tensor, by name (f64). */
export type HyperGrads = Map<string, Float64Array>;

export function zeroHyperGrads(a: Adapter): HyperGrads {
  const g: HyperGrads = new Map();
  for (const [name, t] of a.tensors) if (name.startsWith('hyper.')) g.set(name, new Float64Array(t.data.length));
  return g;
}

/** The forward of one condition, every (layer, target), with what its backward needs. */
export interface HypernetTape {
  /** z[layer][target] (r numbers for diag, r² for square) */
  z: Record<string, Float32Array>[];
  /** add the gradients for upstream dL/dz (dz(l, t); undefined = 0) into grads */
  backward(dz: (layer: number, target: string) => ArrayLike<number> | undefined, grads: HyperGrads): void;
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/** dL/da for s = SiLU(a), given dL/ds */
function siluBackward(a: Float32Array, ds: ArrayLike<number>): Float64Array {
  const da = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = sigmoid(a[i]);
    da[i] = ds[i] * s * (1 + a[i] * (1 - s));
  }
  return da;
}

/** y = W·x + b with W [out, in]: dW += dy·xᵀ, db += dy; returns dx = Wᵀ·dy */
function affineBackward(W: Float32Array, x: ArrayLike<number>, dy: ArrayLike<number>, dW: Float64Array, db: Float64Array | null, out: number, inp: number): Float64Array {
  const dx = new Float64Array(inp);
  for (let o = 0; o < out; o++) {
    const g = dy[o];
    if (g === 0) continue;
    if (db) db[o] += g;
    const row = o * inp;
    for (let i = 0; i < inp; i++) {
      dW[row + i] += g * x[i];
      dx[i] += g * W[row + i];
    }
  }
  return dx;
}

/** LayerNorm's backward (statistics recomputed from its input x as layerNorm computes them) */
function layerNormBackward(x: Float32Array, g: Float32Array, dy: ArrayLike<number>, dg: Float64Array, db: Float64Array, eps = 1e-5): Float64Array {
  const n = x.length;
  const { mean, inv } = layerNormStats(x, eps);
  const xh = new Float64Array(n), dxh = new Float64Array(n);
  let m1 = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    xh[i] = (x[i] - mean) * inv;
    dg[i] += dy[i] * xh[i];
    db[i] += dy[i];
    dxh[i] = dy[i] * g[i];
    m1 += dxh[i];
    m2 += dxh[i] * xh[i];
  }
  m1 /= n;
  m2 /= n;
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = inv * (dxh[i] - m1 - xh[i] * m2);
  return dx;
}

/** Run the hypernetwork of adapter `a` on condition c for every layer and target, keeping a tape. */
export function hypernetForward(a: Adapter, c: Float32Array, numLayers: number): HypernetTape {
  const spec = a.spec.zhyper;
  if (!spec) throw new Error('not a Zhyper adapter');
  if (c.length !== spec.condDim) throw new Error(`condition embedding has ${c.length} numbers; this adapter was made for ${spec.condDim} (encoder ${a.spec.encoderId ?? '?'})`);
  const P = spec.projDim, E = spec.embDim, Hd = spec.hidden, inDim = P + 2 * E;
  const code = spec.trunk === 'code';
  const zLen = spec.variant === 'square' ? a.spec.r ** 2 : a.spec.r;
  const W = (name: string) => {
    const t = a.tensors.get(name);
    if (!t) throw new Error(`Zhyper adapter is missing tensor ${name}`);
    return t.data;
  };
  const targets = a.spec.targets;

  // condition projection, shared by every (layer, target)
  const { cs, p, cp } = projectCondition(W, spec, c);

  const traces: (TrunkTrace & { elRaw: Float32Array; etRaw: Float32Array })[][] = [];
  const z: Record<string, Float32Array>[] = [];
  for (let l = 0; l < numLayers; l++) {
    const row: (TrunkTrace & { elRaw: Float32Array; etRaw: Float32Array })[] = [];
    const zl: Record<string, Float32Array> = {};
    targets.forEach((t, ti) => {
      const { el, et, elRaw, etRaw } = embeddings(W, spec, l, ti);
      const x0 = new Float32Array(inDim);
      x0.set(cp, 0);
      x0.set(el, P);
      x0.set(et, P + E);
      const tr = trunkForward(W, spec, x0);
      zl[t] = affine(W(`hyper.head.${t}.W`), W(`hyper.head.${t}.b`), tr.o, zLen, Hd);
      row.push({ ...tr, elRaw, etRaw });
    });
    traces.push(row);
    z.push(zl);
  }

  return {
    z,
    backward(dzOf, grads) {
      const G = (name: string) => {
        const g = grads.get(name);
        if (!g) throw new Error(`no gradient slot for ${name}`);
        return g;
      };
      const dcp = new Float64Array(P);
      for (let l = 0; l < numLayers; l++)
        targets.forEach((t, ti) => {
          const dz = dzOf(l, t);
          if (!dz) return;
          const tr = traces[l][ti];
          // head and output block: o = SiLU(a2), a2 = W_o2·o1 + b_o2 (code), o1 = SiLU(aO), aO = W_o·LN(x) + b_o
          let dO1: ArrayLike<number> = affineBackward(W(`hyper.head.${t}.W`), tr.o, dz, G(`hyper.head.${t}.W`), G(`hyper.head.${t}.b`), zLen, Hd);
          if (code) dO1 = affineBackward(W('hyper.out.W2'), tr.o1, siluBackward(tr.a2!, dO1), G('hyper.out.W2'), G('hyper.out.b2'), Hd, Hd);
          const daO = siluBackward(tr.aO, dO1);
          const dnO = affineBackward(W('hyper.out.W'), tr.nO, daO, G('hyper.out.W'), G('hyper.out.b'), Hd, inDim);
          const dx = layerNormBackward(tr.xOut, W('hyper.out.ln.g'), dnO, G('hyper.out.ln.g'), G('hyper.out.ln.b'));
          // residual blocks, last first: x_out = x_in + h, h = h2 (atlas) or SiLU(h2) (code), h2 = W_2·SiLU(W_1·LN(x_in) + b_1) + b_2
          for (const b of [1, 0]) {
            const bl = tr.blocks[b];
            const dh2 = code ? siluBackward(bl.h2, dx) : dx;
            const ds = affineBackward(W(`hyper.block${b}.W2`), bl.s, dh2, G(`hyper.block${b}.W2`), G(`hyper.block${b}.b2`), inDim, Hd);
            const da = siluBackward(bl.a, ds);
            const dn = affineBackward(W(`hyper.block${b}.W1`), bl.n, da, G(`hyper.block${b}.W1`), G(`hyper.block${b}.b1`), Hd, inDim);
            const dxIn = layerNormBackward(bl.xIn, W(`hyper.block${b}.ln.g`), dn, G(`hyper.block${b}.ln.g`), G(`hyper.block${b}.ln.b`));
            for (let i = 0; i < inDim; i++) dx[i] += dxIn[i]; // the residual path carries dx through unchanged
          }
          // mixer: x = m2 (atlas) or SiLU(m2) (code)
          const dm2 = code ? siluBackward(tr.m2, dx) : dx;
          const dsm = affineBackward(W('hyper.mixer.W2'), tr.sm, dm2, G('hyper.mixer.W2'), G('hyper.mixer.b2'), inDim, Hd);
          const dam = siluBackward(tr.am, dsm);
          const dx0 = affineBackward(W('hyper.mixer.W1'), tr.x0, dam, G('hyper.mixer.W1'), G('hyper.mixer.b1'), Hd, inDim);
          // x0 = [c_p ‖ e_layer[l] ‖ e_type[t]] (each embedding through its LayerNorm in the code trunk)
          for (let i = 0; i < P; i++) dcp[i] += dx0[i];
          let dEl: ArrayLike<number> = dx0.subarray(P, P + E), dEt: ArrayLike<number> = dx0.subarray(P + E, P + 2 * E);
          if (code) {
            dEl = layerNormBackward(tr.elRaw, W('hyper.layerEmb.ln.g'), dEl, G('hyper.layerEmb.ln.g'), G('hyper.layerEmb.ln.b'));
            dEt = layerNormBackward(tr.etRaw, W('hyper.typeEmb.ln.g'), dEt, G('hyper.typeEmb.ln.g'), G('hyper.typeEmb.ln.b'));
          }
          const dLe = G('hyper.layerEmb'), dTe = G('hyper.typeEmb');
          for (let i = 0; i < E; i++) {
            dLe[l * E + i] += dEl[i];
            dTe[ti * E + i] += dEt[i];
          }
        });
      // the condition projection, once for every (layer, target) that used c_p
      const dp = layerNormBackward(p, W('hyper.cond.ln.g'), dcp, G('hyper.cond.ln.g'), G('hyper.cond.ln.b'));
      affineBackward(W('hyper.cond.W'), cs, dp, G('hyper.cond.W'), G('hyper.cond.b'), P, spec.condDim);
    },
  };
}
