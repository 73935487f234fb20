// Pipelines and typed dispatch builders for the kernels in shaders/.
// A Dispatch is built once (pipeline + bind group) and encoded every forward; its grid depends only on
// the number of tokens T of that forward, which the kernels also read from the shared Step uniform.
import type { ShaderLibrary, ShaderName } from './shaders';
import { uniform, type ParamValue } from './buffers';

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: (T: number) => [number, number, number];
}

const ceil = (a: number, b: number) => Math.ceil(a / b);
const MAX_X = 65535;
/** 1-D grids past 65535 workgroups wrap into y (the kernels fold gid.y back in). */
function grid1d(threads: number, wg = 64): [number, number, number] {
  const g = ceil(threads, wg);
  return g <= MAX_X ? [Math.max(1, g), 1, 1] : [MAX_X, ceil(g, MAX_X), 1];
}

export class Kernels {
  private pipelines = new Map<ShaderName, GPUComputePipeline>();
  /** a 16-byte zero buffer bound where a kernel's optional input (bias, norm weight) is absent */
  readonly empty: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
  ) {
    this.empty = device.createBuffer({ label: 'empty', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  pipeline(name: ShaderName): GPUComputePipeline {
    let p = this.pipelines.get(name);
    if (!p) {
      const module = this.device.createShaderModule({ label: name, code: this.shaders[name] });
      p = this.device.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(name, p);
    }
    return p;
  }

  private make(name: ShaderName, params: ParamValue[], step: GPUBuffer | null, buffers: GPUBuffer[], grid: Dispatch['grid']): Dispatch {
    const pipeline = this.pipeline(name);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform(this.device, params, name) } }];
    if (step) entries.push({ binding: 1, resource: { buffer: step } });
    buffers.forEach((buffer, i) => entries.push({ binding: 2 + i, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ label: name, layout: pipeline.getBindGroupLayout(0), entries });
    return { label: name, pipeline, bindGroup, grid };
  }

  /** out[t,:] = table[ids[t] - rowStart, :] for ids inside [rowStart, rowStart + rowCount) */
  embedding(step: GPUBuffer, o: { H: number; rowStart: number; rowCount: number; ids: GPUBuffer; table: GPUBuffer; out: GPUBuffer }): Dispatch {
    return this.make('embedding', [o.H, o.rowStart, o.rowCount], step, [o.ids, o.table, o.out], (T) => [ceil(o.H, 64), T, 1]);
  }

  /** y[r] = rmsnorm(x[r]) * w for r < T; with lastRowOnly, y[0] = rmsnorm(x[T-1]) * w */
  rmsnorm(step: GPUBuffer, o: { dim: number; eps: number; lastRowOnly?: boolean; x: GPUBuffer; w: GPUBuffer; y: GPUBuffer }): Dispatch {
    const last = o.lastRowOnly ?? false;
    return this.make('rmsnorm', [o.dim, { f32: o.eps }, last ? 1 : 0], step, [o.x, o.w, o.y], (T) => [last ? 1 : T, 1, 1]);
  }

  /** Y[t, nOff+n] (+)= X[t]·W[n] (+ b[n]); prefill, any T */
  matmul(step: GPUBuffer, o: LinearOpts): Dispatch {
    return this.make('matmul', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1]);
  }

  /** y[nOff+n] (+)= W[n]·x (+ b[n]); decode, T = 1 */
  matvec(o: LinearOpts): Dispatch {
    return this.make('matvec', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N));
  }

  /** matmul reading X and W as vec4 along K (needs K % 4 == 0) */
  matmulVec4(step: GPUBuffer, o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matmul_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matmul_vec4', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1]);
  }

  /** matvec reading W and x as vec4 (needs K % 4 == 0) */
  matvecVec4(o: LinearOpts): Dispatch {
    if (o.K % 4) throw new Error(`matvec_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('matvec_vec4', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N));
  }

  /** matmul on a transposed weight Wt = Wᵀ [K, N] (the layout the model uploads) */
  matmulT(step: GPUBuffer, o: LinearOpts): Dispatch {
    return this.make('matmul_t', linearParams(o), step, [o.x, o.W, o.bias ?? this.empty, o.y], (T) => [ceil(o.N, 32), ceil(T, 32), 1]);
  }

  /** matvec on a transposed weight Wt = Wᵀ [K, N] */
  matvecT(o: LinearOpts): Dispatch {
    return this.make('matvec_t', linearParams(o), null, [o.x, o.W, o.bias ?? this.empty, o.y], () => grid1d(o.N));
  }

  /** in-place RoPE (with Qwen3's per-head q/k RMSNorm first when normW is given) on fused qkv rows */
  rope(step: GPUBuffer, o: { headDim: number; nHeads: number; nQHeads: number; ldQKV: number; eps: number; cosSin: GPUBuffer; normW?: GPUBuffer; qkv: GPUBuffer }): Dispatch {
    return this.make(
      'rope',
      [o.headDim, o.nHeads, o.nQHeads, o.ldQKV, o.normW ? 1 : 0, { f32: o.eps }],
      step,
      [o.cosSin, o.normW ?? this.empty, o.qkv],
      (T) => [o.nHeads, T, 1],
    );
  }

  kvAppend(step: GPUBuffer, o: { kvDim: number; ldQKV: number; kOff: number; vOff: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer }): Dispatch {
    return this.make('kv_append', [o.kvDim, o.ldQKV, o.kOff, o.vOff], step, [o.qkv, o.kCache, o.vCache], (T) => [ceil(o.kvDim, 64), T, 1]);
  }

  attention(step: GPUBuffer, o: { headDim: number; nHeads: number; nKVHeads: number; ldQKV: number; qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (o.headDim > 256) throw new Error(`head_dim ${o.headDim} > 256 is not supported by the attention kernel`);
    return this.make(
      'attention',
      [o.headDim, o.nHeads, o.nKVHeads, o.ldQKV, { f32: 1 / Math.sqrt(o.headDim) }],
      step,
      [o.qkv, o.kCache, o.vCache, o.out],
      (T) => [o.nHeads, T, 1],
    );
  }

  gateUpSilu(step: GPUBuffer, o: { I: number; K: number; x: GPUBuffer; Wg: GPUBuffer; Wu: GPUBuffer; out: GPUBuffer }): Dispatch {
    return this.make('gate_up_silu', [o.I, o.K], step, [o.x, o.Wg, o.Wu, o.out], (T) => [ceil(o.I, 64), ceil(T, 4), 1]);
  }

  gateUpSiluVec4(step: GPUBuffer, o: { I: number; K: number; x: GPUBuffer; Wg: GPUBuffer; Wu: GPUBuffer; out: GPUBuffer }): Dispatch {
    if (o.K % 4) throw new Error(`gate_up_silu_vec4 needs K % 4 == 0, got K = ${o.K}`);
    return this.make('gate_up_silu_vec4', [o.I, o.K], step, [o.x, o.Wg, o.Wu, o.out], (T) => [ceil(o.I, 64), ceil(T, 4), 1]);
  }

  add(o: { n: number; x: GPUBuffer; y: GPUBuffer }): Dispatch {
    return this.make('add', [o.n], null, [o.x, o.y], () => grid1d(o.n));
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

export interface LinearOpts {
  N: number;
  K: number;
  /** output row stride (defaults to N) and column offset, for writing one chunk of a split matrix */
  ldY?: number;
  nOff?: number;
  accumulate?: boolean;
  x: GPUBuffer;
  W: GPUBuffer;
  bias?: GPUBuffer;
  y: GPUBuffer;
}

function linearParams(o: LinearOpts): ParamValue[] {
  return [o.N, o.K, o.ldY ?? o.N, o.nOff ?? 0, o.bias ? 1 : 0, o.accumulate ? 1 : 0];
}

/** The Step uniform every per-token kernel reads: {T, pos0}. */
export function stepBuffer(device: GPUDevice): GPUBuffer {
  return device.createBuffer({ label: 'step', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

export function writeStep(device: GPUDevice, step: GPUBuffer, T: number, pos0: number): void {
  device.queue.writeBuffer(step, 0, new Uint32Array([T, pos0, 0, 0]));
}
