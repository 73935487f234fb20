// The training benchmark's peer: one LoRA optimizer step on a frozen Llama/Qwen2 in tfjs, run on its
// webgpu backend on the same adapter as our trainer (src/train/step.ts), with the same semantics:
//   every adapted projection  y = x·Wᵀ (+ b) + s·(x·Aᵀ)·Bᵀ   (A [r, K], B [N, r] as tf.variables)
//   loss = mean over the batch's answer tokens of CE_ε(logits after ids[0..t], target)
//   gradients of A, B by tfjs autodiff (tf.variableGrads), then AdamW as torch.optim.AdamW (decoupled
//   weight decay) after global-norm clipping (clip_grad_norm_), written with tf ops so that, like ours,
//   the update runs on the GPU with no readback but the loss.
// Frozen weights are plain tf tensors, pre-transposed to [in, out] as in bench/tfjs-llama.ts. From
// src/ only config parsing, safetensors decoding and the adapter's tensor names.
//
// Batching: 'padded' right-pads the batch to its longest sequence and runs it as one [B, T] forward
// (tfjs's natural batching: few, large ops; causal attention keeps real tokens from seeing the padding);
// 'per-sequence' runs each sequence at its own length and sums. The bench times both.
import type * as TF from '@tensorflow/tfjs';
import { parseSafetensors, tensorToF32 } from '../src/model/safetensors';
import { parseConfig, ropeInvFreq, type ModelConfig } from '../src/model/config';
import { loraScale, tensorName, type Adapter, type Target } from '../src/adapters/types';
import type { TrainExample } from '../src/train/step';

/** the same sequences our trainer takes (the condition is unused: the bench trains plain LoRA) */
export type TfjsTrainExample = Pick<TrainExample, 'ids' | 'answerPositions' | 'targets'>;

export interface TfjsTrainOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  labelSmoothing?: number;
  batching?: 'padded' | 'per-sequence';
}

const MODULE: Record<Target, string> = {
  q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
};

/** One forward group (the whole padded batch, or one sequence): its constant inputs on the GPU. */
type Group = {
  B: number;
  T: number;
  ids: TF.Tensor; // [B·T] int32
  rows: TF.Tensor; // [n] int32: b·T + t of each answer
  targets: TF.Tensor; // [n, V] (label-smoothed one-hot)
  mask: TF.Tensor; // [T, T] causal, additive
  cos: TF.Tensor; // [T, D]
  sin: TF.Tensor;
};

let instances = 0;

export class TfjsLoraTrainer {
  readonly c: ModelConfig;
  stepCount = 0;
  private w = new Map<string, TF.Tensor>();
  private vars = new Map<string, TF.Variable>();
  private m = new Map<string, TF.Variable>();
  private v = new Map<string, TF.Variable>();
  private readonly s: number;
  private readonly targets: Set<Target>;
  private invFreq: TF.Tensor;
  private prepared = new WeakMap<TfjsTrainExample[], { groups: Group[]; tokens: number }>();
  private allGroups: Group[] = [];
  /** tf variable names are global: each instance's are prefixed with its own id */
  private readonly prefix = `tfjs-train${instances++}.`;

  constructor(
    private tf: typeof TF,
    configText: string,
    safetensors: Uint8Array,
    adapter: Adapter,
    private o: TfjsTrainOptions,
  ) {
    this.c = parseConfig(configText);
    if (this.c.qkNorm) throw new Error('tfjs training peer: Qwen3 q/k norm is not covered (our trainer refuses it too)');
    if (adapter.spec.method !== 'lora') throw new Error(`tfjs training peer: plain LoRA only, got ${adapter.spec.method}`);
    const st = parseSafetensors(safetensors);
    for (const [name, info] of st.tensors) {
      const t = tf.tensor(tensorToF32(st, info), info.shape);
      const transpose = info.shape.length === 2 && !name.includes('embed');
      this.w.set(name, transpose ? tf.transpose(t) : t);
      if (transpose) t.dispose();
    }
    if (this.c.tieWordEmbeddings) this.w.set('lm_head.weight', tf.transpose(this.w.get('model.embed_tokens.weight')!));
    this.invFreq = tf.tensor1d(ropeInvFreq(this.c));
    this.s = loraScale(adapter.spec);
    this.targets = new Set(adapter.spec.targets);
    for (const [name, t] of adapter.tensors) {
      if (!/^layers\.\d+\.\w+\.[AB]$/.test(name)) continue;
      // tidy frees the initial values; the variables keep their own reference to the data
      tf.tidy(() => {
        this.vars.set(name, tf.variable(tf.tensor(t.data, t.shape), true, this.prefix + name));
        this.m.set(name, tf.variable(tf.zeros(t.shape), false));
        this.v.set(name, tf.variable(tf.zeros(t.shape), false));
      });
    }
  }

  dispose(): void {
    for (const g of this.allGroups) this.tf.dispose([g.ids, g.rows, g.targets, g.mask, g.cos, g.sin]);
    this.allGroups = [];
    this.prepared = new WeakMap();
    this.tf.dispose([...this.w.values(), ...this.vars.values(), ...this.m.values(), ...this.v.values(), this.invFreq]);
    this.w.clear();
    this.vars.clear();
    this.m.clear();
    this.v.clear();
  }

  /** The current A, B by adapter tensor name (for checks). */
  async parameters(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.vars) out.set(name, (await t.data()) as Float32Array);
    return out;
  }

  private prepare(batch: TfjsTrainExample[]): { groups: Group[]; tokens: number } {
    const hit = this.prepared.get(batch);
    if (hit) return hit;
    const tf = this.tf, V = this.c.vocabSize, D = this.c.headDim, eps = this.o.labelSmoothing ?? 0;
    const sets = this.o.batching === 'per-sequence' ? batch.map((ex) => [ex]) : [batch];
    const groups = sets.map((exs): Group => {
      const B = exs.length, T = Math.max(...exs.map((e) => e.ids.length));
      const ids = new Int32Array(B * T); // padding: token 0, never scored, never attended to by real tokens
      const rows: number[] = [], tg: number[] = [];
      exs.forEach((e, b) => {
        ids.set(e.ids, b * T);
        e.answerPositions.forEach((t, j) => {
          rows.push(b * T + t);
          tg.push(e.targets[j]);
        });
      });
      return tf.tidy((): Group => {
        const ang = tf.outerProduct(tf.range(0, T) as TF.Tensor1D, this.invFreq as TF.Tensor1D);
        const emb = tf.concat([ang, ang], -1);
        return {
          B, T,
          ids: tf.tensor1d(ids, 'int32'),
          rows: tf.tensor1d(rows, 'int32'),
          targets: tf.add(tf.mul(tf.oneHot(tf.tensor1d(tg, 'int32'), V), 1 - eps), eps / V),
          mask: tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]),
          cos: tf.cos(emb).reshape([T, D]),
          sin: tf.sin(emb).reshape([T, D]),
        };
      });
    });
    this.allGroups.push(...groups);
    const p = { groups, tokens: batch.reduce((a, e) => a + e.answerPositions.length, 0) };
    this.prepared.set(batch, p);
    return p;
  }

  private rms(x: TF.Tensor, w: TF.Tensor): TF.Tensor {
    const tf = this.tf;
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.c.rmsNormEps))), w);
  }

  /** x·Wᵀ (+ b) (+ s·(x·Aᵀ)·Bᵀ) for target t of layer l; x is [rows, K] */
  private proj(x: TF.Tensor, l: number, t: Target, bias: boolean): TF.Tensor {
    const tf = this.tf;
    const p = `model.layers.${l}.${MODULE[t]}`;
    let y = tf.matMul(x as TF.Tensor2D, this.w.get(`${p}.weight`) as TF.Tensor2D);
    if (bias) y = tf.add(y, this.w.get(`${p}.bias`)!);
    if (!this.targets.has(t)) return y;
    const A = this.vars.get(tensorName(l, t, 'A'))!, B = this.vars.get(tensorName(l, t, 'B'))!;
    const u = tf.matMul(x as TF.Tensor2D, A as TF.Tensor2D, false, true);
    return tf.add(y, tf.mul(tf.matMul(u, B as TF.Tensor2D, false, true), this.s));
  }

  /** Σ over the group's answer rows of CE_ε (a scalar) */
  private groupLoss(g: Group): TF.Scalar {
    const tf = this.tf, c = this.c;
    const { B, T } = g;
    const D = c.headDim, nH = c.numHeads, nKV = c.numKVHeads, H = c.hiddenSize, rep = nH / nKV;
    const half = D / 2;
    const cos = g.cos.reshape([1, 1, T, D]), sin = g.sin.reshape([1, 1, T, D]);
    /** [B·T, n·D] → [B, n, T, D] with RoPE */
    const heads = (y: TF.Tensor, n: number, rope: boolean) => {
      const x = tf.transpose(y.reshape([B, T, n, D]), [0, 2, 1, 3]);
      if (!rope) return x;
      const [x1, x2] = tf.split(x, [half, half], -1);
      return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
    };
    /** [B, nKV, T, D] → [B·nH, T, D] (GQA: each kv head serves rep query heads; rank-3 tile: tfjs-webgpu runs rank ≥ 5 tiles on the CPU) */
    const expand = (x: TF.Tensor) => (rep > 1 ? tf.tile(x.reshape([B * nKV, 1, T * D]), [1, rep, 1]) : x).reshape([B * nH, T, D]);
    const W = (n: string) => this.w.get(n)!;
    let x = tf.gather(W('model.embed_tokens.weight'), g.ids); // [B·T, H]
    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`;
      const h = this.rms(x, W(p + 'input_layernorm.weight'));
      const q = heads(this.proj(h, l, 'q', c.attentionBias), nH, true).reshape([B * nH, T, D]);
      const k = expand(heads(this.proj(h, l, 'k', c.attentionBias), nKV, true));
      const v = expand(heads(this.proj(h, l, 'v', c.attentionBias), nKV, false));
      const scores = tf.add(tf.mul(tf.matMul(q as TF.Tensor3D, k as TF.Tensor3D, false, true), 1 / Math.sqrt(D)), g.mask);
      const ctx = tf.matMul(tf.softmax(scores) as TF.Tensor3D, v as TF.Tensor3D); // [B·nH, T, D]
      const att = tf.transpose(ctx.reshape([B, nH, T, D]), [0, 2, 1, 3]).reshape([B * T, nH * D]);
      x = tf.add(x, this.proj(att, l, 'o', c.oProjBias));
      const h2 = this.rms(x, W(p + 'post_attention_layernorm.weight'));
      const gt = this.proj(h2, l, 'gate', false);
      x = tf.add(x, this.proj(tf.mul(tf.mul(gt, tf.sigmoid(gt)), this.proj(h2, l, 'up', false)), l, 'down', false));
    }
    const xa = tf.gather(x.reshape([B * T, H]), g.rows);
    const logits = tf.matMul(this.rms(xa, W('model.norm.weight')) as TF.Tensor2D, W('lm_head.weight') as TF.Tensor2D);
    return tf.neg(tf.sum(tf.mul(g.targets, tf.logSoftmax(logits)))) as TF.Scalar;
  }

  /** Σ of tensors, pairwise: tf.addN's shader binds every input at once, past the 8 storage buffers WebGPU guarantees */
  private sum(xs: TF.Tensor[]): TF.Tensor {
    let s = xs[0];
    for (const x of xs.slice(1)) s = this.tf.add(s, x);
    return s;
  }

  private lossOf(p: { groups: Group[]; tokens: number }): TF.Scalar {
    const tf = this.tf;
    const sums = p.groups.map((g) => this.groupLoss(g));
    return tf.div(this.sum(sums), p.tokens) as TF.Scalar;
  }

  /** Mean loss over the batch's answer tokens (forward only). */
  async loss(batch: TfjsTrainExample[]): Promise<number> {
    const p = this.prepare(batch);
    const l = this.tf.tidy(() => this.lossOf(p));
    const v = (await l.data())[0];
    l.dispose();
    return v;
  }

  /** One optimizer step; returns the loss before the update (read back: the step's only sync). */
  async step(batch: TfjsTrainExample[]): Promise<{ loss: number; tokens: number }> {
    const tf = this.tf;
    const p = this.prepare(batch);
    const t = ++this.stepCount;
    const b1 = this.o.beta1 ?? 0.9, b2 = this.o.beta2 ?? 0.999, eps = this.o.eps ?? 1e-8, wd = this.o.weightDecay ?? 0.01;
    const maxNorm = this.o.maxGradNorm ?? 1, lr = this.o.lr;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.lossOf(p), [...this.vars.values()]);
      const names = [...this.vars.keys()];
      const gs = names.map((n) => grads[this.prefix + n]);
      // clip_grad_norm_ over all tensors: min(1, maxNorm / (‖g‖ + 1e-6)), on the GPU
      const clip = maxNorm > 0 ? tf.minimum(1, tf.div(maxNorm, tf.add(tf.sqrt(this.sum(gs.map((g) => tf.sum(tf.square(g))))), 1e-6))) : tf.scalar(1);
      names.forEach((n, i) => {
        const g = tf.mul(gs[i], clip);
        const P = this.vars.get(n)!, M = this.m.get(n)!, Vv = this.v.get(n)!;
        const m = tf.add(tf.mul(M, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(Vv, b2), tf.mul(tf.square(g), 1 - b2));
        M.assign(m);
        Vv.assign(v);
        const upd = tf.add(tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps)), tf.mul(P, wd));
        P.assign(tf.sub(P, tf.mul(upd, lr)));
      });
      return value;
    });
    const v = (await loss.data())[0];
    loss.dispose();
    return { loss: v, tokens: p.tokens };
  }
}
