// Every kernel's Params uniform, declared once: field name → type, in the order of the WGSL struct (every
// field is 4 bytes; fields starting with "_" are padding to 16 bytes and always 0). Dispatch builders pass
// values by name (Kernels.make), and a field that changes after build is rewritten by name (setParam), so
// no byte offset is written by hand. test/kernels/params.test.ts parses each `struct Params` in shaders/ and
// checks it against this table, so the two cannot drift apart.
import type { ShaderName } from './shaders';
import type { ParamValue } from './buffers';

export type ParamType = 'u32' | 'f32';
type Decl = Readonly<Record<string, ParamType>>;

/** the linear kernels (shaders/_linear_params.wgsl) */
const LINEAR = { N: 'u32', K: 'u32', ldY: 'u32', nOff: 'u32', hasBias: 'u32', accumulate: 'u32', _a: 'u32', _b: 'u32' } as const;
/** the adapted projections (shaders/_adapted_params.wgsl): LINEAR's first six, the adapter, up to 3 segments */
const ADAPTED = {
  N: 'u32', K: 'u32', ldY: 'u32', nOff: 'u32', hasBias: 'u32', accumulate: 'u32', hasBase: 'u32', mode: 'u32',
  r: 'u32', E: 'u32', EA: 'u32', nSeg: 'u32', scale: 'f32', s0: 'u32', l0: 'u32', s1: 'u32', l1: 'u32', s2: 'u32', l2: 'u32', _p: 'u32',
} as const;
/** every attention kernel (shaders/_attention_bindings.wgsl) */
const ATTENTION = { headDim: 'u32', nHeads: 'u32', nKVHeads: 'u32', ldQKV: 'u32', scale: 'f32', _a: 'u32', _b: 'u32', _c: 'u32' } as const;
const BACKWARD_INPUT = { K: 'u32', N: 'u32', ldDY: 'u32', dyOff: 'u32', accumulate: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' } as const;
const GATE_UP = { I: 'u32', K: 'u32', _a: 'u32', _b: 'u32' } as const;
/** the decode kernels with the RMSNorm before them inside (shaders/_norm_qkv.wgsl, rmsnorm_gate_up_silu*.wgsl) */
const NORM_QKV = { H: 'u32', headDim: 'u32', nQHeads: 'u32', nKVHeads: 'u32', eps: 'f32', hasBias: 'u32', _a: 'u32', _b: 'u32' } as const;
const NORM_GATE_UP = { I: 'u32', K: 'u32', eps: 'f32', nParts: 'u32' } as const;

export const PARAMS = {
  embedding: { H: 'u32', rowStart: 'u32', rowCount: 'u32', _pad: 'u32' },
  rmsnorm: { dim: 'u32', eps: 'f32', lastRowOnly: 'u32', _pad: 'u32' },
  matmul: LINEAR,
  matvec: LINEAR,
  matmul_t: LINEAR,
  matvec_t: LINEAR,
  matmul_vec4: LINEAR,
  matvec_vec4: LINEAR,
  matvec_coalesced: LINEAR,
  matvec_subgroup: LINEAR,
  gate_up_silu: GATE_UP,
  gate_up_silu_vec4: GATE_UP,
  rope: { headDim: 'u32', nHeads: 'u32', nQHeads: 'u32', ldQKV: 'u32', qkNorm: 'u32', eps: 'f32', savePre: 'u32', appendKV: 'u32' },
  kv_append: { kvDim: 'u32', ldQKV: 'u32', kOff: 'u32', vOff: 'u32' },
  attention: ATTENTION,
  attention_tiled: ATTENTION,
  attention_o: { headDim: 'u32', nHeads: 'u32', nKVHeads: 'u32', ldQKV: 'u32', scale: 'f32', H: 'u32', hasBias: 'u32', _a: 'u32' },
  add: { n: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  argmax: { n: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  topk: { n: 'u32', k: 'u32', _a: 'u32', _b: 'u32' },
  nucleus: { n: 'u32', cap: 'u32', invT: 'f32', topP: 'f32' },
  draw: { k: 'u32', invT: 'f32', topP: 'f32', u: 'f32' },
  lora_matvec_vec4: ADAPTED,
  lora_matmul_vec4: ADAPTED,
  lora_matvec_up_vec4: ADAPTED,
  lora_matvec_up_subgroup: ADAPTED,
  lora_down: ADAPTED,
  lora_up: ADAPTED,
  router: { H: 'u32', R: 'u32', E: 'u32', k: 'u32', gating: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  silu_mul: { I: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  rmsnorm_qkv_rope: NORM_QKV,
  rmsnorm_qkv_rope_coalesced: NORM_QKV,
  rmsnorm_qkv_rope_subgroup: NORM_QKV,
  rmsnorm_gate_up_silu: NORM_GATE_UP,
  rmsnorm_gate_up_silu_coalesced: NORM_GATE_UP,
  rmsnorm_gate_up_silu_subgroup: NORM_GATE_UP,
  rmsnorm_router: { dim: 'u32', eps: 'f32', R: 'u32', E: 'u32', k: 'u32', gating: 'u32', _a: 'u32', _b: 'u32' },
  router_hidden_subgroup: { H: 'u32', R: 'u32', eps: 'f32', _a: 'u32' },
  router_gates: { R: 'u32', E: 'u32', k: 'u32', gating: 'u32' },
  // training
  linear_backward_input: BACKWARD_INPUT,
  linear_backward_input_vec4: BACKWARD_INPUT,
  rmsnorm_backward: { dim: 'u32', eps: 'f32', accumulate: 'u32', _pad: 'u32' },
  rope_backward: { headDim: 'u32', nHeads: 'u32', ldQKV: 'u32', _a: 'u32' },
  rope_norm_backward: { headDim: 'u32', nHeads: 'u32', nQHeads: 'u32', ldQKV: 'u32', eps: 'f32', _a: 'u32', _b: 'u32', _c: 'u32' },
  kv_append_backward: { kvDim: 'u32', ldQKV: 'u32', kOff: 'u32', vOff: 'u32' },
  attention_lse: ATTENTION,
  attention_lse_tiled: ATTENTION,
  attention_backward_dq: ATTENTION,
  attention_backward_dq_tiled: ATTENTION,
  attention_backward_dkv: ATTENTION,
  attention_backward_dkv_tiled: ATTENTION,
  silu_gate_backward: { I: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  cross_entropy: { V: 'u32', rows: 'u32', count: 'u32', phase: 'u32', eps: 'f32', gradScale: 'f32', _a: 'u32', _b: 'u32' },
  lora_backward_ug: { K: 'u32', N: 'u32', r: 'u32', ldDY: 'u32', dyOff: 'u32', aOff: 'u32', bOff: 'u32', E: 'u32', EA: 'u32', _a: 'u32', _b: 'u32', _c: 'u32' },
  lora_backward_params: {
    K: 'u32', N: 'u32', r: 'u32', ldDY: 'u32', dyOff: 'u32', aOff: 'u32', bOff: 'u32', zOff: 'u32', mode: 'u32', accumulate: 'u32', scale: 'f32', E: 'u32', EA: 'u32',
    _a: 'u32', _b: 'u32', _c: 'u32',
  },
  lora_backward_x: { K: 'u32', r: 'u32', aOff: 'u32', E: 'u32', EA: 'u32', accumulate: 'u32', _a: 'u32', _b: 'u32' },
  lora_backward_mix: { r: 'u32', E: 'u32', EA: 'u32', mode: 'u32', zOff: 'u32', scale: 'f32', _a: 'u32', _b: 'u32' },
  router_backward: { H: 'u32', R: 'u32', E: 'u32', k: 'u32', gating: 'u32', lbScale: 'f32', lbForm: 'u32', _b: 'u32' },
  weight_grad: { N: 'u32', K: 'u32', ldDY: 'u32', ldX: 'u32', hasBias: 'u32', accumulate: 'u32', dyOff: 'u32', xOff: 'u32' },
  sq_norm: { n: 'u32', outIndex: 'u32', _a: 'u32', _b: 'u32' },
  adamw: { n: 'u32', nPartials: 'u32', maxNorm: 'f32', lr: 'f32', beta1: 'f32', beta2: 'f32', eps: 'f32', wd: 'f32', bc1: 'f32', bc2: 'f32', _a: 'u32', _b: 'u32' },
} as const satisfies Record<ShaderName, Decl>;

/** The fields a caller gives (padding excluded); a flag may be given as a boolean. */
export type ParamsOf<N extends ShaderName> = { [K in Exclude<keyof (typeof PARAMS)[N], `_${string}`>]: number | boolean };
export type ParamField<N extends ShaderName> = Exclude<keyof (typeof PARAMS)[N], `_${string}`> & string;

/** The uniform's values in struct order, each checked: every field given, u32 a non-negative integer, f32 finite. */
export function packParams<N extends ShaderName>(name: N, values: ParamsOf<N>): ParamValue[] {
  const decl: Decl = PARAMS[name];
  const given = values as Record<string, number | boolean | undefined>;
  for (const k of Object.keys(given)) if (!(k in decl) || k.startsWith('_')) throw new Error(`${name}: Params has no field "${k}"`);
  return Object.entries(decl).map(([field, type]) => {
    if (field.startsWith('_')) return 0;
    const raw = given[field];
    if (raw === undefined) throw new Error(`${name}: Params.${field} is not given`);
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (type === 'f32') {
      if (!Number.isFinite(v)) throw new Error(`${name}: Params.${field} must be a finite number, got ${v}`);
      return { f32: v };
    }
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${name}: Params.${field} must be a u32, got ${v}`);
    return v;
  });
}

/** Byte offset and type of one field. */
export function paramField<N extends ShaderName>(name: N, field: ParamField<N>): { offset: number; type: ParamType } {
  const entries = Object.entries(PARAMS[name] as Decl);
  const i = entries.findIndex(([f]) => f === field);
  if (i < 0) throw new Error(`${name}: Params has no field "${field}"`);
  return { offset: i * 4, type: entries[i][1] };
}

/** The bytes of some fields' new values, at their offsets (consecutive fields may be written at once). */
export function paramBytes<N extends ShaderName>(name: N, field: ParamField<N>, value: number): { offset: number; data: ArrayBuffer } {
  const { offset, type } = paramField(name, field);
  const data = type === 'f32' ? new Float32Array([value]).buffer : new Uint32Array([value]).buffer;
  return { offset, data };
}

/**
 * The kernels' compile-time limits (WGSL `const`s sizing workgroup and private arrays), declared here once;
 * the dispatch builders check shapes against them and test/kernels/params.test.ts checks each against the
 * `const` of the same name in the shader.
 */
export const LIMITS = {
  lora_matvec_vec4: { MAXU: 128, MAXE: 16 },
  lora_matmul_vec4: { MAXU: 128, MAXV: 64, MAXE: 16 },
  router: { MAXR: 1024, MAXE: 64 },
  rmsnorm_router: { MAXR: 1024, MAXE: 64 },
  router_gates: { MAXE: 64 },
  router_backward: { MAXR: 1024, MAXE: 64 },
  attention: { MAXD: 256 },
  attention_o: { MAXD: 256 },
  attention_lse: { MAXD: 256 },
  attention_backward_dq: { MAXD: 256 },
  attention_backward_dkv: { MAXD: 256 },
  /** vec4s of head_dim in a tile: head_dim ≤ 64 */
  attention_tiled: { MAXD4: 16 },
  attention_lse_tiled: { MAXD4: 16 },
  attention_backward_dq_tiled: { MAXD4: 16 },
  attention_backward_dkv_tiled: { MAXD4: 16 },
} as const satisfies Partial<Record<ShaderName, Record<string, number>>>;
