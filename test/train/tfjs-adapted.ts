// The loss of a whole adapted model and its gradients by tfjs autodiff: the independent forward of
// test/reference/tfjs-forward.ts (Hugging Face semantics, cpu backend, f32) with every adapted projection
//   y = x·Wᵀ (+ b) + Δy,   per token t (x_t the projection's input, u = A·x_t, r numbers):
//     plain LoRA     Δy = s·B·u
//     Zhyper diag    Δy = s·B·(z ⊙ u)                      z[layer][target]: r numbers
//     Zhyper square  Δy = s·B·(Z·u),  v_q = Σ_l Z[q, l]·u_l   z[layer][target]: r² numbers, Z row-major [r, r]
//     CUMA           Δy = s·Σ_e g_t[e]·B_e·A_{ea(e)}·x_t     ea(e) = 0 with a shared A (HydraLoRA), else e
// CUMA's router (one per layer, its gates shared by every adapted projection of the layer) reads
// h_t = that layer's input-RMSNorm output (what q_proj reads) and e_d:
//   a = ReLU(W1·[h_t ⊕ e_d] + b1)  (semantic-only: W1·h_t + b1),  logits = W2·a + b2,  p = softmax(logits)
//   'eq4':    S_t = top-k of the logits, g_t = softmax of the logits restricted to S_t
//   'double': S_t = top-k of p,          g_t = softmax of p restricted to S_t (p used as scores)
// top-k ties go to the lower expert index; the selection S_t is a constant (no gradient through the
// arg-max), the gradient flows through the softmax values.
// Loss of ONE sequence: CE_ε (label-smoothed cross-entropy, mean over the answer rows)
//   + λ·Σ_l LB_l,  LB_l = E·Σ_i f_i·P_i,  f_i = (1/T)·Σ_t 1[i ∈ S_t] (constant, sums to k),
//   P_i = (1/T)·Σ_t p_t[i]  (Mixtral / HF load_balancing_loss_func, per router, prompt tokens counted).
// tf.valueAndGrads differentiates it w.r.t. every adapter tensor (and z) at once.
// Shares only the safetensors decoding and the RoPE frequencies with the rest of the tests; nothing from
// src/train or src/adapters/gpu.ts. Llama, Qwen2 and Qwen3 (its per-head q/k RMSNorm before RoPE).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, tensorToF32 } from '../../src/model/safetensors';
import { referenceInvFreq } from '../reference/tfjs-forward';
import { loraScale, tensorName, type Adapter, type Target } from '../../src/adapters/types';

export interface AdaptedOptions {
  /**
   * CUMA: e_d, the condition embedding the routers read (spec.cuma.condDim numbers). Absent or null: the
   * routers without e_d (W1e·e_d = 0), as GpuAdapter.setCondition(null). Ignored with semanticOnly.
   */
  condition?: Float32Array | null;
  /** CUMA: λ, the weight of the load-balancing loss Σ_l LB_l in the total loss (default 0.01) */
  lbWeight?: number;
  /** false: loss, logits and gates only, no autodiff (grads empty, dz null); for finite differences */
  gradients?: boolean;
}

export interface AdaptedReference {
  /** ce + lbWeight·lb */
  loss: number;
  /** label-smoothed cross-entropy, mean over the answer rows */
  ce: number;
  /** Σ_l LB_l, NOT multiplied by λ (0 unless CUMA) */
  lb: number;
  /** LB_l per layer (CUMA; empty otherwise) */
  lbLayers: number[];
  /** dL/d(tensor) by adapter tensor name: every A, B; CUMA's router W1 (all H + D columns), b1, W2, b2 */
  grads: Map<string, Float32Array>;
  /** dL/dz[layer][target] (when z was given): r numbers (diag) or r² (square, row-major like Z) */
  dz: Record<string, Float32Array>[] | null;
  /** the logits at the last position T − 1 (vocab numbers: what Runtime.logits(ids) returns) */
  logits: Float32Array;
  /** CUMA: the gates g_t of each layer, [T·E] (row t = token t), zeros off S_t */
  gates: Float32Array[] | null;
  /** CUMA: the selection S_t of each layer, [T·E], 1 on S_t */
  selected: Uint8Array[] | null;
}

const MODULE: Record<Target, string> = {
  q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
};

/** Top-k of each row of scores [T, E] by repeated selection (strict '>': ties go to the lower index). */
function topkMask(score: Float32Array, T: number, E: number, k: number): Uint8Array {
  const m = new Uint8Array(T * E);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < k; i++) {
      let best = -1;
      for (let e = 0; e < E; e++) if (!m[t * E + e] && (best < 0 || score[t * E + e] > score[t * E + best])) best = e;
      m[t * E + best] = 1;
    }
  return m;
}

/**
 * loss = mean over pairs (row, target) of CE_ε(logits[row], target) (+ λ·Σ_l LB_l for CUMA) for the model
 * in `dir` with adapter `a` on token ids `ids`: its A, B; z[layer][target] for Zhyper (diag: r numbers,
 * square: r² row-major), null for plain LoRA and CUMA; CUMA's routers, e_d and λ from `opts`.
 */
export async function referenceAdaptedGrads(
  dir: string,
  ids: number[],
  pairs: [number, number][],
  a: Adapter,
  z: Record<string, Float32Array>[] | null,
  smoothing: number,
  opts: AdaptedOptions = {},
): Promise<AdaptedReference> {
  await tf.setBackend('cpu');
  await tf.ready();
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const arch: string = c.architectures[0];
  if (!['LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'].includes(arch)) throw new Error(`reference: ${arch} is not covered`);
  const H: number = c.hidden_size, nH: number = c.num_attention_heads, nKV: number = c.num_key_value_heads ?? nH;
  const D: number = c.head_dim ?? H / nH, V: number = c.vocab_size, L: number = c.num_hidden_layers;
  const eps: number = c.rms_norm_eps, bias = arch === 'Qwen2ForCausalLM' || c.attention_bias === true;
  const spec = a.spec;
  const s = loraScale(spec), r = spec.r, T = ids.length;
  const cuma = spec.method === 'cuma' ? spec.cuma! : null;
  if (cuma && z) throw new Error('reference: a CUMA adapter takes no z');
  const square = spec.zhyper?.variant === 'square';
  const E = cuma?.experts ?? 1, EA = cuma ? (cuma.sharedA ? 1 : E) : 1, Dc = cuma && !cuma.semanticOnly ? cuma.condDim : 0;
  const lbWeight = opts.lbWeight ?? 0.01;
  const ed = opts.condition ?? null;
  if (cuma && Dc && ed && ed.length !== Dc) throw new Error(`reference: e_d has ${ed.length} numbers, the adapter wants ${Dc}`);
  const adapted = (t: Target) => spec.targets.includes(t);

  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const raw = new Map<string, tf.Tensor>();
  for (const [name, info] of st.tensors) raw.set(name, tf.tensor(tensorToF32(st, info), info.shape, 'float32'));
  const w = (name: string) => {
    const t = raw.get(name);
    if (!t) throw new Error(`reference: missing ${name}`);
    return t;
  };

  // the differentiated inputs, by name: every adapter tensor except the hypernetwork's, then z
  const names: string[] = [];
  const values: tf.Tensor[] = [];
  const addInput = (name: string, data: Float32Array, shape: number[]) => {
    const n = shape.reduce((x, y) => x * y, 1);
    if (data.length !== n) throw new Error(`reference: ${name} has ${data.length} numbers, [${shape.join(', ')}] wants ${n}`);
    names.push(name);
    values.push(tf.tensor(data, shape));
  };
  const tensor = (name: string) => {
    const t = a.tensors.get(name);
    if (!t) throw new Error(`reference: the adapter has no ${name}`);
    return t;
  };
  for (let l = 0; l < L; l++) {
    for (const t of spec.targets)
      for (const part of ['A', 'B']) {
        const n = tensorName(l, t, part);
        addInput(n, tensor(n).data, tensor(n).shape);
      }
    if (cuma)
      for (const part of ['W1', 'b1', 'W2', 'b2']) {
        const n = tensorName(l, 'router', part);
        addInput(n, tensor(n).data, tensor(n).shape);
      }
  }
  if (z) for (let l = 0; l < L; l++) for (const t of spec.targets) addInput(`z.${l}.${t}`, z[l][t], square ? [r, r] : [r]);
  const position = new Map(names.map((n, i) => [n, i]));

  const rmsNorm = (x: tf.Tensor, g: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g);
  const rotateHalf = (x: tf.Tensor) => {
    const [x1, x2] = tf.split(x, 2, -1);
    return tf.concat([tf.neg(x2), x1], -1);
  };
  const rows = [...pairs.map(([row]) => row), T - 1];

  // side outputs of the last forward (plain numbers, read inside it)
  let logitsOut = new Float32Array(0);
  let gatesOut: Float32Array[] = [], selOut: Uint8Array[] = [];
  let ceOut = 0;
  const lbOut: number[] = [];

  const lossFn = (...xs: tf.Tensor[]): tf.Scalar => {
    const at = (name: string) => xs[position.get(name)!];
    gatesOut = [];
    selOut = [];
    lbOut.length = 0;

    /** CUMA's router of layer l on h [T, H]: the gates [T, E] and LB_l */
    const route = (h: tf.Tensor, l: number): { g: tf.Tensor; lb: tf.Tensor } => {
      const W1 = at(tensorName(l, 'router', 'W1')), b1 = at(tensorName(l, 'router', 'b1'));
      const W2 = at(tensorName(l, 'router', 'W2')), b2 = at(tensorName(l, 'router', 'b2'));
      const inp = Dc ? tf.concat([h, tf.tile(tf.reshape(ed ? tf.tensor1d(ed) : tf.zeros([Dc]), [1, Dc]), [T, 1])], 1) : h;
      const act = tf.relu(tf.add(tf.matMul(inp as tf.Tensor2D, W1 as tf.Tensor2D, false, true), b1));
      const logits = tf.add(tf.matMul(act, W2 as tf.Tensor2D, false, true), b2);
      const p = tf.softmax(logits, -1);
      const score = cuma!.gating === 'double' ? p : logits;
      const mask = topkMask(score.dataSync() as Float32Array, T, E, cuma!.topK);
      // off S_t the score drops by 1e9: its exp is exactly 0 in f32, and so is its share of the gradient
      const off = tf.tensor2d(Float32Array.from(mask, (m) => (m ? 0 : -1e9)), [T, E]);
      const g = tf.softmax(tf.add(score, off), -1);
      const f = tf.tensor1d(Array.from({ length: E }, (_, i) => {
        let n = 0;
        for (let t = 0; t < T; t++) n += mask[t * E + i];
        return n / T;
      }));
      const lb = tf.mul(tf.sum(tf.mul(f, tf.mean(p, 0))), E);
      gatesOut.push(Float32Array.from(g.dataSync() as Float32Array).map((v, i) => (mask[i] ? v : 0)));
      selOut.push(mask);
      lbOut.push((lb.dataSync() as Float32Array)[0]);
      return { g, lb };
    };

    /** x·Wᵀ (+ b) + Δy for the HF module of target t at layer l (gates: layer l's CUMA gates) */
    const proj = (x: tf.Tensor, l: number, t: Target, withBias: boolean, gates: tf.Tensor | null): tf.Tensor => {
      const p = `model.layers.${l}.${MODULE[t]}`;
      let y = tf.matMul(x as tf.Tensor2D, w(`${p}.weight`) as tf.Tensor2D, false, true) as tf.Tensor;
      if (withBias) y = tf.add(y, w(`${p}.bias`));
      if (!adapted(t)) return y;
      const A = at(tensorName(l, t, 'A')), B = at(tensorName(l, t, 'B'));
      const K = x.shape[1]!;
      if (cuma) {
        const N = B.shape[1]!;
        const U = tf.matMul(x as tf.Tensor2D, tf.reshape(A, [EA * r, K]) as tf.Tensor2D, false, true); // [T, EA·r]
        let Y: tf.Tensor; // [T, E, N]: B_e·A_{ea(e)}·x_t
        if (EA === 1) Y = tf.reshape(tf.matMul(U, tf.reshape(B, [E * N, r]) as tf.Tensor2D, false, true), [T, E, N]);
        else Y = tf.transpose(tf.matMul(tf.transpose(tf.reshape(U, [T, E, r]), [1, 0, 2]) as tf.Tensor3D, B as tf.Tensor3D, false, true), [1, 0, 2]);
        return tf.add(y, tf.mul(tf.sum(tf.mul(Y, tf.reshape(gates!, [T, E, 1])), 1), s));
      }
      let u = tf.matMul(x as tf.Tensor2D, A as tf.Tensor2D, false, true); // [T, r]
      if (z) {
        const zt = at(`z.${l}.${t}`);
        // v = u·Zᵀ: v_q = Σ_l Z[q, l]·u_l
        u = square ? tf.matMul(u, zt as tf.Tensor2D, false, true) : tf.mul(u, zt);
      }
      return tf.add(y, tf.mul(tf.matMul(u, B as tf.Tensor2D, false, true), s));
    };
    const invFreq = tf.tensor1d(referenceInvFreq(D, c.rope_theta ?? 10000, c.rope_scaling ?? null));
    const freqs = tf.mul(tf.reshape(tf.range(0, T, 1, 'float32'), [T, 1]), tf.reshape(invFreq, [1, D / 2]));
    const emb = tf.concat([freqs, freqs], -1);
    const cos = tf.reshape(tf.cos(emb), [1, T, D]), sin = tf.reshape(tf.sin(emb), [1, T, D]);
    const rope = (x: tf.Tensor) => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin));
    const mask = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e30 : 0)), [T, T]);
    const kvIndex = tf.tensor1d(Array.from({ length: nH }, (_, h) => Math.floor(h / (nH / nKV))), 'int32');

    let x: tf.Tensor = tf.gather(w('model.embed_tokens.weight'), tf.tensor1d(ids, 'int32'));
    let lbSum: tf.Tensor = tf.scalar(0);
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}`;
      const h = rmsNorm(x, w(`${p}.input_layernorm.weight`));
      let g: tf.Tensor | null = null;
      if (cuma) {
        const rt = route(h, l);
        g = rt.g;
        lbSum = tf.add(lbSum, rt.lb);
      }
      // Qwen3: RMSNorm over each head's D numbers before RoPE
      const qkNorm = (x: tf.Tensor, which: 'q' | 'k') => (c.model_type === 'qwen3' ? rmsNorm(x, w(`${p}.self_attn.${which}_norm.weight`)) : x);
      const q = rope(qkNorm(tf.transpose(tf.reshape(proj(h, l, 'q', bias, g), [T, nH, D]), [1, 0, 2]), 'q'));
      const k = rope(qkNorm(tf.transpose(tf.reshape(proj(h, l, 'k', bias, g), [T, nKV, D]), [1, 0, 2]), 'k'));
      const v = tf.transpose(tf.reshape(proj(h, l, 'v', bias, g), [T, nKV, D]), [1, 0, 2]);
      const scores = tf.add(tf.mul(tf.matMul(q as tf.Tensor3D, tf.gather(k, kvIndex, 0) as tf.Tensor3D, false, true), 1 / Math.sqrt(D)), mask);
      const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores, -1) as tf.Tensor3D, tf.gather(v, kvIndex, 0) as tf.Tensor3D), [1, 0, 2]), [T, nH * D]);
      x = tf.add(x, proj(ctx, l, 'o', c.attention_bias === true, g));
      const h2 = rmsNorm(x, w(`${p}.post_attention_layernorm.weight`));
      const gp = proj(h2, l, 'gate', false, g);
      x = tf.add(x, proj(tf.mul(tf.mul(gp, tf.sigmoid(gp)), proj(h2, l, 'up', false, g)), l, 'down', false, g));
    }
    const head = c.tie_word_embeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
    const all = tf.matMul(rmsNorm(tf.gather(x, rows), w('model.norm.weight')) as tf.Tensor2D, head as tf.Tensor2D, false, true);
    logitsOut = Float32Array.from(tf.slice(all, [pairs.length, 0], [1, V]).dataSync() as Float32Array);
    const logits = tf.slice(all, [0, 0], [pairs.length, V]);
    const qd = tf.add(tf.mul(tf.oneHot(pairs.map(([, y]) => y), V), 1 - smoothing), smoothing / V);
    const ce = tf.mean(tf.neg(tf.sum(tf.mul(qd, tf.logSoftmax(logits)), -1)));
    ceOut = (ce.dataSync() as Float32Array)[0];
    return (cuma ? tf.add(ce, tf.mul(lbSum, lbWeight)) : ce) as tf.Scalar;
  };

  try {
    const wantGrads = opts.gradients !== false;
    const [loss, ...g] = tf.tidy(() => {
      if (!wantGrads) return [lossFn(...values).dataSync() as Float32Array];
      const { value, grads } = tf.valueAndGrads(lossFn as (...xs: tf.Tensor[]) => tf.Scalar)(values);
      return [value, ...grads].map((t) => t.dataSync() as Float32Array);
    });
    const grads = new Map<string, Float32Array>();
    let dz: Record<string, Float32Array>[] | null = null;
    if (wantGrads) {
      names.forEach((n, i) => {
        if (!n.startsWith('z.')) grads.set(n, g[i]);
      });
      if (z) {
        dz = Array.from({ length: L }, () => ({}));
        for (let l = 0; l < L; l++) for (const t of spec.targets) dz[l][t] = g[position.get(`z.${l}.${t}`)!];
      }
    }
    const lb = lbOut.reduce((x, y) => x + y, 0);
    return {
      loss: loss[0], ce: ceOut, lb, lbLayers: [...lbOut], grads, dz, logits: logitsOut,
      gates: cuma ? gatesOut : null, selected: cuma ? selOut : null,
    };
  } finally {
    tf.dispose([...values, ...raw.values()]);
  }
}
