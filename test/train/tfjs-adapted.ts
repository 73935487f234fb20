// The loss of a whole adapted model and its gradients by tfjs autodiff: the independent forward of
// test/reference/tfjs-forward.ts (Hugging Face semantics, cpu backend, f32), with every adapted projection
// y = x·Wᵀ (+ b) + s·((x·Aᵀ) ⊙ z)·Bᵀ (z = 1 for plain LoRA), and the label-smoothed cross-entropy of
// the answer rows (mean over them). tf.grads differentiates it w.r.t. every A, B and z at once.
// Shares only the safetensors decoding and the RoPE frequencies with the rest of the tests; nothing from
// src/train. Llama and Qwen2 (no Qwen3 q/k norm: training refuses it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, tensorToF32 } from '../../src/model/safetensors';
import { referenceInvFreq } from '../reference/tfjs-forward';
import { loraScale, tensorName, type Adapter, type Target } from '../../src/adapters/types';

export interface AdaptedReference {
  loss: number;
  /** dL/dA, dL/dB by adapter tensor name */
  grads: Map<string, Float32Array>;
  /** dL/dz[layer][target] (when z was given) */
  dz: Record<string, Float32Array>[] | null;
}

const MODULE: Record<Target, string> = {
  q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
};

/**
 * loss = mean over pairs (row, target) of CE_ε(logits[row], target) for the model in `dir` with adapter
 * `a` (its A, B; z[layer][target] for Zhyper diag, null for plain LoRA) on token ids `ids`.
 */
export async function referenceAdaptedGrads(dir: string, ids: number[], pairs: [number, number][], a: Adapter, z: Record<string, Float32Array>[] | null, smoothing: number): Promise<AdaptedReference> {
  await tf.setBackend('cpu');
  await tf.ready();
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const arch: string = c.architectures[0];
  if (!['LlamaForCausalLM', 'Qwen2ForCausalLM'].includes(arch)) throw new Error(`reference: ${arch} is not covered`);
  const H: number = c.hidden_size, nH: number = c.num_attention_heads, nKV: number = c.num_key_value_heads ?? nH;
  const D: number = c.head_dim ?? H / nH, V: number = c.vocab_size, L: number = c.num_hidden_layers;
  const eps: number = c.rms_norm_eps, bias = arch === 'Qwen2ForCausalLM' || c.attention_bias === true;
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const raw = new Map<string, tf.Tensor>();
  for (const [name, info] of st.tensors) raw.set(name, tf.tensor(tensorToF32(st, info), info.shape, 'float32'));
  const w = (name: string) => {
    const t = raw.get(name);
    if (!t) throw new Error(`reference: missing ${name}`);
    return t;
  };
  const s = loraScale(a.spec), r = a.spec.r, T = ids.length;
  const adapted = (l: number, t: Target) => a.spec.targets.includes(t);

  // the differentiated inputs, in a fixed order: A, B of every (layer, target), then z
  const keys: { l: number; t: Target }[] = [];
  for (let l = 0; l < L; l++) for (const t of a.spec.targets) keys.push({ l, t });
  const inputs: tf.Tensor[] = [
    ...keys.flatMap(({ l, t }) => [tensorName(l, t, 'A'), tensorName(l, t, 'B')].map((n) => tf.tensor(a.tensors.get(n)!.data, a.tensors.get(n)!.shape))),
    ...(z ? keys.map(({ l, t }) => tf.tensor1d(z[l][t])) : []),
  ];
  const index = new Map(keys.map((k, i) => [`${k.l}.${k.t}`, i]));

  const rmsNorm = (x: tf.Tensor, g: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g);
  const rotateHalf = (x: tf.Tensor) => {
    const [x1, x2] = tf.split(x, 2, -1);
    return tf.concat([tf.neg(x2), x1], -1);
  };
  const lossFn = (...xs: tf.Tensor[]): tf.Scalar => {
    /** x·Wᵀ (+ b) (+ s·((x·Aᵀ) ⊙ z)·Bᵀ) for the HF module of target t at layer l */
    const proj = (x: tf.Tensor, l: number, t: Target, withBias = false): tf.Tensor => {
      const p = `model.layers.${l}.${MODULE[t]}`;
      let y = tf.matMul(x as tf.Tensor2D, w(`${p}.weight`) as tf.Tensor2D, false, true) as tf.Tensor;
      if (withBias) y = tf.add(y, w(`${p}.bias`));
      if (!adapted(l, t)) return y;
      const i = index.get(`${l}.${t}`)!;
      const A = tf.reshape(xs[2 * i], [r, -1]), B = tf.reshape(xs[2 * i + 1], [-1, r]);
      let u = tf.matMul(x as tf.Tensor2D, A as tf.Tensor2D, false, true);
      if (z) u = tf.mul(u, xs[2 * keys.length + i]);
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
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}`;
      const h = rmsNorm(x, w(`${p}.input_layernorm.weight`));
      const q = rope(tf.transpose(tf.reshape(proj(h, l, 'q', bias), [T, nH, D]), [1, 0, 2]));
      const k = rope(tf.transpose(tf.reshape(proj(h, l, 'k', bias), [T, nKV, D]), [1, 0, 2]));
      const v = tf.transpose(tf.reshape(proj(h, l, 'v', bias), [T, nKV, D]), [1, 0, 2]);
      const scores = tf.add(tf.mul(tf.matMul(q as tf.Tensor3D, tf.gather(k, kvIndex, 0) as tf.Tensor3D, false, true), 1 / Math.sqrt(D)), mask);
      const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores, -1) as tf.Tensor3D, tf.gather(v, kvIndex, 0) as tf.Tensor3D), [1, 0, 2]), [T, nH * D]);
      x = tf.add(x, proj(ctx, l, 'o', c.attention_bias === true));
      const h2 = rmsNorm(x, w(`${p}.post_attention_layernorm.weight`));
      const g = proj(h2, l, 'gate');
      x = tf.add(x, proj(tf.mul(tf.mul(g, tf.sigmoid(g)), proj(h2, l, 'up')), l, 'down'));
    }
    const head = c.tie_word_embeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
    const logits = tf.matMul(rmsNorm(tf.gather(x, pairs.map(([row]) => row)), w('model.norm.weight')) as tf.Tensor2D, head as tf.Tensor2D, false, true);
    const q = tf.add(tf.mul(tf.oneHot(pairs.map(([, y]) => y), V), 1 - smoothing), smoothing / V);
    return tf.mean(tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  };

  try {
    const [loss, ...g] = tf.tidy(() => [lossFn(...inputs), ...tf.grads(lossFn as (...a: tf.Tensor[]) => tf.Tensor)(inputs)].map((t) => t.dataSync() as Float32Array));
    const grads = new Map<string, Float32Array>();
    keys.forEach(({ l, t }, i) => {
      grads.set(tensorName(l, t, 'A'), g[2 * i]);
      grads.set(tensorName(l, t, 'B'), g[2 * i + 1]);
    });
    let dz: Record<string, Float32Array>[] | null = null;
    if (z) {
      dz = Array.from({ length: L }, () => ({}));
      keys.forEach(({ l, t }, i) => (dz![l][t] = g[2 * keys.length + i]));
    }
    return { loss: loss[0], grads, dz };
  } finally {
    tf.dispose([...inputs, ...raw.values()]);
  }
}
