// An independent forward pass of LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM in
// @tensorflow/tfjs (cpu backend, float32), written from the semantics of Hugging Face's modeling code,
// not from our runtime. It shares only the safetensors byte decoding with src/ (parseSafetensors,
// tensorToF32); config parsing, RoPE (incl. Llama-3 scaling), attention and MLP are all here.
//
//   const logits = await referenceLogits(dir, ids); // logits[t] = Float32Array(vocab) after ids[0..t]
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, tensorToF32 } from '../../src/model/safetensors';

interface RefConfig {
  arch: string;
  vocab: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  theta: number;
  ropeScaling: Record<string, unknown> | null;
  tie: boolean;
  attnBias: boolean;
  /** HF Llama/Qwen3: o_proj also has bias=config.attention_bias; Qwen2's o_proj never does */
  oBias: boolean;
  qkNorm: boolean;
}

function readConfig(dir: string): RefConfig {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const arch: string = c.architectures?.[0] ?? '';
  if (!['LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'].includes(arch)) throw new Error(`reference: unsupported architecture ${arch}`);
  const heads: number = c.num_attention_heads;
  return {
    arch,
    vocab: c.vocab_size,
    hidden: c.hidden_size,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads,
    kvHeads: c.num_key_value_heads ?? heads,
    // HF: getattr(config, "head_dim", None) or hidden_size // num_attention_heads
    headDim: c.head_dim ?? Math.floor(c.hidden_size / heads),
    eps: c.rms_norm_eps ?? 1e-6,
    theta: c.rope_theta ?? 10000,
    ropeScaling: c.rope_scaling ?? null,
    tie: c.tie_word_embeddings ?? false,
    // Qwen2 always has q/k/v biases; Llama and Qwen3 only with attention_bias
    attnBias: arch === 'Qwen2ForCausalLM' || c.attention_bias === true,
    oBias: arch !== 'Qwen2ForCausalLM' && c.attention_bias === true,
    qkNorm: arch === 'Qwen3ForCausalLM',
  };
}

/** All tensors of a model folder (single file or sharded with model.safetensors.index.json) as f32. */
function readWeights(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const indexPath = join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (existsSync(indexPath)) {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    files = [...new Set(Object.values(index.weight_map))];
  } else {
    files = ['model.safetensors'];
  }
  for (const file of files) {
    const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, file))), file);
    for (const [name, info] of st.tensors) {
      if (out.has(name)) throw new Error(`reference: tensor ${name} appears in two shards`);
      out.set(name, { shape: info.shape, data: tensorToF32(st, info) });
    }
  }
  return out;
}

/**
 * Inverse frequencies, HF `_compute_default_rope_parameters` and `_compute_llama3_parameters`:
 * inv_freq[i] = 1 / theta^(2i/d); with llama3 scaling, low frequencies (wavelength > old_ctx/low_ff)
 * are divided by `factor`, high ones (wavelength < old_ctx/high_ff) kept, and the band between
 * interpolated with smooth = (old_ctx/wavelen - low_ff) / (high_ff - low_ff).
 */
export function referenceInvFreq(headDim: number, theta: number, scaling: Record<string, unknown> | null): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  const type = scaling ? (scaling.rope_type ?? scaling.type) : null;
  if (!scaling || type === 'default') return inv;
  if (type !== 'llama3') throw new Error(`reference: rope_scaling ${String(type)} not implemented`);
  const factor = Number(scaling.factor);
  const lowFF = Number(scaling.low_freq_factor);
  const highFF = Number(scaling.high_freq_factor);
  const oldCtx = Number(scaling.original_max_position_embeddings);
  const lowFreqWavelen = oldCtx / lowFF;
  const highFreqWavelen = oldCtx / highFF;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    // inv_freq_llama = where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    let f = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
    const smooth = (oldCtx / wavelen - lowFF) / (highFF - lowFF);
    const smoothed = ((1 - smooth) * f) / factor + smooth * f;
    const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (isMedium) f = smoothed;
    out[i] = f;
  }
  return out;
}

let backendReady: Promise<void> | null = null;
function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return backendReady;
}

/** RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * w */
function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), w);
}

/** x [T, in] @ W^T, W stored HF-style as [out, in] */
function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, w, false, true) as tf.Tensor2D;
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}

/** HF rotate_half: cat(-x[..., d/2:], x[..., :d/2]) */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  const [x1, x2] = tf.split(x, [d / 2, d / 2], -1);
  return tf.concat([tf.neg(x2), x1], -1);
}

/**
 * Logits after every position of `ids` (full causal prefill, no cache): result[t] has vocab_size
 * entries and depends only on ids[0..t].
 */
export async function referenceLogits(modelDir: string, ids: number[]): Promise<Float32Array[]> {
  await ensureBackend();
  const cfg = readConfig(modelDir);
  const raw = readWeights(modelDir);
  const T = ids.length;
  if (!T) return [];
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= cfg.vocab) throw new Error(`reference: token id ${id} out of range`);

  // All weights become tensors before the tidy scope, so only the finally below disposes them.
  const W = new Map<string, tf.Tensor>();
  for (const [name, r] of raw) W.set(name, tf.tensor(r.data, r.shape, 'float32'));
  const get = (name: string, shape: number[]): tf.Tensor => {
    const t = W.get(name);
    if (!t) throw new Error(`reference: missing tensor ${name}`);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`reference: ${name} has shape [${t.shape}], expected [${shape}]`);
    return t;
  };
  const { hidden: H, heads: nH, kvHeads: nKV, headDim: D, intermediate: I, vocab: V, eps } = cfg;
  const nRep = nH / nKV;

  try {
    const logits = tf.tidy(() => {
      // Rotary tables: freqs[t, i] = t * inv_freq[i]; emb = cat(freqs, freqs); cos/sin [T, D]
      const invFreq = tf.tensor1d(referenceInvFreq(D, cfg.theta, cfg.ropeScaling));
      const pos = tf.range(0, T, 1, 'float32');
      const freqs = tf.mul(tf.reshape(pos, [T, 1]), tf.reshape(invFreq, [1, D / 2]));
      const emb = tf.concat([freqs, freqs], -1);
      const cos = tf.reshape(tf.cos(emb), [1, T, D]);
      const sin = tf.reshape(tf.sin(emb), [1, T, D]);
      const rope = (x: tf.Tensor) => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin)); // x [heads, T, D]

      // causal mask: 0 where key <= query, -inf (large negative) after
      const qi = tf.reshape(tf.range(0, T, 1, 'int32'), [T, 1]);
      const kj = tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]);
      const mask = tf.where(tf.lessEqual(kj, qi), tf.zeros([T, T]), tf.fill([T, T], -1e30));
      // repeat_kv: query head h reads kv head floor(h / n_rep)
      const kvIndex = tf.tensor1d(Array.from({ length: nH }, (_, h) => Math.floor(h / nRep)), 'int32');
      const scale = 1 / Math.sqrt(D);

      let x = tf.gather(get('model.embed_tokens.weight', [V, H]), tf.tensor1d(ids, 'int32')) as tf.Tensor2D; // [T, H]
      for (let l = 0; l < cfg.layers; l++) {
        const p = `model.layers.${l}`;
        const h = rmsNorm(x, get(`${p}.input_layernorm.weight`, [H]), eps) as tf.Tensor2D;
        const bias = (n: string, size: number) => (cfg.attnBias ? (get(`${p}.self_attn.${n}_proj.bias`, [size]) as tf.Tensor1D) : undefined);
        let q: tf.Tensor = linear(h, get(`${p}.self_attn.q_proj.weight`, [nH * D, H]) as tf.Tensor2D, bias('q', nH * D));
        let k: tf.Tensor = linear(h, get(`${p}.self_attn.k_proj.weight`, [nKV * D, H]) as tf.Tensor2D, bias('k', nKV * D));
        let v: tf.Tensor = linear(h, get(`${p}.self_attn.v_proj.weight`, [nKV * D, H]) as tf.Tensor2D, bias('v', nKV * D));
        q = tf.reshape(q, [T, nH, D]);
        k = tf.reshape(k, [T, nKV, D]);
        v = tf.reshape(v, [T, nKV, D]);
        if (cfg.qkNorm) {
          // Qwen3: RMSNorm over head_dim of every head, before the transpose and RoPE
          q = rmsNorm(q, get(`${p}.self_attn.q_norm.weight`, [D]), eps);
          k = rmsNorm(k, get(`${p}.self_attn.k_norm.weight`, [D]), eps);
        }
        q = rope(tf.transpose(q, [1, 0, 2])); // [nH, T, D]
        k = rope(tf.transpose(k, [1, 0, 2])); // [nKV, T, D]
        v = tf.transpose(v, [1, 0, 2]);
        const kr = tf.gather(k, kvIndex, 0) as tf.Tensor3D; // [nH, T, D]
        const vr = tf.gather(v, kvIndex, 0) as tf.Tensor3D;
        const scores = tf.add(tf.mul(tf.matMul(q as tf.Tensor3D, kr, false, true), scale), mask); // [nH, T, T]
        const probs = tf.softmax(scores, -1) as tf.Tensor3D;
        const ctx = tf.reshape(tf.transpose(tf.matMul(probs, vr), [1, 0, 2]), [T, nH * D]) as tf.Tensor2D;
        const attnOut = linear(ctx, get(`${p}.self_attn.o_proj.weight`, [H, nH * D]) as tf.Tensor2D, cfg.oBias ? (get(`${p}.self_attn.o_proj.bias`, [H]) as tf.Tensor1D) : undefined);
        x = tf.add(x, attnOut);

        const h2 = rmsNorm(x, get(`${p}.post_attention_layernorm.weight`, [H]), eps) as tf.Tensor2D;
        const gate = linear(h2, get(`${p}.mlp.gate_proj.weight`, [I, H]) as tf.Tensor2D);
        const up = linear(h2, get(`${p}.mlp.up_proj.weight`, [I, H]) as tf.Tensor2D);
        const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // silu(gate) * up
        x = tf.add(x, linear(act, get(`${p}.mlp.down_proj.weight`, [H, I]) as tf.Tensor2D));
      }
      const xf = rmsNorm(x, get('model.norm.weight', [H]), eps) as tf.Tensor2D;
      const head = cfg.tie ? get('model.embed_tokens.weight', [V, H]) : get('lm_head.weight', [V, H]);
      return linear(xf, head as tf.Tensor2D); // [T, V]
    });
    const flat = (await logits.data()) as Float32Array;
    logits.dispose();
    return Array.from({ length: T }, (_, t) => flat.slice(t * V, (t + 1) * V));
  } finally {
    for (const t of W.values()) t.dispose();
  }
}
