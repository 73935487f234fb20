// The benchmark's peer: the same Llama/Qwen forward (KV-cached prefill and decode) in tfjs, run on its
// webgpu backend on the same adapter as our kernels, written as a competent tfjs user would (issue 16): q|k|v
// and gate|up each one matMul, the RMSNorm weights folded into the projections after them, a fixed-shape KV
// cache (no recompiles), and greedy decoding that reads back one id (forwardArgmax). From src/model only config
// parsing and safetensors decoding.
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
    const raw = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, info] of st.tensors) raw.set(name, { shape: info.shape, data: tensorToF32(st, info) });
    const get = (n: string) => raw.get(n)!;
    /** W [out, in] as [in, out], each input row scaled by the norm weight g before it (folded: RMSNorm(x)·g·Wᵀ = RMSNorm(x)·(diag(g)·Wᵀ)) */
    const projT = (names: string[], g?: Float32Array) => {
      const parts = names.map(get);
      const K = parts[0].shape[1], N = parts.reduce((a, p) => a + p.shape[0], 0);
      const out = new Float32Array(K * N);
      let n0 = 0;
      for (const p of parts) {
        const rows = p.shape[0];
        for (let n = 0; n < rows; n++) for (let k = 0; k < K; k++) out[k * N + n0 + n] = p.data[n * K + k] * (g ? g[k] : 1);
        n0 += rows;
      }
      return tf.tensor2d(out, [K, N]);
    };
    const c = this.c;
    this.w.set('embed', tf.tensor2d(get('model.embed_tokens.weight').data, get('model.embed_tokens.weight').shape as [number, number]));
    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`, a = p + 'self_attn.';
      this.w.set(p + 'qkv', projT([a + 'q_proj.weight', a + 'k_proj.weight', a + 'v_proj.weight'], get(p + 'input_layernorm.weight').data));
      if (c.attentionBias) this.w.set(p + 'qkv.bias', tf.tensor1d(Float32Array.from([...get(a + 'q_proj.bias').data, ...get(a + 'k_proj.bias').data, ...get(a + 'v_proj.bias').data])));
      if (c.qkNorm) {
        this.w.set(p + 'q_norm', tf.tensor1d(get(a + 'q_norm.weight').data));
        this.w.set(p + 'k_norm', tf.tensor1d(get(a + 'k_norm.weight').data));
      }
      this.w.set(p + 'o', projT([a + 'o_proj.weight']));
      if (c.oProjBias) this.w.set(p + 'o.bias', tf.tensor1d(get(a + 'o_proj.bias').data));
      this.w.set(p + 'gate_up', projT([p + 'mlp.gate_proj.weight', p + 'mlp.up_proj.weight'], get(p + 'post_attention_layernorm.weight').data));
      this.w.set(p + 'down', projT([p + 'mlp.down_proj.weight']));
    }
    this.w.set('lm_head', projT([c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'], get('model.norm.weight').data));
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

  /** RMSNorm without its weight (folded into the next projection), or with it (Qwen3's per-head q/k norms) */
  private rms(x: TF.Tensor, w?: TF.Tensor): TF.Tensor {
    const tf = this.tf;
    const n = tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.c.rmsNormEps)));
    return w ? tf.mul(n, w) : n;
  }

  private rope(x: TF.Tensor, cos: TF.Tensor, sin: TF.Tensor): TF.Tensor {
    const tf = this.tf;
    const h = this.c.headDim / 2;
    const [x1, x2] = tf.split(x, [h, h], -1);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
  }

  /** logits at the last position; appends to the cache */
  async forward(ids: number[]): Promise<Float32Array> {
    const out = this.logits(ids);
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  /** greedy decoding: the argmax on the GPU, one id read back */
  async forwardArgmax(ids: number[]): Promise<number> {
    const logits = this.logits(ids);
    const id = this.tf.argMax(logits, -1);
    logits.dispose();
    const [v] = await id.data();
    id.dispose();
    return v;
  }

  private logits(ids: number[]): TF.Tensor {
    const tf = this.tf;
    const c = this.c;
    const T = ids.length, D = c.headDim, nH = c.numHeads, nKV = c.numKVHeads;
    const out = tf.tidy(() => {
      const W = (n: string) => this.w.get(n)!;
      let x = tf.gather(W('embed'), tf.tensor1d(ids, 'int32'));
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
        const qkvAll = tf.matMul(this.rms(x), W(p + 'qkv'));
        const [q0, k0, v0] = tf.split(c.attentionBias ? tf.add(qkvAll, W(p + 'qkv.bias')) : qkvAll, [nH * D, nKV * D, nKV * D], -1);
        let q = q0.reshape([T, nH, D]);
        let k = k0.reshape([T, nKV, D]);
        const v = v0.reshape([T, nKV, D]);
        if (c.qkNorm) {
          q = this.rms(q, W(p + 'q_norm'));
          k = this.rms(k, W(p + 'k_norm'));
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
        const o = tf.matMul(att, W(p + 'o'));
        x = tf.add(x, c.oProjBias ? tf.add(o, W(p + 'o.bias')) : o);
        const [g, u] = tf.split(tf.matMul(this.rms(x), W(p + 'gate_up')), 2, -1);
        x = tf.add(x, tf.matMul(tf.mul(tf.mul(g, tf.sigmoid(g)), u), W(p + 'down')));
      }
      const last = tf.slice(x, [T - 1, 0], [1, c.hiddenSize]);
      return tf.matMul(this.rms(last), W('lm_head'));
    });
    this.pos += T;
    return out;
  }
}
