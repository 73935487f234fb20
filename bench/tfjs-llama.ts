// The benchmark's peer: the same Llama/Qwen forward (KV-cached prefill and decode) in tfjs, run on its
// webgpu backend on the same adapter as our kernels. Written with plain tfjs ops; from src/model only
// config parsing and safetensors decoding.
import type * as TF from '@tensorflow/tfjs';
import { parseSafetensors, tensorToF32 } from '../src/model/safetensors';
import { parseConfig, ropeInvFreq, type ModelConfig } from '../src/model/config';

export class TfjsLlama {
  private w = new Map<string, TF.Tensor>();
  private cache: { k: TF.Tensor | null; v: TF.Tensor | null }[] = [];
  pos = 0;
  readonly c: ModelConfig;
  private invFreq: TF.Tensor;

  /**
   * The KV cache has a fixed length (maxS) and is updated by a one-hot blend, so every decode step has
   * the same tensor shapes: tfjs compiles shape-specialized shaders, and a growing cache would make it
   * recompile at every token. That keeps the peer fair.
   */
  constructor(private tf: typeof TF, configText: string, safetensors: Uint8Array, readonly maxS = 64) {
    this.c = parseConfig(configText);
    const st = parseSafetensors(safetensors);
    for (const [name, info] of st.tensors) {
      // weights pre-transposed to [in, out] so each projection is one plain matMul
      const t = tf.tensor(tensorToF32(st, info), info.shape);
      this.w.set(name, info.shape.length === 2 && !name.includes('embed') ? tf.transpose(t) : t);
      if (info.shape.length === 2 && !name.includes('embed')) t.dispose();
    }
    if (this.c.tieWordEmbeddings) this.w.set('lm_head.weight', tf.transpose(this.w.get('model.embed_tokens.weight')!));
    this.invFreq = tf.tensor(ropeInvFreq(this.c));
    this.reset();
  }

  dispose() {
    this.reset();
    for (const t of this.w.values()) t.dispose();
    this.w.clear();
    this.invFreq.dispose();
  }

  reset() {
    for (const l of this.cache) {
      l.k?.dispose();
      l.v?.dispose();
    }
    this.cache = Array.from({ length: this.c.numLayers }, () => ({ k: null, v: null }));
    this.pos = 0;
  }

  private rms(x: TF.Tensor, w: TF.Tensor): TF.Tensor {
    const tf = this.tf;
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.c.rmsNormEps))), w);
  }

  private rope(x: TF.Tensor, cos: TF.Tensor, sin: TF.Tensor): TF.Tensor {
    const tf = this.tf;
    const h = this.c.headDim / 2;
    const [x1, x2] = tf.split(x, [h, h], -1);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
  }

  /** logits at the last position; appends to the cache */
  async forward(ids: number[]): Promise<Float32Array> {
    const tf = this.tf;
    const c = this.c;
    const T = ids.length, D = c.headDim, nH = c.numHeads, nKV = c.numKVHeads;
    const out = tf.tidy(() => {
      const W = (n: string) => this.w.get(n)!;
      let x = tf.gather(W('model.embed_tokens.weight'), tf.tensor1d(ids, 'int32'));
      const pos = tf.add(tf.range(0, T), this.pos);
      const ang = tf.outerProduct(pos as TF.Tensor1D, this.invFreq as TF.Tensor1D);
      const cos = tf.concat([tf.cos(ang), tf.cos(ang)], -1).reshape([T, 1, D]);
      const sin = tf.concat([tf.sin(ang), tf.sin(ang)], -1).reshape([T, 1, D]);
      const S = this.maxS;
      if (this.pos + T > S) throw new Error(`tfjs peer: context ${this.pos + T} > ${S}`);
      const mask = tf.tensor2d(Array.from({ length: T * S }, (_, i) => (i % S <= this.pos + Math.floor(i / S) ? 0 : -1e9)), [T, S]);
      // one-hot rows selecting this step's cache slots: cache = cache·(1 − M) + Mᵀ·new
      const sel = tf.tensor2d(Array.from({ length: S * T }, (_, i) => (Math.floor(i / T) === this.pos + (i % T) ? 1 : 0)), [S, T]);
      const keepRows = tf.sub(1, tf.sum(sel, 1)).reshape([S, 1, 1]);
      for (let l = 0; l < c.numLayers; l++) {
        const p = `model.layers.${l}.`;
        const h = this.rms(x, W(p + 'input_layernorm.weight'));
        const lin = (n: string) => {
          const y = tf.matMul(h, W(p + `self_attn.${n}_proj.weight`));
          return c.attentionBias ? tf.add(y, W(p + `self_attn.${n}_proj.bias`)) : y;
        };
        let q = lin('q').reshape([T, nH, D]);
        let k = lin('k').reshape([T, nKV, D]);
        const v = lin('v').reshape([T, nKV, D]);
        if (c.qkNorm) {
          q = this.rms(q, W(p + 'self_attn.q_norm.weight'));
          k = this.rms(k, W(p + 'self_attn.k_norm.weight'));
        }
        q = this.rope(q, cos, sin);
        k = this.rope(k, cos, sin);
        const cache = this.cache[l];
        const put = (old: TF.Tensor | null, x: TF.Tensor) => {
          const placed = tf.matMul(sel, x.reshape([T, nKV * D])).reshape([S, nKV, D]);
          return old ? tf.add(tf.mul(old, keepRows), placed) : placed;
        };
        const K = put(cache.k, k);
        const V = put(cache.v, v);
        cache.k?.dispose();
        cache.v?.dispose();
        cache.k = tf.keep(K);
        cache.v = tf.keep(V);
        const rep = nH / nKV;
        const Kh = tf.transpose(rep > 1 ? tf.reshape(tf.tile(tf.expandDims(K, 2), [1, 1, rep, 1]), [S, nH, D]) : K, [1, 2, 0]); // [nH, D, S]
        const Vh = tf.transpose(rep > 1 ? tf.reshape(tf.tile(tf.expandDims(V, 2), [1, 1, rep, 1]), [S, nH, D]) : V, [1, 0, 2]); // [nH, S, D]
        const scores = tf.add(tf.mul(tf.matMul(tf.transpose(q, [1, 0, 2]), Kh), 1 / Math.sqrt(D)), mask);
        const att = tf.transpose(tf.matMul(tf.softmax(scores), Vh), [1, 0, 2]).reshape([T, nH * D]);
        const o = tf.matMul(att, W(p + 'self_attn.o_proj.weight'));
        x = tf.add(x, c.oProjBias ? tf.add(o, W(p + 'self_attn.o_proj.bias')) : o);
        const h2 = this.rms(x, W(p + 'post_attention_layernorm.weight'));
        const g = tf.matMul(h2, W(p + 'mlp.gate_proj.weight'));
        const u = tf.matMul(h2, W(p + 'mlp.up_proj.weight'));
        x = tf.add(x, tf.matMul(tf.mul(tf.mul(g, tf.sigmoid(g)), u), W(p + 'mlp.down_proj.weight')));
      }
      const last = tf.slice(x, [T - 1, 0], [1, c.hiddenSize]);
      return tf.matMul(this.rms(last, W('model.norm.weight')), W('lm_head.weight'));
    });
    this.pos += T;
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }
}
