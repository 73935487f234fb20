// Pipelines and typed dispatch builders for the kernels in shaders/.
// A Dispatch is built once (pipeline + bind group) and encoded every forward; its grid depends only on
// the number of tokens T of that forward, which the kernels also read from the shared Step uniform.
import { readsWeights, withWeights, type ShaderLibrary, type ShaderName, type WeightFormat } from './shaders';
import { uniform } from './buffers';
import type { KernelVariants } from './variants';
import { LIMITS, packParams, paramBytes, type ParamField, type ParamsOf } from './params';

export interface Dispatch {
  label: string;
  /** the kernel, whose Params (params.ts) the params buffer holds */
  kernel: ShaderName;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: (T: number) => [number, number, number];
  /** its Params uniform, for the few fields that change after build (an adapter's scale) */
  params: GPUBuffer;
}

const ceil = (a: number, b: number) => Math.ceil(a / b);
/** attention_tiled.wgsl's workgroup tiles hold head_dim ≤ 64 (16 KiB of workgroup memory, the portable limit), read as vec4 */
export const ATTENTION_TILED_MAX_D = 4 * LIMITS.attention_tiled.MAXD4;
/** head_dim, router width and experts the kernels hold (the adapted kernels' E ≤ 16 is the tighter one for CUMA) */
export const MAX_HEAD_DIM = LIMITS.attention.MAXD;
export const MAX_ROUTER_HIDDEN = LIMITS.router.MAXR;
export const MAX_EXPERTS = LIMITS.lora_matvec_vec4.MAXE;
const MAX_X = 65535;
/** 1-D grids past 65535 workgroups wrap into y (the kernels fold gid.y back in). */
function grid1d(threads: number, wg = 64): [number, number, number] {
  const g = ceil(threads, wg);
  return g <= MAX_X ? [Math.max(1, g), 1, 1] : [MAX_X, ceil(g, MAX_X), 1];
}

export class Kernels {
  private pipelines = new Map<string, GPUComputePipeline>();
  /** a 16-byte zero buffer bound where a kernel's optional input (bias, norm weight) is absent */
  readonly empty: GPUBuffer;
  /** a 16-byte buffer bound where an optional output is absent (a buffer cannot be bound read-only and writable in one dispatch) */
  readonly noOutput: GPUBuffer;
  /** bound where rope appends no KV (writable bindings may not alias, so each absent output has its own) */
  private readonly noK: GPUBuffer;
  private readonly noV: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
    /** the variants this device runs (variants.ts); the plain per-row GEMV unless told */
    public variants: KernelVariants = { gemv: 'vec4', fused: 'vec4', adapterPath: 'split', f16: 'unpack', sampling: 'cpu', topP: 'cpu', reason: 'default' },
  ) {
    this.empty = device.createBuffer({ label: 'empty', size: 16, usage: GPUBufferUsage.STORAGE });
    this.noOutput = device.createBuffer({ label: 'no-output', size: 16, usage: GPUBufferUsage.STORAGE });
    this.noK = device.createBuffer({ label: 'no-k-cache', size: 16, usage: GPUBufferUsage.STORAGE });
    this.noV = device.createBuffer({ label: 'no-v-cache', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /** The pipeline of a kernel; one that reads weights (a `// #weights` binding) in the given format. */
  pipeline(name: ShaderName, format: WeightFormat = 'f32'): GPUComputePipeline {
    const key = `${name}:${format}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const text = this.shaders[name];
      if (format !== 'f32' && !readsWeights(text)) throw new Error(`${name}.wgsl reads no weight matrix, so it has no ${format} form`);
      const module = this.device.createShaderModule({ label: `${name} (${format} weights)`, code: withWeights(text, format) });
      // a subgroup kernel's workgroup is one subgroup: its size is the adapter's smallest (override SG)
      const constants = /^override SG\b/m.test(text) ? { SG: this.subgroupSize() } : undefined;
      p = this.device.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint: 'main', constants } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * The smallest subgroup size this device's adapter may run (GPUAdapterInfo.subgroupMinSize), which the subgroup
   * kernels take as their workgroup size so that a workgroup never spans two subgroups; refused by name where the
   * device has no `subgroups` feature or does not say its sizes.
   */
  subgroupSize(): number {
    const min = (this.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo?.subgroupMinSize;
    if (!this.device.features.has('subgroups')) throw new Error('this GPU device has no subgroups feature, so the subgroup kernels cannot run on it');
    if (!min || min < 1 || min > 128) throw new Error(`this GPU device has subgroups but reports no usable smallest subgroup size (${min}), so the subgroup kernels cannot run on it`);
    return min;
  }

  /**
   * The WeightFormat that weights stored as `dtype` are read in on this device: f16 through shader-f16 where the
   * variant table says so and the device has the feature enabled, else unpacked from u32 pairs.
   */
  weightFormat(dtype: WeightDtype | undefined): WeightFormat {
    if (dtype === 'q8' || dtype === 'q4') return dtype;
    if (dtype !== 'f16') return 'f32';
    return this.variants.f16 === 'native' && this.device.features.has('shader-f16') ? 'f16-native' : 'f16';
  }

  /**
   * A dispatch of any kernel: Params (by name, params.ts) at binding 0, the Step uniform at 1 (if given), buffers
   * from 2 (TrainKernels builds on it too); `weights` is the dtype the kernel's weight bindings hold.
   */
  make<N extends ShaderName>(name: N, params: ParamsOf<N>, step: GPUBuffer | null, buffers: GPUBuffer[], grid: Dispatch['grid'], weights?: WeightDtype): Dispatch {
    const pipeline = this.pipeline(name, this.weightFormat(weights));
    const paramsBuf = uniform(this.device, packParams(name, params), name);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: paramsBuf } }];
    if (step) entries.push({ binding: 1, resource: { buffer: step } });
    buffers.forEach((buffer, i) => entries.push({ binding: 2 + i, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ label: name, layout: pipeline.getBindGroupLayout(0), entries });
    return { label: name, kernel: name, pipeline, bindGroup, grid, params: paramsBuf };
  }

  /** Rewrite one Params field of a built dispatch (an adapter's scale, the learning rate), by name. */
  setParam(d: Dispatch, field: string, value: number): void {
    const { offset, data } = paramBytes(d.kernel, field as ParamField<typeof d.kernel>, value);
    this.device.queue.writeBuffer(d.params, offset, data);
  }

  /** out[t,:] = table[ids[t] - rowStart, :] for ids inside [rowStart, rowStart + rowCount) */
  embedding(step: GPUBuffer, o: { H: number; rowStart: number; rowCount: number; ids: GPUBuffer; table: GPUBuffer; out: GPUBuffer; wDtype?: WeightDtype }): Dispatch {
    return this.make('embedding', { H: o.H, rowStart: o.rowStart, rowCount: o.rowCount }, step, [o.ids, o.table, o.out], (T) => [ceil(o.H, 64), T, 1], o.wDtype);
  }

  /** y[r] = rmsnorm(x[r]) * w for r < T; with lastRowOnly, y[0] = rmsnorm(x[T-1]) * w */
  rmsnorm(step: GPUBuffer, o: { dim: number; eps: number; lastRowOnly?: boolean; x: GPUBuffer; w: GPUBuffer; y: GPUBuffer }): Dispatch {
    const last = o.lastRowOnly ?? false;
    return this.make('rmsnorm', { dim: o.dim, eps: o.eps, lastRowOnly: last }, step, [o.x, o.w, o.y], (T) => [last ? 1 : T, 1, 1]);
  }

  /** Y[t, nOff+n] (+)= X[t]·W[n] (+ b[n]); prefill, any T */
  matmul(step: GPUBuffer, o: LinearOpts): Dispatch {
    return this.make('matmul', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1], o.wDtype);
  }

  /** y[nOff+n] (+)= W[n]·x (+ b[n]); decode, T = 1 */
  matvec(o: LinearOpts): Dispatch {
    return this.make('matvec', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N), o.wDtype);
  }

  /** matmul reading X and W as vec4 along K (needs K % 4 == 0) */
  matmulVec4(step: GPUBuffer, o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matmul_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matmul_vec4', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1], o.wDtype);
  }

  /** matvec reading W and x as vec4 (needs K % 4 == 0) */
  matvecVec4(o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matvec_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matvec_vec4', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N), o.wDtype);
  }

  /** y[nOff+n] (+)= W[n]·x (+ b[n]); decode, T = 1: one subgroup per 4 rows, lanes striding along K, subgroupAdd (needs `subgroups`) */
  matvecSubgroup(o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matvec_subgroup needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matvec_subgroup', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(Math.ceil(o.N / 4), 1), o.wDtype);
  }

  /** y[nOff+n] (+)= W[n]·x (+ b[n]); decode, T = 1: a workgroup per 4 rows, threads striding along K (coalesced reads) */
  matvecCoalesced(o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matvec_coalesced needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matvec_coalesced', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(Math.ceil(o.N / 4), 1), o.wDtype);
  }

  /** matmul on a transposed weight Wt = Wᵀ [K, N] (the layout the model uploads) */
  matmulT(step: GPUBuffer, o: LinearOpts): Dispatch {
    return this.make('matmul_t', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1]);
  }

  /** matvec on a transposed weight Wt = Wᵀ [K, N] */
  matvecT(o: LinearOpts): Dispatch {
    return this.make('matvec_t', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N));
  }

  /**
   * RoPE in place on qkv's first nHeads heads (q heads, then k heads; Qwen3: after the q/k norm normW); pre, if given,
   * gets the values before the norm (training); with kv (inference), the rotated k and the v heads are appended to
   * the KV cache in the same dispatch (no kv_append).
   */
  rope(step: GPUBuffer, o: { headDim: number; nHeads: number; nQHeads: number; ldQKV: number; eps: number; cosSin: GPUBuffer; normW?: GPUBuffer; pre?: GPUBuffer; qkv: GPUBuffer; kv?: { kCache: GPUBuffer; vCache: GPUBuffer } }): Dispatch {
    return this.make(
      'rope',
      { headDim: o.headDim, nHeads: o.nHeads, nQHeads: o.nQHeads, ldQKV: o.ldQKV, qkNorm: !!o.normW, eps: o.eps, savePre: !!o.pre, appendKV: !!o.kv },
      step,
      [o.cosSin, o.normW ?? this.empty, o.qkv, o.pre ?? this.noOutput, o.kv?.kCache ?? this.noK, o.kv?.vCache ?? this.noV],
      (T) => [o.nHeads, T, 1],
    );
  }

  kvAppend(step: GPUBuffer, o: { kvDim: number; ldQKV: number; kOff: number; vOff: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer }): Dispatch {
    return this.make('kv_append', { kvDim: o.kvDim, ldQKV: o.ldQKV, kOff: o.kOff, vOff: o.vOff }, step, [o.qkv, o.kCache, o.vCache], (T) => [ceil(o.kvDim, 64), T, 1]);
  }

  attention(step: GPUBuffer, o: { headDim: number; nHeads: number; nKVHeads: number; ldQKV: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (o.headDim > MAX_HEAD_DIM) throw new Error(`head_dim ${o.headDim} > ${MAX_HEAD_DIM} is not supported by the attention kernel`);
    return this.make(
      'attention',
      { headDim: o.headDim, nHeads: o.nHeads, nKVHeads: o.nKVHeads, ldQKV: o.ldQKV, scale: 1 / Math.sqrt(o.headDim) },
      step,
      [o.qkv, o.kCache, o.vCache, o.out],
      (T) => [o.nHeads, T, 1],
    );
  }

  /**
   * Attention for T tokens at once (prefill, training): attention_tiled.wgsl, one workgroup per head and
   * block of 16 tokens sharing each key/value tile, where head_dim ≤ 64 and a multiple of 4;
   * attention.wgsl otherwise.
   */
  attentionPrefill(step: GPUBuffer, o: { headDim: number; nHeads: number; nKVHeads: number; ldQKV: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (o.headDim > ATTENTION_TILED_MAX_D || o.headDim % 4) return this.attention(step, o);
    return this.make(
      'attention_tiled',
      { headDim: o.headDim, nHeads: o.nHeads, nKVHeads: o.nKVHeads, ldQKV: o.ldQKV, scale: 1 / Math.sqrt(o.headDim) },
      step,
      [o.qkv, o.kCache, o.vCache, o.out],
      (T) => [o.nHeads, ceil(T, 16), 1],
    );
  }

  gateUpSilu(step: GPUBuffer, o: GateUpOpts): Dispatch {
    return this.make('gate_up_silu', { I: o.I, K: o.K }, step, [o.x, o.Wg, o.Wu, o.out], (T) => [ceil(o.I, 64), ceil(T, 4), 1], o.wDtype);
  }

  gateUpSiluVec4(step: GPUBuffer, o: GateUpOpts): Dispatch {
    if (o.K % 4) throw new Error(`gate_up_silu_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('gate_up_silu_vec4', { I: o.I, K: o.K }, step, [o.x, o.Wg, o.Wu, o.out], (T) => [ceil(o.I, 64), ceil(T, 4), 1], o.wDtype);
  }

  /**
   * Decode, one token: RMSNorm(x)·normW, the q|k|v projection (+ bias), RoPE, and the KV append, in one dispatch
   * (no adapter on qkv, no per-head q/k norm). q [qDim] gets the rotated q heads; this token's rotated k and its v
   * go to the caches at pos0. `form`: one thread per pair of rows, or a workgroup per two pairs (the device's GEMV
   * variant unless told).
   */
  rmsnormQkvRope(step: GPUBuffer, o: NormQkvOpts): Dispatch {
    if (o.H % 4) throw new Error(`rmsnorm_qkv_rope needs H % 4 == 0, got H = ${o.H}`);
    if (o.headDim % 2) throw new Error(`rmsnorm_qkv_rope needs an even head_dim, got ${o.headDim}`);
    const pairs = ((o.nQHeads + 2 * o.nKVHeads) * o.headDim) / 2;
    const form = o.form ?? this.variants.fused;
    const groups = ceil(pairs, { vec4: 64, coalesced: 2, subgroup: 2 }[form]);
    if (groups > MAX_X) throw new Error(`rmsnorm_qkv_rope: ${pairs} pairs of rows need more than ${MAX_X} workgroups`);
    return this.make(
      ({ vec4: 'rmsnorm_qkv_rope', coalesced: 'rmsnorm_qkv_rope_coalesced', subgroup: 'rmsnorm_qkv_rope_subgroup' } as const)[form],
      { H: o.H, headDim: o.headDim, nQHeads: o.nQHeads, nKVHeads: o.nKVHeads, eps: o.eps, hasBias: !!o.bias },
      step,
      [o.x, o.normW, o.W, o.bias ?? this.empty, o.cosSin, o.q, o.kCache, o.vCache],
      () => [groups, 1, 1],
      o.wDtype,
    );
  }

  /**
   * Decode, one token: act = SiLU(Wg·h) ⊙ (Wu·h) with h = RMSNorm(x)·normW, in one dispatch (no adapter on gate or
   * up). With parts (attention_o's [nParts, K]), x is x + Σ parts and r gets Σ parts, for the down projection to add.
   */
  rmsnormGateUpSilu(o: { I: number; K: number; eps: number; x: GPUBuffer; normW: GPUBuffer; Wg: GPUBuffer; Wu: GPUBuffer; act: GPUBuffer; parts?: { n: number; part: GPUBuffer; r: GPUBuffer }; wDtype?: WeightDtype; form?: KernelVariants['gemv'] }): Dispatch {
    if (o.K % 4) throw new Error(`rmsnorm_gate_up_silu needs K % 4 == 0, got K = ${o.K}`);
    const form = o.form ?? this.variants.fused;
    const groups = ceil(o.I, { vec4: 64, coalesced: 2, subgroup: 8 }[form]);
    if (groups > MAX_X) throw new Error(`rmsnorm_gate_up_silu: I = ${o.I} needs more than ${MAX_X} workgroups`);
    return this.make(
      ({ vec4: 'rmsnorm_gate_up_silu', coalesced: 'rmsnorm_gate_up_silu_coalesced', subgroup: 'rmsnorm_gate_up_silu_subgroup' } as const)[form],
      { I: o.I, K: o.K, eps: o.eps, nParts: o.parts?.n ?? 0 },
      null,
      [o.x, o.normW, o.Wg, o.Wu, o.act, o.parts?.part ?? this.empty, o.parts?.r ?? this.noOutput],
      () => [groups, 1, 1],
      o.wDtype,
    );
  }

  /**
   * Decode, one token: each query head's attention and its share of the output projection, a workgroup per head:
   * part[h, :] = Wo[:, h·D : (h+1)·D]·attention_h (+ bo, head 0). rmsnormGateUpSilu's parts sum them into x.
   */
  attentionO(step: GPUBuffer, o: { H: number; headDim: number; nHeads: number; nKVHeads: number; ldQKV: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; Wo: GPUBuffer; bo?: GPUBuffer | null; part: GPUBuffer; wDtype?: WeightDtype }): Dispatch {
    if (o.headDim > LIMITS.attention_o.MAXD || o.headDim % 4) throw new Error(`attention_o needs head_dim a multiple of 4 and ≤ ${LIMITS.attention_o.MAXD}, got ${o.headDim}`);
    return this.make(
      'attention_o',
      { headDim: o.headDim, nHeads: o.nHeads, nKVHeads: o.nKVHeads, ldQKV: o.ldQKV, scale: 1 / Math.sqrt(o.headDim), H: o.H, hasBias: !!o.bo },
      step,
      [o.qkv, o.kCache, o.vCache, o.Wo, o.bo ?? this.empty, o.part],
      () => [o.nHeads, 1, 1],
      o.wDtype,
    );
  }

  /** out[0] = argmax of x[0..n) (lowest index among equal maxima): greedy decoding reads back 4 bytes */
  argmax(o: { n: number; x: GPUBuffer; out: GPUBuffer }): Dispatch {
    return this.make('argmax', { n: o.n }, null, [o.x, o.out], () => [1, 1, 1]);
  }

  /** out[2j], out[2j+1] = index and logit bits of the j-th largest of x[0..n), j < k, in the CPU sampler's order */
  /**
   * Top-p's candidates on the GPU (nucleus.wgsl): out[0] = their count (0xffffffff: more than cap), out[1..3] = the
   * largest logit, Z and the threshold τ as f32 bits, then (index, logit bits) pairs; temperature and topP are
   * rewritten per call with setParam ('invT', 'topP').
   */
  nucleus(o: { n: number; cap: number; invT: number; topP: number; x: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (!(o.cap >= 1 && o.n >= 1)) throw new Error(`nucleus needs n ≥ 1 and cap ≥ 1, got n = ${o.n}, cap = ${o.cap}`);
    return this.make('nucleus', { n: o.n, cap: o.cap, invT: o.invT, topP: o.topP }, null, [o.x, o.out], () => [1, 1, 1]);
  }

  /**
   * out[0] = a token drawn from topk's k candidates (draw.wgsl): the CPU sampler's draw in f32 with this step's uniform
   * u, for the next step to read on the GPU; invT, topP and u are rewritten per step with setParam.
   */
  draw(o: { k: number; invT: number; topP: number; u: number; pairs: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (!(o.k >= 1 && o.k <= 256)) throw new Error(`draw takes 1 ≤ k ≤ 256 candidates, got k = ${o.k}`);
    return this.make('draw', { k: o.k, invT: o.invT, topP: o.topP, u: o.u }, null, [o.pairs, o.out], () => [1, 1, 1]);
  }

  topk(o: { n: number; k: number; x: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (!(o.k >= 1 && o.k <= o.n)) throw new Error(`topk needs 1 ≤ k ≤ n, got k = ${o.k}, n = ${o.n}`);
    return this.make('topk', { n: o.n, k: o.k }, null, [o.x, o.out], () => [1, 1, 1]);
  }

  add(o: { n: number; x: GPUBuffer; y: GPUBuffer }): Dispatch {
    return this.make('add', { n: o.n }, null, [o.x, o.y], () => grid1d(o.n));
  }

  /**
   * Fused adapted decode projection (lora_matvec_vec4.wgsl): y = W·x (+ b) + s·B·transform(A·x).
   * With base false it writes only the adapter's term (the unadapted rows get 0).
   */
  loraMatvecVec4(step: GPUBuffer, o: AdaptedLinearOpts): Dispatch {
    checkFused(o);
    return this.make('lora_matvec_vec4', adaptedParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y, o.lora.A, o.lora.B, o.lora.cond], () => grid1d(o.N), o.wDtype);
  }

  /**
   * Decode projection with the adapter's up-projection fused in (lora_matvec_up_vec4.wgsl), reading
   * U = A·x from a lora_down dispatch just before: two dispatches, no barriers in the big one.
   */
  loraMatvecUpVec4(step: GPUBuffer, o: AdaptedLinearOpts & { U: GPUBuffer }): Dispatch {
    if (o.K % 4) throw new Error(`lora_matvec_up_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('lora_matvec_up_vec4', adaptedParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y, o.U, o.lora.B, o.lora.cond], () => grid1d(o.N), o.wDtype);
  }

  /** lora_matvec_up_vec4 on subgroups: one subgroup per 4 rows for W·x, lanes 0..3 add their rows' adapter terms (needs `subgroups`) */
  loraMatvecUpSubgroup(step: GPUBuffer, o: AdaptedLinearOpts & { U: GPUBuffer }): Dispatch {
    if (o.K % 4) throw new Error(`lora_matvec_up_subgroup needs K % 4 == 0, got K = ${o.K}`);
    return this.make('lora_matvec_up_subgroup', adaptedParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y, o.U, o.lora.B, o.lora.cond], () => grid1d(Math.ceil(o.N / 4), 1), o.wDtype);
  }

  /** Fused adapted prefill projection (lora_matmul_vec4.wgsl), 32 rows × 16 tokens per workgroup. */
  loraMatmulVec4(step: GPUBuffer, o: AdaptedLinearOpts): Dispatch {
    checkFused(o);
    return this.make('lora_matmul_vec4', adaptedParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y, o.lora.A, o.lora.B, o.lora.cond], (T) => [ceil(o.N, 32), ceil(T, 16), 1], o.wDtype);
  }

  /** Unfused step 1: U[t] = A·x[t] (U is [T, nSeg·EA·r]). */
  loraDown(step: GPUBuffer, o: { K: number; lora: LoraBinding; x: GPUBuffer; U: GPUBuffer }): Dispatch {
    const R = loraRows(o.lora);
    return this.make('lora_down', adaptedParams({ N: 0, K: o.K, x: o.x, W: o.x, y: o.U, lora: o.lora }), step, [o.x, o.lora.A, o.lora.cond, o.U], (T) => [ceil(R, 64), T, 1]);
  }

  /** Unfused step 2: y[t, nOff+n] += s·B·transform(U[t]) on the adapted rows. */
  loraUp(step: GPUBuffer, o: { N: number; ldY?: number; nOff?: number; lora: LoraBinding; U: GPUBuffer; y: GPUBuffer }): Dispatch {
    return this.make('lora_up', adaptedParams({ N: o.N, K: 0, ldY: o.ldY, nOff: o.nOff, x: o.U, W: o.U, y: o.y, lora: o.lora }), step, [o.U, o.lora.B, o.lora.cond, o.y], (T) => [ceil(o.N, 64), T, 1]);
  }

  /** CUMA router: gates[pos0+t, :] = topk-gating(W2·ReLU(W1h·h[t] + c) + b2). */
  router(step: GPUBuffer, o: { H: number; R: number; E: number; k: number; gating: 'eq4' | 'double'; h: GPUBuffer; W1h: GPUBuffer; c: GPUBuffer; W2: GPUBuffer; b2: GPUBuffer; gates: GPUBuffer }): Dispatch {
    if (o.R > MAX_ROUTER_HIDDEN) throw new Error(`router hidden width ${o.R} > ${MAX_ROUTER_HIDDEN} is not supported by the router kernel`);
    if (o.E > MAX_EXPERTS) throw new Error(`${o.E} experts > ${MAX_EXPERTS} are not supported by the adapted kernels`);
    if (o.k < 1 || o.k > o.E) throw new Error(`top-k must be between 1 and ${o.E}, got ${o.k}`);
    return this.make('router', { H: o.H, R: o.R, E: o.E, k: o.k, gating: o.gating === 'double' }, step, [o.h, o.W1h, o.c, o.W2, o.b2, o.gates], (T) => [T, 1, 1]);
  }

  /** A layer's input RMSNorm and CUMA's router in one dispatch (rmsnorm_router.wgsl): y = h, and the gates. */
  rmsnormRouter(step: GPUBuffer, o: { dim: number; eps: number; x: GPUBuffer; w: GPUBuffer; y: GPUBuffer; R: number; E: number; k: number; gating: 'eq4' | 'double'; W1h: GPUBuffer; c: GPUBuffer; W2: GPUBuffer; b2: GPUBuffer; gates: GPUBuffer }): Dispatch {
    if (o.R > MAX_ROUTER_HIDDEN) throw new Error(`router hidden width ${o.R} > ${MAX_ROUTER_HIDDEN} is not supported by the router kernel`);
    if (o.E > MAX_EXPERTS) throw new Error(`${o.E} experts > ${MAX_EXPERTS} are not supported by the adapted kernels`);
    if (o.k < 1 || o.k > o.E) throw new Error(`top-k must be between 1 and ${o.E}, got ${o.k}`);
    return this.make('rmsnorm_router', { dim: o.dim, eps: o.eps, R: o.R, E: o.E, k: o.k, gating: o.gating === 'double' }, step, [o.x, o.w, o.y, o.W1h, o.c, o.W2, o.b2, o.gates], (T) => [T, 1, 1]);
  }

  /**
   * Decode, one token, where the device has subgroups: rmsnormRouter's work in two dispatches spread over the
   * device instead of one workgroup: h = RMSNorm(x)·w and a = ReLU(c + W1h·h) (router_hidden_subgroup, a subgroup
   * per 4 rows of W1h), then gates[pos0, :] = topk-gating(W2·a + b2) (router_gates).
   */
  rmsnormRouterDecode(step: GPUBuffer, o: { dim: number; eps: number; x: GPUBuffer; w: GPUBuffer; y: GPUBuffer; R: number; E: number; k: number; gating: 'eq4' | 'double'; W1h: GPUBuffer; c: GPUBuffer; W2: GPUBuffer; b2: GPUBuffer; gates: GPUBuffer; a: GPUBuffer }): Dispatch[] {
    if (o.dim % 4) throw new Error(`router_hidden_subgroup needs H % 4 == 0, got H = ${o.dim}`);
    if (o.E > LIMITS.router_gates.MAXE) throw new Error(`${o.E} experts > ${LIMITS.router_gates.MAXE} are not supported by router_gates`);
    if (o.k < 1 || o.k > o.E) throw new Error(`top-k must be between 1 and ${o.E}, got ${o.k}`);
    return [
      this.make('router_hidden_subgroup', { H: o.dim, R: o.R, eps: o.eps }, null, [o.x, o.w, o.W1h, o.c, o.y, o.a], () => [ceil(o.R, 4), 1, 1]),
      this.make('router_gates', { R: o.R, E: o.E, k: o.k, gating: o.gating === 'double' }, step, [o.a, o.W2, o.b2, o.gates], () => [1, 1, 1]),
    ];
  }

  /** out[t, i] = silu(gu[t, i]) · gu[t, I + i] */
  siluMul(step: GPUBuffer, o: { I: number; gu: GPUBuffer; out: GPUBuffer }): Dispatch {
    return this.make('silu_mul', { I: o.I }, step, [o.gu, o.out], (T) => [ceil(o.I, 64), T, 1]);
  }

  /** Encode dispatches in order into one compute pass (WebGPU orders storage writes between dispatches). */
  encode(enc: GPUCommandEncoder, ops: Dispatch[], T: number): void {
    const pass = enc.beginComputePass();
    for (const op of ops) {
      pass.setPipeline(op.pipeline);
      pass.setBindGroup(0, op.bindGroup);
      const [x, y, z] = op.grid(T);
      pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
  }

  run(ops: Dispatch[], T: number): void {
    const enc = this.device.createCommandEncoder();
    this.encode(enc, ops, T);
    this.device.queue.submit([enc.finish()]);
  }
}

/**
 * How a weight matrix is stored: f32, f16 (2 bytes a weight; read as the device allows, weightFormat), or
 * group-wise 8- or 4-bit integers with a scale per 32 weights (1.125 and 0.625 bytes; src/model/quant.ts).
 */
export type WeightDtype = 'f32' | 'f16' | 'q8' | 'q4';

/** rmsnorm_qkv_rope's inputs: the layer's x and input norm, its q|k|v weights, and where q, k and v go */
export interface NormQkvOpts {
  H: number;
  headDim: number;
  nQHeads: number;
  nKVHeads: number;
  eps: number;
  x: GPUBuffer;
  normW: GPUBuffer;
  W: GPUBuffer;
  bias?: GPUBuffer | null;
  cosSin: GPUBuffer;
  q: GPUBuffer;
  kCache: GPUBuffer;
  vCache: GPUBuffer;
  wDtype?: WeightDtype;
  form?: KernelVariants['gemv'];
}

export interface GateUpOpts {
  I: number;
  K: number;
  x: GPUBuffer;
  Wg: GPUBuffer;
  Wu: GPUBuffer;
  out: GPUBuffer;
  wDtype?: WeightDtype;
}

export interface LinearOpts {
  N: number;
  K: number;
  /** the dtype W is stored in (default f32) */
  wDtype?: WeightDtype;
  /** output row stride (defaults to N) and column offset, for writing one chunk of a split matrix */
  ldY?: number;
  nOff?: number;
  accumulate?: boolean;
  x: GPUBuffer;
  W: GPUBuffer;
  bias?: GPUBuffer;
  y: GPUBuffer;
}

function linearParams(o: LinearOpts): ParamsOf<'matmul'> {
  return { N: o.N, K: o.K, ldY: o.ldY ?? o.N, nOff: o.nOff ?? 0, hasBias: !!o.bias, accumulate: !!o.accumulate };
}

/** The Step uniform every per-token kernel reads: {T, pos0}. */
export function stepBuffer(device: GPUDevice): GPUBuffer {
  return device.createBuffer({ label: 'step', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

export function writeStep(device: GPUDevice, step: GPUBuffer, T: number, pos0: number): void {
  device.queue.writeBuffer(step, 0, new Uint32Array([T, pos0, 0, 0]));
}

/**
 * An adapter on one projection, as the adapted kernels see it. The projection's output rows are split
 * into up to 3 adapted segments (q, k, v of the fused qkv matrix; or the whole projection).
 *   mode 0 plain LoRA, 1 Zhyper diag z, 2 Zhyper square Z, 3 CUMA experts (cond = gates [position, E])
 * A: [nSeg, EA, r, K];  B: per segment [E, len, r], packed;  cond: z [nSeg, r] | Z [nSeg, r, r] | gates.
 */
/** How an adapted projection transforms A·x before B (the shaders' Params.mode): plain LoRA, Zhyper's diag z or
 *  square Z, or CUMA's gated experts. */
export const LORA_MODE = { plain: 0, zDiag: 1, zSquare: 2, gatedExperts: 3 } as const;
export type LoraMode = (typeof LORA_MODE)[keyof typeof LORA_MODE];

export interface LoraBinding {
  mode: LoraMode;
  r: number;
  /** experts (1 unless mode 3) and how many distinct A's they have (1 = shared A) */
  E: number;
  EA: number;
  segs: { start: number; len: number }[];
  scale: number;
  A: GPUBuffer;
  B: GPUBuffer;
  cond: GPUBuffer;
}

export interface AdaptedLinearOpts extends LinearOpts {
  lora: LoraBinding;
  /** false: write only the adapter's term (W is then not read) */
  base?: boolean;
}

export const FUSED_LIMITS = { maxRows: LIMITS.lora_matmul_vec4.MAXU, maxExperts: LIMITS.lora_matmul_vec4.MAXE, maxSquareRows: LIMITS.lora_matmul_vec4.MAXV };

export function loraRows(l: LoraBinding): number {
  return l.segs.length * l.EA * l.r;
}

/** Whether the fused kernels' workgroup memory holds this adapter (else the unfused pair runs). */
export function fusedFits(l: LoraBinding, K: number): boolean {
  return K % 4 === 0 && loraRows(l) <= FUSED_LIMITS.maxRows && l.E <= FUSED_LIMITS.maxExperts && (l.mode !== LORA_MODE.zSquare || l.segs.length * l.r <= FUSED_LIMITS.maxSquareRows);
}

function checkFused(o: AdaptedLinearOpts): void {
  if (!fusedFits(o.lora, o.K)) throw new Error(`the fused adapter kernels need K % 4 == 0, nSeg·EA·r <= ${FUSED_LIMITS.maxRows}, E <= ${FUSED_LIMITS.maxExperts} (K = ${o.K}, rows = ${loraRows(o.lora)}, E = ${o.lora.E})`);
}

function adaptedParams(o: AdaptedLinearOpts): ParamsOf<'lora_matvec_vec4'> {
  const l = o.lora;
  if (l.segs.length < 1 || l.segs.length > 3) throw new Error(`an adapted projection has 1 to 3 segments, got ${l.segs.length}`);
  const seg = (i: number) => l.segs[i] ?? { start: 0, len: 0 };
  return {
    ...linearParams(o), hasBase: o.base !== false, mode: l.mode, r: l.r, E: l.E, EA: l.EA, nSeg: l.segs.length, scale: l.scale,
    s0: seg(0).start, l0: seg(0).len, s1: seg(1).start, l1: seg(1).len, s2: seg(2).start, l2: seg(2).len,
  };
}

