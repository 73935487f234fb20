// Dispatch builders for the backward pass and the optimizer (shaders/*_backward*.wgsl, attention_lse,
// cross_entropy, sq_norm, adamw): the building blocks for training adapters on a frozen backbone.
// Same conventions as src/gpu/kernels.ts: Params uniform at binding 0, the Step uniform {T, pos0} at
// binding 1 for per-token kernels, storage buffers from binding 2, a grid that depends only on T.
//
// How the forward's ops map to their backward (dX is the gradient of an op's input):
//   rmsnorm                      → rmsnormBackward (accumulates into the residual stream's gradient)
//   matmul / matmul_vec4 (frozen) → linearBackwardInput (dX += dY·W; no dW: the backbone is frozen)
//   rope (+ Qwen3 q/k norm)      → ropeBackward (in place on dqkv; the norm's from rope's saved pre-norm values)
//   kv_append                    → kvAppendBackward (cache gradient rows → k, v parts of dqkv)
//   attention                    → attentionBackward: attention_lse, then dq and dk/dv kernels
//   gate_up_silu / silu_mul      → siluGateBackward on the pre-activations [g | u], then two linear backwards
//   lm_head + loss               → crossEntropy (logits become dlogits in place; non-answer rows 0),
//                                  then linearBackwardInput per lm_head row chunk (dyOff = rowStart)
//   an adapted segment (LoRA, Zhyper diag z) → loraBackward (dA, dB, dz and its share of dX)
//   optimizer                    → sqNorm per gradient tensor, then adamw per parameter tensor
import { ATTENTION_TILED_MAX_D, LORA_MODE, MAX_EXPERTS, MAX_HEAD_DIM, MAX_ROUTER_HIDDEN, type Dispatch, type Kernels, type LoraMode, type WeightDtype } from '../gpu/kernels';
import type { ShaderName } from '../gpu/shaders';
import type { ParamsOf } from '../gpu/params';

const ceil = (a: number, b: number) => Math.ceil(a / b);
const MAX_X = 65535;
/** 1-D grids past 65535 workgroups wrap into y (the kernels fold gid.y back in). */
function grid1d(threads: number, wg: number): [number, number, number] {
  const g = ceil(threads, wg);
  return g <= MAX_X ? [Math.max(1, g), 1, 1] : [MAX_X, ceil(g, MAX_X), 1];
}

/** Workgroups (and so partial-sum slots) sq_norm uses for a tensor of n elements. */
export function sqNormSlots(n: number): number {
  return Math.max(1, Math.min(64, ceil(n, 256)));
}

export interface LinearBackwardOpts {
  /** the forward's W is [N, K]: N outputs, K inputs */
  N: number;
  K: number;
  /** dY row stride (defaults to N) and column offset: a window of a wider gradient buffer */
  ldDY?: number;
  dyOff?: number;
  accumulate?: boolean;
  /** read W and write dX as vec4 (defaults to K % 4 == 0) */
  vec4?: boolean;
  dY: GPUBuffer;
  W: GPUBuffer;
  /** the dtype W is stored in (the frozen backbone's, default f32) */
  wDtype?: WeightDtype;
  dX: GPUBuffer;
}

export interface AttentionBackwardOpts {
  headDim: number;
  nHeads: number;
  nKVHeads: number;
  /** row stride of qkv and dqkv (the fused projection's width) */
  ldQKV: number;
  /** the forward's qkv rows (q after RoPE is read from the first nHeads heads) and its K/V caches [S, nKV, D] */
  qkv: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  /** gradient of the attention output [T, nHeads, D] */
  dO: GPUBuffer;
  /** scratch [T, nHeads, 2]: (logsumexp, delta) per query row */
  stats: GPUBuffer;
  /** dq goes into the q part of dqkv (written); dK, dV are cache-shaped [S, nKV, D] (written for S = pos0 + T) */
  dqkv: GPUBuffer;
  dK: GPUBuffer;
  dV: GPUBuffer;
  /** the pos0 the dispatch is usually run with: sizes the dk/dv grid (any pos0 stays correct) */
  past?: number;
  /**
   * the tiled kernels (attention_lse_tiled, attention_backward_{dq,dkv}_tiled: blocks of tokens and cache
   * positions share each tile) or the per-row ones; default: tiled where they take the head_dim
   * (≤ 64 and a multiple of 4, as attention_tiled)
   */
  tiled?: boolean;
}

/**
 * One adapted segment y[t, dyOff + n] += s·Σ_e c_e(t)·B_e[n]·transform(A_{ea(e)}·x_t) of a projection
 * (see LoraBinding): plain LoRA (mode 0), Zhyper diag z (1) or square Z (2), CUMA's gated experts (3).
 */
export interface LoraBackwardOpts {
  /** input width, segment rows, rank */
  K: number;
  N: number;
  r: number;
  scale: number;
  /** 0 LoRA, 1 diag z, 2 square Z, 3 CUMA gates (defaults to 1 with z, else 0) */
  mode?: LoraMode;
  /** experts and distinct A's (1, 1 unless CUMA; EA = 1 with a shared A) */
  E?: number;
  EA?: number;
  /** dY row stride and this segment's first column (the segment's start in the projection's rows) */
  ldDY?: number;
  dyOff?: number;
  /** element offsets of this segment in the packed A [.., EA, r, K], B [.., E, len, r] and z/Z (and their gradients) */
  aOff?: number;
  bOff?: number;
  zOff?: number;
  /** add into dA, dB, dz (sum over chunks and micro-batches); default false */
  accumulate?: boolean;
  /** add into dX (default true: the frozen projection's dX is there already) */
  accumulateX?: boolean;
  x: GPUBuffer;
  dY: GPUBuffer;
  A: GPUBuffer;
  B: GPUBuffer;
  /** mode 1/2: z or Z (and dz gets its gradient); mode 3: the router's gates [T, E] */
  z?: GPUBuffer;
  /** scratch [T, 2·(EA + E)·r] */
  ug: GPUBuffer;
  dA: GPUBuffer;
  dB: GPUBuffer;
  dz?: GPUBuffer;
  /** mode 3: dL/dgates [T, E], added to (the layer's projections sum into it; clear it per layer) */
  dgates?: GPUBuffer;
  /** absent: the input gradient is not needed (first layer's input, or a test of the parameter gradients) */
  dX?: GPUBuffer;
}

/** Scratch numbers per token a segment's backward needs (the ug buffer is [T, this]). */
export function loraScratch(r: number, E = 1, EA = 1): number {
  return 2 * (EA + E) * r;
}

export interface RouterBackwardOpts {
  H: number;
  R: number;
  E: number;
  k: number;
  gating: 'eq4' | 'double';
  /** λ·N times the sequence's weight in the batch: the load-balancing loss's scale (0 = off) */
  lbScale: number;
  /** the load balance's form: 'dense' (Mixtral: f = count/T, P the mean softmax) or 'sparse' (CUMA's code: f = count/(T·k), P the mean final gate) */
  lbForm?: 'dense' | 'sparse';
  /** the router's input (the layer's input-RMSNorm output) and parameters, as the forward used them */
  h: GPUBuffer;
  W1h: GPUBuffer;
  c: GPUBuffer;
  W2: GPUBuffer;
  b2: GPUBuffer;
  /** the forward's gates [T, E] (their non-zeros are the top-k sets) and dL/dgates [T, E] */
  gates: GPUBuffer;
  dgates: GPUBuffer;
  /** output rows [T, routerScratch(R, E)]: ReLU activations (R), dL/dpre-activation (R), dL/dlogits (E), load-balance share (1) */
  out: GPUBuffer;
}

/** Numbers per token of router_backward's output row: [a (R) | dpre (R) | dlogits (E) | lb (1)]. */
export function routerScratch(R: number, E: number): number {
  return 2 * R + E + 1;
}

export interface AdamwOpts {
  n: number;
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** decoupled weight decay (torch.optim.AdamW's default is 0.01) */
  wd?: number;
  /** global-norm clipping over every tensor's sq_norm partials; 0 = off */
  maxNorm?: number;
  nPartials?: number;
  partials?: GPUBuffer;
  param: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
}

/** An adamw dispatch and the per-step write of its learning rate and bias corrections. */
export interface AdamwDispatch extends Dispatch {
  /** before encoding step `step` (1-based): bc = 1 − β^step in f64, and optionally a new lr */
  setStep(step: number, lr?: number): void;
}

export class TrainKernels {
  /** a 16-byte buffer bound where an optional output is absent (Kernels.empty stands for absent inputs;
   *  one buffer may not be bound both read-only and writable in one dispatch) */
  private readonly noOutput: GPUBuffer;

  constructor(readonly k: Kernels) {
    this.noOutput = k.device.createBuffer({ label: 'no-output', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  get device(): GPUDevice {
    return this.k.device;
  }

  private make<N extends ShaderName>(name: N, params: ParamsOf<N>, step: GPUBuffer | null, buffers: GPUBuffer[], grid: Dispatch['grid'], weights?: WeightDtype): Dispatch {
    return this.k.make(name, params, step, buffers, grid, weights);
  }

  /** dX[t, k] (+)= Σ_n dY[t, dyOff + n]·W[n, k] for a frozen W [N, K] */
  linearBackwardInput(step: GPUBuffer, o: LinearBackwardOpts): Dispatch {
    const vec4 = o.vec4 ?? o.K % 4 === 0;
    if (vec4 && o.K % 4) throw new Error(`linear_backward_input_vec4 needs K % 4 == 0, got K = ${o.K}`);
    const params = { K: o.K, N: o.N, ldDY: o.ldDY ?? o.N, dyOff: o.dyOff ?? 0, accumulate: !!o.accumulate };
    return vec4
      ? this.make('linear_backward_input_vec4', params, step, [o.dY, o.W, o.dX], (T) => [ceil(o.K / 4, 8), ceil(T, 32), 1], o.wDtype)
      : this.make('linear_backward_input', params, step, [o.dY, o.W, o.dX], (T) => [ceil(o.K, 32), ceil(T, 32), 1], o.wDtype);
  }

  /** dx (+)= RMSNorm's input gradient for rows x[T, dim], frozen weight w, output gradient dy */
  rmsnormBackward(step: GPUBuffer, o: { dim: number; eps: number; accumulate?: boolean; x: GPUBuffer; w: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer }): Dispatch {
    return this.make('rmsnorm_backward', { dim: o.dim, eps: o.eps, accumulate: !!o.accumulate }, step, [o.x, o.w, o.dy, o.dx], (T) => [T, 1, 1]);
  }

  /**
   * RoPE's gradient in place on the first nHeads heads (q then k) of the dqkv rows. With Qwen3's q/k norm
   * (normW, nQHeads, eps) also the norm's, from the heads' pre-norm values that rope saved (`pre`).
   */
  ropeBackward(step: GPUBuffer, o: { headDim: number; nHeads: number; ldQKV: number; cosSin: GPUBuffer; normW?: GPUBuffer; nQHeads?: number; eps?: number; pre?: GPUBuffer; dqkv: GPUBuffer }): Dispatch {
    if (o.headDim % 2) throw new Error(`RoPE needs an even head_dim, got ${o.headDim}`);
    if (o.normW) {
      if (!o.pre || o.nQHeads === undefined || o.eps === undefined) throw new Error("the q/k norm's backward needs the heads' pre-norm values (rope's pre), nQHeads and eps");
      return this.make('rope_norm_backward', { headDim: o.headDim, nHeads: o.nHeads, nQHeads: o.nQHeads, ldQKV: o.ldQKV, eps: o.eps }, step, [o.cosSin, o.normW, o.pre, o.dqkv], (T) => [o.nHeads, T, 1]);
    }
    return this.make('rope_backward', { headDim: o.headDim, nHeads: o.nHeads, ldQKV: o.ldQKV }, step, [o.cosSin, o.dqkv], (T) => [ceil((o.nHeads * o.headDim) / 2, 64), T, 1]);
  }

  /** dqkv[t, kOff + i] = dK[pos0 + t, i] and the same for v (kv_append's gradient). */
  kvAppendBackward(step: GPUBuffer, o: { kvDim: number; ldQKV: number; kOff: number; vOff: number; dK: GPUBuffer; dV: GPUBuffer; dqkv: GPUBuffer }): Dispatch {
    return this.make('kv_append_backward', { kvDim: o.kvDim, ldQKV: o.ldQKV, kOff: o.kOff, vOff: o.vOff }, step, [o.dK, o.dV, o.dqkv], (T) => [ceil(o.kvDim, 64), T, 1]);
  }

  /**
   * Causal GQA attention's gradient, three dispatches: attention_lse (per query row: logsumexp of the
   * scores and delta = dO·O), attention_backward_dq (per query row and head), attention_backward_dkv
   * (per kv head and cache position, looping over the queries that see it: no atomics). Softmax rows
   * are recomputed from q, K and the stored logsumexp; nothing of size [T, S] is kept.
   */
  attentionBackward(step: GPUBuffer, o: AttentionBackwardOpts): Dispatch[] {
    if (o.headDim > MAX_HEAD_DIM) throw new Error(`head_dim ${o.headDim} > ${MAX_HEAD_DIM} is not supported by the attention kernels`);
    if (o.nHeads % o.nKVHeads) throw new Error(`${o.nHeads} query heads are not a multiple of ${o.nKVHeads} kv heads`);
    const params = { headDim: o.headDim, nHeads: o.nHeads, nKVHeads: o.nKVHeads, ldQKV: o.ldQKV, scale: 1 / Math.sqrt(o.headDim) };
    const past = o.past ?? 0;
    const fits = o.headDim <= ATTENTION_TILED_MAX_D && o.headDim % 4 === 0;
    if (o.tiled && !fits) throw new Error(`the tiled attention kernels need head_dim ≤ ${ATTENTION_TILED_MAX_D} and a multiple of 4, got ${o.headDim}`);
    if (o.tiled ?? fits)
      return [
        this.make('attention_lse_tiled', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats], (T) => [o.nHeads, ceil(T, 8), 1]),
        this.make('attention_backward_dq_tiled', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats, o.dqkv], (T) => [o.nHeads, ceil(T, 8), 1]),
        this.make('attention_backward_dkv_tiled', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats, o.dK, o.dV], (T) => [o.nKVHeads, Math.min(MAX_X, ceil(past + T, 16)), 1]),
      ];
    return [
      this.make('attention_lse', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats], (T) => [o.nHeads, T, 1]),
      this.make('attention_backward_dq', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats, o.dqkv], (T) => [o.nHeads, T, 1]),
      this.make('attention_backward_dkv', params, step, [o.qkv, o.kCache, o.vCache, o.dO, o.stats, o.dK, o.dV], (T) => [o.nKVHeads, Math.min(MAX_X, past + T), 1]),
    ];
  }

  /** dgu = [dg | du] for out = silu(g)·u, from the pre-activations gu = [g | u] ([T, 2I]) and dOut [T, I] */
  siluGateBackward(step: GPUBuffer, o: { I: number; gu: GPUBuffer; dOut: GPUBuffer; dgu: GPUBuffer }): Dispatch {
    return this.make('silu_gate_backward', { I: o.I }, step, [o.gu, o.dOut, o.dgu], (T) => [ceil(o.I, 64), T, 1]);
  }

  /**
   * Cross-entropy with label smoothing ε on logits [rows, V] with per-row targets (packTargets: the
   * answer tokens, IGNORE elsewhere): loss[row] (0 where ignored) and loss[rows] = Σ loss / count; every
   * logits row is overwritten with its gradient, gradScale·(softmax − smoothed one-hot), 0 where ignored
   * (gradScale defaults to 1/count, the mean's gradient). The driver should compute logits only at the
   * answer rows (gather their hidden states before lm_head) so rows = count and nothing is wasted.
   */
  crossEntropy(o: { V: number; rows: number; count: number; eps?: number; gradScale?: number; targets: GPUBuffer; logits: GPUBuffer; loss: GPUBuffer }): Dispatch[] {
    if (o.rows < 1 || o.rows > MAX_X) throw new Error(`cross_entropy needs 1 to ${MAX_X} rows, got ${o.rows}`);
    if (o.count < 1 || o.count > o.rows) throw new Error(`cross_entropy needs 1 to ${o.rows} answer rows, got ${o.count}`);
    const eps = o.eps ?? 0;
    if (!(eps >= 0 && eps < 1)) throw new Error(`label smoothing must be in [0, 1), got ${eps}`);
    const params = (phase: number) => ({ V: o.V, rows: o.rows, count: o.count, phase, eps, gradScale: o.gradScale ?? 1 / o.count });
    const bufs = [o.targets, o.logits, o.loss];
    return [this.make('cross_entropy', params(0), null, bufs, () => [o.rows, 1, 1]), this.make('cross_entropy', params(1), null, bufs, () => [1, 1, 1])];
  }

  /**
   * One adapted segment's backward: lora_backward_ug (u = A·x, G = Bᵀ·dY per token), lora_backward_mix
   * (the transform's backward: w, du, and CUMA's dgates), lora_backward_params (dA, dB, dz) and
   * lora_backward_x (dX += Aᵀ·du) when dX is given.
   */
  loraBackward(step: GPUBuffer, o: LoraBackwardOpts): Dispatch[] {
    const mode: LoraMode = o.mode ?? (o.z ? LORA_MODE.zDiag : LORA_MODE.plain);
    const E = o.E ?? 1, EA = o.EA ?? 1, r = o.r;
    if (mode !== LORA_MODE.gatedExperts && (E !== 1 || EA !== 1)) throw new Error(`lora backward: only CUMA (mode 3) has experts, got E = ${E}, EA = ${EA} in mode ${mode}`);
    if (EA !== 1 && EA !== E) throw new Error(`lora backward: EA must be 1 (shared A) or E = ${E}, got ${EA}`);
    if ((mode === LORA_MODE.zDiag || mode === LORA_MODE.zSquare) && (!o.z || !o.dz)) throw new Error(`lora backward: mode ${mode} needs z and dz`);
    if (mode === LORA_MODE.plain && (o.z || o.dz)) throw new Error('lora backward: plain LoRA has no z');
    if (mode === LORA_MODE.gatedExperts && (!o.z || !o.dgates)) throw new Error('lora backward: CUMA (mode 3) needs the gates (z) and dgates');
    const [aOff, bOff, zOff] = [o.aOff ?? 0, o.bOff ?? 0, o.zOff ?? 0];
    const cond = o.z ?? this.k.empty, dz = o.dz ?? this.noOutput, dgates = o.dgates ?? this.noOutput;
    const scale = o.scale;
    const nZ = mode === LORA_MODE.zDiag ? r : mode === LORA_MODE.zSquare ? r * r : 0;
    const ops = [
      this.make('lora_backward_ug', { K: o.K, N: o.N, r, ldDY: o.ldDY ?? o.N, dyOff: o.dyOff ?? 0, aOff, bOff, E, EA }, step, [o.x, o.dY, o.A, o.B, o.ug], (T) => [ceil((EA + E) * r, 64), T, 1]),
      this.make('lora_backward_mix', { r, E, EA, mode, zOff, scale }, step, [cond, o.ug, dgates], (T) => [ceil(E * r + EA * r + (mode === LORA_MODE.gatedExperts ? E : 0), 64), T, 1]),
      this.make(
        'lora_backward_params',
        { K: o.K, N: o.N, r, ldDY: o.ldDY ?? o.N, dyOff: o.dyOff ?? 0, aOff, bOff, zOff, mode, accumulate: !!o.accumulate, scale, E, EA },
        step,
        [o.x, o.dY, o.ug, o.dA, o.dB, dz],
        () => grid1d(E * o.N * r + EA * r * o.K + nZ, 64),
      ),
    ];
    if (o.dX) ops.push(this.make('lora_backward_x', { K: o.K, r, aOff, E, EA, accumulate: o.accumulateX ?? true }, step, [o.ug, o.A, o.dX], (T) => [ceil(o.K, 64), T, 1]));
    return ops;
  }

  /**
   * CUMA's router backward for one layer (router_backward.wgsl): dlogits, activations and dpre per
   * token, then the parameter gradients dW2, db2 (from dlogits, act) and dW1h, dc (from dpre, h) by
   * weight_grad, accumulated. The input gradient Σ W1hᵀ·dpre is linearBackwardInput's (N = R, K = H).
   * The first dispatch's Params.lbScale is rewritten per batch (Kernels.setParam).
   */
  routerBackward(step: GPUBuffer, o: RouterBackwardOpts, grads: { dW1h: GPUBuffer; dc: GPUBuffer; dW2: GPUBuffer; db2: GPUBuffer; accumulate: boolean }): Dispatch[] {
    if (o.R > MAX_ROUTER_HIDDEN) throw new Error(`router hidden width ${o.R} > ${MAX_ROUTER_HIDDEN} is not supported by the router kernels`);
    if (o.E > MAX_EXPERTS) throw new Error(`${o.E} experts > ${MAX_EXPERTS} are not supported by the adapted kernels`);
    if (o.k < 1 || o.k > o.E) throw new Error(`top-k must be between 1 and ${o.E}, got ${o.k}`);
    const S = routerScratch(o.R, o.E);
    return [
      this.make('router_backward', { H: o.H, R: o.R, E: o.E, k: o.k, gating: o.gating === 'double', lbScale: o.lbScale, lbForm: o.lbForm === 'sparse' }, step, [o.h, o.W1h, o.c, o.W2, o.b2, o.gates, o.dgates, o.out], (T) => [T, 1, 1]),
      this.weightGrad(step, { N: o.E, K: o.R, ldDY: S, dyOff: 2 * o.R, ldX: S, xOff: 0, dY: o.out, X: o.out, dW: grads.dW2, db: grads.db2, accumulate: grads.accumulate }),
      this.weightGrad(step, { N: o.R, K: o.H, ldDY: S, dyOff: o.R, dY: o.out, X: o.h, dW: grads.dW1h, db: grads.dc, accumulate: grads.accumulate }),
    ];
  }

  /** dW[n, k] (+)= Σ_t dY[t, dyOff + n]·X[t, xOff + k] and db[n] (+)= Σ_t dY[t, dyOff + n] (db absent: no bias). */
  weightGrad(step: GPUBuffer, o: { N: number; K: number; ldDY?: number; dyOff?: number; ldX?: number; xOff?: number; accumulate?: boolean; dY: GPUBuffer; X: GPUBuffer; dW: GPUBuffer; db?: GPUBuffer }): Dispatch {
    return this.make('weight_grad', { N: o.N, K: o.K, ldDY: o.ldDY ?? o.N, ldX: o.ldX ?? o.K, hasBias: !!o.db, accumulate: !!o.accumulate, dyOff: o.dyOff ?? 0, xOff: o.xOff ?? 0 }, step, [o.dY, o.X, o.dW, o.db ?? this.noOutput], () => grid1d(o.N * o.K + (o.db ? o.N : 0), 64));
  }

  /** partials[outIndex .. outIndex + sqNormSlots(n)) = partial sums of x² */
  sqNorm(o: { n: number; outIndex: number; x: GPUBuffer; partials: GPUBuffer }): Dispatch {
    return this.make('sq_norm', { n: o.n, outIndex: o.outIndex }, null, [o.x, o.partials], () => [sqNormSlots(o.n), 1, 1]);
  }

  /**
   * AdamW on one tensor; call setStep(t) before each step (t = 1, 2, …). With clipping, encode the
   * sqNorm of every gradient tensor before the first adamw (they share the partials buffer).
   */
  adamw(o: AdamwOpts): AdamwDispatch {
    const beta1 = o.beta1 ?? 0.9, beta2 = o.beta2 ?? 0.999;
    const maxNorm = o.maxNorm ?? 0;
    if (maxNorm > 0 && (!o.partials || !o.nPartials)) throw new Error('adamw: clipping (maxNorm > 0) needs the sq_norm partials and their count');
    const d = this.make(
      'adamw',
      { n: o.n, nPartials: maxNorm > 0 ? o.nPartials! : 0, maxNorm, lr: o.lr, beta1, beta2, eps: o.eps ?? 1e-8, wd: o.wd ?? 0.01, bc1: 1 - beta1, bc2: 1 - beta2 },
      null,
      [o.param, o.grad, o.m, o.v, o.partials ?? this.k.empty],
      () => grid1d(o.n, 256),
    );
    const k = this.k;
    return {
      ...d,
      setStep(step: number, lr?: number) {
        if (!(step >= 1)) throw new Error(`adamw steps count from 1, got ${step}`);
        if (lr != null) k.setParam(d, 'lr', lr);
        k.setParam(d, 'bc1', 1 - beta1 ** step);
        k.setParam(d, 'bc2', 1 - beta2 ** step);
      },
    };
  }
}


/** cross_entropy's target of a row that is not an answer token (PyTorch's ignore_index) */
export const IGNORE = 0xffffffff;

/**
 * cross_entropy's per-row targets from (row, target) pairs of answer tokens, checked: targets inside
 * the vocabulary, rows inside the logits buffer, each row listed once. Unlisted rows get IGNORE.
 */
export function packTargets(pairs: [row: number, target: number][], rows: number, V: number): { targets: Uint32Array; count: number } {
  const targets = new Uint32Array(rows).fill(IGNORE);
  for (const [row, target] of pairs) {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw new Error(`cross_entropy row ${row} outside the ${rows} logits rows`);
    if (!Number.isInteger(target) || target < 0 || target >= V) throw new Error(`cross_entropy target ${target} outside the vocabulary of ${V}`);
    if (targets[row] !== IGNORE) throw new Error(`cross_entropy row ${row} listed twice`);
    targets[row] = target;
  }
  if (pairs.length === 0) throw new Error('cross_entropy needs at least one answer token');
  return { targets, count: pairs.length };
}
