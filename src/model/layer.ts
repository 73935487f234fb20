// One decoder layer as dispatches: the one place a layer is built, for inference (model.ts) and for
// training (train/step.ts), and the one place every kernel variant is chosen.
//
//   h1   = RMSNorm(x)·w_in                       CUMA: the router reads h1 (⊕ e_d) and writes the gates g
//   qkv  = h1·Wqkvᵀ (+ b) (+ ΔW·h1)               q, k, v in one projection
//   q, k = RoPE(q), RoPE(k)                        Qwen3: per-head RMSNorm first
//   cache[pos0 : pos0+T] = k, v                    inference: in RoPE's dispatch
//   x   += CausalGQA(q, K_cache, V_cache)·Woᵀ     the residual add is the projection's accumulate
//   h2   = RMSNorm(x)·w_post
//   act  = SiLU(h2·Wgateᵀ) ⊙ (h2·Wupᵀ)
//   x   += act·Wdownᵀ
//
// Decode (one token) runs the same equations in fewer dispatches, each RMSNorm inside the projection after it,
// each part where it has no adapter:
//   rmsnorm_qkv_rope        h1, qkv, RoPE and the KV append            (qkv plain, no router, no q/k norm)
//   attention_o             each head's attention and its share of Wo  (o, gate, up and down plain)
//   rmsnorm_gate_up_silu    x + Σ heads' shares, h2, act; the shares' sum r   (gate and up plain)
//   matvec (down)           x += r + act·Wdownᵀ
// 4 dispatches a plain layer (SmolLM2-135M: 123 a token); an adapter on q and v (Zhyper's and CUMA's default) keeps
// the last three; prefill and training run the 8 dispatches above.
//
// What varies, decided here only (LayerPlan):
//   - a projection: matmul (T tokens) or matvec (decode), each as vec4 when K % 4 == 0; with an adapter the
//     fused, split or unfused path (model.ts AdapterPath), the fused one only where fusedFits;
//   - CUMA's router inside the input norm's dispatch (rmsnorm_router) or on its own after it;
//   - gate/up as one kernel with the SiLU (gate_up_silu), or as two projections into gu then silu_mul:
//     when either is adapted, and always in training, whose backward reads the pre-activations.
import type { ModelConfig } from './config';
import type { LayerWeights } from './weights';
import { fusedFits, type Dispatch, type Kernels, type LinearOpts, type LoraBinding } from '../gpu/kernels';
import type { GpuLayer } from '../adapters/gpu';
import type { KernelVariants } from '../gpu/variants';

/**
 * How adapted projections run (variants kept side by side; the bench compares them; gpu/variants.ts picks one
 * per device):
 *   'fused'   one dispatch per projection: W·x and s·B·transform(A·x) in lora_matvec_vec4 / lora_matmul_vec4
 *   'split'   decode: lora_down, then lora_matvec_up_vec4 (W·x with the up-projection fused in, no barriers);
 *             prefill: as 'unfused'
 *   'unfused' base matmul/matvec, lora_down, lora_up (three dispatches; also the router on its own)
 * The emulators run 'split' (an extra small dispatch costs them less than barriers in the big kernel); a real
 * GPU runs 'fused' (variants.ts).
 */
export type AdapterPath = KernelVariants['adapterPath'];

export interface LayerPlan {
  /** T tokens at once (matmul, tiled attention) or one decoded token (matvec, per-head attention) */
  prefill: boolean;
  path: AdapterPath;
  /** CUMA's router inside the input norm's dispatch */
  routerInNorm: boolean;
  /** gate and up always as two projections into gu (training: the backward reads their pre-activations) */
  keepGateUp: boolean;
  /** the KV append inside RoPE's dispatch (inference); training keeps kv_append, whose backward it has */
  kvInRope: boolean;
  /** decode: each RMSNorm inside the projection after it (rmsnorm_qkv_rope with RoPE and the KV append too,
   *  rmsnorm_gate_up_silu) where that projection has no adapter (and q, k no per-head norm) */
  normInDecode: boolean;
}

/** The plan of a forward: inference (prefill or decode) or training's (prefill, pre-activations kept). */
export function layerPlan(o: { prefill: boolean; path: AdapterPath; training?: boolean }): LayerPlan {
  // training keeps the router on its own: rmsnorm_router's norm rounds differently in the last bit, and the
  // trained adapters stay bit for bit what they were (test/golden)
  return { prefill: o.prefill, path: o.path, routerInNorm: o.path !== 'unfused' && !o.training, keepGateUp: !!o.training, kvInRope: !o.training, normInDecode: !o.prefill && !o.training };
}

/** The buffers one layer reads and writes; T rows each (T ≤ the chunk they were sized for). */
export interface LayerBuffers {
  /** [T, H] the residual stream: x_l in, x_{l+1} out */
  x: GPUBuffer;
  /** [T, H] RMSNorm(x)·w_in */
  h1: GPUBuffer;
  /** [T, H] RMSNorm(x + attention)·w_post (inference: the same buffer as h1) */
  h2: GPUBuffer;
  /** [T, qDim + 2·kvDim] */
  qkv: GPUBuffer;
  /** Qwen3, training: [T, qkvDim] q and k before their per-head norm, kept for the backward */
  qkPre?: GPUBuffer;
  /** [maxContext, kvDim] each */
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  /** [T, qDim] attention output */
  att: GPUBuffer;
  /** [T, I] SiLU(gate) ⊙ up */
  act: GPUBuffer;
  /** [T, 2I] gate | up pre-activations, when they run as two projections (null: never needed) */
  gu: GPUBuffer | null;
  /** [T, rows] the adapter's A·x on the split and unfused paths (null without an adapter) */
  U: GPUBuffer | null;
  /** [maxContext, headDim] RoPE's cos | sin */
  cosSin: GPUBuffer;
  /** decode: [nHeads, H] each head's share of the output projection (attention_o), summed into x by the MLP's norm */
  part?: GPUBuffer;
}

/** A projection without an adapter: the one choice of matmul / matvec, its vec4 form, and the device's decode GEMV. */
export function plainLinear(k: Kernels, step: GPUBuffer, o: LinearOpts, prefill: boolean): Dispatch {
  if (prefill) return o.K % 4 ? k.matmul(step, o) : k.matmulVec4(step, o);
  if (o.K % 4) return k.matvec(o);
  const gemv = k.variants.gemv;
  return gemv === 'subgroup' ? k.matvecSubgroup(o) : gemv === 'coalesced' ? k.matvecCoalesced(o) : k.matvecVec4(o);
}

/**
 * y = W·x (+ b) (+ ΔW·x): the one place a projection becomes dispatches. `adapted` hears the dispatch that
 * carries the adapter's scale (the model rewrites it for setStrength).
 */
export function linear(k: Kernels, step: GPUBuffer, o: LinearOpts, lora: LoraBinding | undefined, plan: LayerPlan, U: GPUBuffer | null, adapted?: (d: Dispatch, lora: LoraBinding) => void): Dispatch[] {
  const plain = () => plainLinear(k, step, o, plan.prefill);
  if (!lora) return [plain()];
  if (plan.path === 'fused' && fusedFits(lora, o.K)) {
    const d = plan.prefill ? k.loraMatmulVec4(step, { ...o, lora }) : k.loraMatvecVec4(step, { ...o, lora });
    adapted?.(d, lora);
    return [d];
  }
  if (!U) throw new Error('an adapted projection off the fused path needs the lora.U scratch buffer');
  const down = k.loraDown(step, { K: o.K, lora, x: o.x, U });
  if (plan.path === 'split' && !plan.prefill && o.K % 4 === 0) {
    // W·x in the device's GEMV form: the subgroup one where the plain projections use it
    const d = k.variants.gemv === 'subgroup' ? k.loraMatvecUpSubgroup(step, { ...o, lora, U }) : k.loraMatvecUpVec4(step, { ...o, lora, U });
    adapted?.(d, lora);
    return [down, d];
  }
  const up = k.loraUp(step, { N: o.N, ldY: o.ldY, nOff: o.nOff, lora, U, y: o.y });
  adapted?.(up, lora);
  return [plain(), down, up];
}

/** One layer's dispatches in three parts: attention (x += …), the MLP up to act, and the down projection (x += …). */
export interface LayerDispatches {
  attention: Dispatch[];
  mlp: Dispatch[];
  down: Dispatch[];
}

export function layerDispatches(
  k: Kernels,
  step: GPUBuffer,
  c: ModelConfig,
  W: LayerWeights,
  a: GpuLayer | undefined,
  b: LayerBuffers,
  plan: LayerPlan,
  adapted?: (d: Dispatch, lora: LoraBinding) => void,
): LayerDispatches {
  const H = c.hiddenSize, D = c.headDim, I = c.intermediateSize, eps = c.rmsNormEps;
  const qDim = c.numHeads * D, kvDim = c.numKVHeads * D, qkvDim = qDim + 2 * kvDim;
  const lin = (o: LinearOpts, lora: LoraBinding | undefined) => linear(k, step, { ...o, wDtype: W.dtype }, lora, plan, b.U, adapted);
  const rt = a?.router;
  const norm = { dim: H, eps, x: b.x, w: W.inputNorm, y: b.h1 };
  const att = { headDim: D, nHeads: c.numHeads, nKVHeads: c.numKVHeads, ldQKV: qkvDim, qkv: b.qkv, kCache: b.kCache, vCache: b.vCache, out: b.att };
  const twoProjections = plan.keepGateUp || !!a?.bindings.gate || !!a?.bindings.up;
  if (twoProjections && !b.gu) throw new Error('gate and up as two projections need the [T, 2I] gu buffer');
  // decode, each part where it has no adapter: the input norm, qkv, RoPE and the KV append in one dispatch; the
  // attention with each head's share of Wo (part) when o and the MLP are plain, summed into x by the MLP's norm
  // (which leaves the sum r in h2) and added with the down projection's output
  const fuseQkv = plan.normInDecode && !rt && !a?.bindings.qkv && !W.qkNorm && H % 4 === 0;
  const parts = plan.normInDecode && !a?.bindings.o && !twoProjections && !a?.bindings.down && !!b.part && D % 4 === 0 && H % 4 === 0;
  const fuseMlpNorm = plan.normInDecode && !twoProjections && H % 4 === 0;
  const r = b.h2;

  const attention = [
    ...(fuseQkv
      ? [k.rmsnormQkvRope(step, { H, headDim: D, nQHeads: c.numHeads, nKVHeads: c.numKVHeads, eps, x: b.x, normW: W.inputNorm, W: W.Wqkv, bias: W.bqkv, cosSin: b.cosSin, q: b.qkv, kCache: b.kCache, vCache: b.vCache, wDtype: W.dtype })]
      : [
          // CUMA: the gates of every token, shared by the layer's adapted projections (they read rt.gates)
          // decode with subgroups: the router spread over the device (two dispatches) rather than in one workgroup
          ...(rt && plan.routerInNorm
            ? plan.normInDecode && k.variants.gemv === 'subgroup' && H % 4 === 0
              ? k.rmsnormRouterDecode(step, { ...norm, ...rt })
              : [k.rmsnormRouter(step, { ...norm, ...rt })]
            : [k.rmsnorm(step, norm), ...(rt ? [k.router(step, { ...rt, h: b.h1 })] : [])]),
          ...lin({ N: qkvDim, K: H, x: b.h1, W: W.Wqkv, bias: W.bqkv, y: b.qkv }, a?.bindings.qkv),
          k.rope(step, { headDim: D, nHeads: c.numHeads + c.numKVHeads, nQHeads: c.numHeads, ldQKV: qkvDim, eps, cosSin: b.cosSin, qkv: b.qkv, ...(W.qkNorm ? { normW: W.qkNorm, ...(b.qkPre ? { pre: b.qkPre } : {}) } : {}), ...(plan.kvInRope ? { kv: { kCache: b.kCache, vCache: b.vCache } } : {}) }),
          ...(plan.kvInRope ? [] : [k.kvAppend(step, { kvDim, ldQKV: qkvDim, kOff: qDim, vOff: qDim + kvDim, qkv: b.qkv, kCache: b.kCache, vCache: b.vCache })]),
        ]),
    ...(parts
      ? [k.attentionO(step, { H, headDim: D, nHeads: c.numHeads, nKVHeads: c.numKVHeads, ldQKV: qkvDim, qkv: b.qkv, kCache: b.kCache, vCache: b.vCache, Wo: W.Wo, bo: W.bo, part: b.part!, wDtype: W.dtype })]
      : [
          // T tokens at once share key/value tiles (attention_tiled); decode has one token per head
          plan.prefill ? k.attentionPrefill(step, att) : k.attention(step, att),
          ...lin({ N: H, K: qDim, x: b.att, W: W.Wo, bias: W.bo, y: b.x, accumulate: true }, a?.bindings.o),
        ]),
  ];
  if (parts) {
    return {
      attention,
      mlp: [k.rmsnormGateUpSilu({ I, K: H, eps, x: b.x, normW: W.postNorm, Wg: W.Wgate, Wu: W.Wup, act: b.act, parts: { n: c.numHeads, part: b.part!, r }, wDtype: W.dtype })],
      down: [plainLinear(k, step, { N: H, K: I, x: b.act, W: W.Wdown, bias: r, y: b.x, accumulate: true, wDtype: W.dtype }, false)],
    };
  }
  const gu = { I, K: H, x: b.h2, Wg: W.Wgate, Wu: W.Wup, out: b.act, wDtype: W.dtype };
  const mlp = fuseMlpNorm
    ? [k.rmsnormGateUpSilu({ I, K: H, eps, x: b.x, normW: W.postNorm, Wg: W.Wgate, Wu: W.Wup, act: b.act, wDtype: W.dtype })]
    : [
        k.rmsnorm(step, { dim: H, eps, x: b.x, w: W.postNorm, y: b.h2 }),
        ...(twoProjections
          ? [
              ...lin({ N: I, K: H, ldY: 2 * I, x: b.h2, W: W.Wgate, y: b.gu! }, a?.bindings.gate),
              ...lin({ N: I, K: H, ldY: 2 * I, nOff: I, x: b.h2, W: W.Wup, y: b.gu! }, a?.bindings.up),
              k.siluMul(step, { I, gu: b.gu!, out: b.act }),
            ]
          : [H % 4 ? k.gateUpSilu(step, gu) : k.gateUpSiluVec4(step, gu)]),
      ];
  return { attention, mlp, down: lin({ N: H, K: I, x: b.act, W: W.Wdown, y: b.x, accumulate: true }, a?.bindings.down) };
}
