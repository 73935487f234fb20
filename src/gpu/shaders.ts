// The WGSL sources in shaders/, one kernel per file. The page and worker get them from Vite at build
// time (shaders.browser.ts); Node reads the folder (shaders-node.ts). The runtime only sees this map.
export type ShaderName =
  | 'embedding'
  | 'rmsnorm'
  | 'matmul'
  | 'matvec'
  | 'matmul_t'
  | 'matmul_vec4'
  | 'matvec_vec4'
  | 'matvec_coalesced'
  | 'matvec_subgroup'
  | 'gate_up_silu_vec4'
  | 'matvec_t'
  | 'rope'
  | 'kv_append'
  | 'attention'
  | 'attention_tiled'
  | 'attention_o'
  | 'gate_up_silu'
  | 'add'
  | 'argmax'
  | 'topk'
  | 'nucleus'
  | 'draw'
  | 'lora_matvec_vec4'
  | 'lora_matmul_vec4'
  | 'lora_down'
  | 'lora_up'
  | 'router'
  | 'silu_mul'
  | 'rmsnorm_router'
  | 'router_hidden_subgroup'
  | 'router_gates'
  | 'lora_matvec_up_vec4'
  | 'lora_matvec_up_subgroup'
  | 'rmsnorm_qkv_rope'
  | 'rmsnorm_qkv_rope_coalesced'
  | 'rmsnorm_qkv_rope_subgroup'
  | 'rmsnorm_gate_up_silu'
  | 'rmsnorm_gate_up_silu_coalesced'
  | 'rmsnorm_gate_up_silu_subgroup'
  // training (src/train/kernels.ts)
  | 'linear_backward_input'
  | 'linear_backward_input_vec4'
  | 'rmsnorm_backward'
  | 'rope_backward'
  | 'rope_norm_backward'
  | 'kv_append_backward'
  | 'attention_lse'
  | 'attention_lse_tiled'
  | 'attention_backward_dq_tiled'
  | 'attention_backward_dkv_tiled'
  | 'attention_backward_dq'
  | 'attention_backward_dkv'
  | 'silu_gate_backward'
  | 'cross_entropy'
  | 'lora_backward_ug'
  | 'lora_backward_params'
  | 'lora_backward_x'
  | 'lora_backward_mix'
  | 'router_backward'
  | 'weight_grad'
  | 'sq_norm'
  | 'adamw';

export type ShaderLibrary = Record<ShaderName, string>;

export const SHADER_NAMES: ShaderName[] = ['embedding', 'rmsnorm', 'matmul', 'matvec', 'matmul_t', 'matvec_t', 'matmul_vec4', 'matvec_vec4', 'matvec_coalesced', 'matvec_subgroup', 'gate_up_silu_vec4', 'rope', 'kv_append', 'attention', 'attention_tiled', 'attention_o', 'gate_up_silu', 'add', 'argmax', 'topk', 'nucleus', 'draw', 'lora_matvec_vec4', 'lora_matmul_vec4', 'lora_down', 'lora_up', 'router', 'silu_mul', 'rmsnorm_router', 'router_hidden_subgroup', 'router_gates', 'lora_matvec_up_vec4', 'lora_matvec_up_subgroup', 'rmsnorm_qkv_rope', 'rmsnorm_qkv_rope_coalesced', 'rmsnorm_qkv_rope_subgroup', 'rmsnorm_gate_up_silu', 'rmsnorm_gate_up_silu_coalesced', 'rmsnorm_gate_up_silu_subgroup', 'linear_backward_input', 'linear_backward_input_vec4', 'rmsnorm_backward', 'rope_backward', 'rope_norm_backward', 'kv_append_backward', 'attention_lse', 'attention_backward_dq', 'attention_backward_dkv', 'attention_lse_tiled', 'attention_backward_dq_tiled', 'attention_backward_dkv_tiled', 'silu_gate_backward', 'cross_entropy', 'lora_backward_ug', 'lora_backward_params', 'lora_backward_x', 'lora_backward_mix', 'router_backward', 'weight_grad', 'sq_norm', 'adamw'];

/**
 * The kernels from the shaders/ folder's files (path or file name → text). A line `// #include "_x.wgsl"`
 * is replaced by that file's text: WGSL has no imports, and the attention kernels share their bindings and
 * tiles this way. Snippets start with "_" (they are not kernels) and include nothing themselves.
 */
export function libraryFrom(files: Record<string, string>): ShaderLibrary {
  const byName = (name: string) => {
    const key = Object.keys(files).find((k) => k.endsWith(`/${name}`) || k === name);
    return key === undefined ? undefined : files[key];
  };
  const lib = {} as ShaderLibrary;
  for (const name of SHADER_NAMES) {
    const text = byName(`${name}.wgsl`);
    if (text === undefined) throw new Error(`shader ${name}.wgsl is missing from the build`);
    lib[name] = text.replace(INCLUDE, (_, file: string) => {
      const snippet = byName(file);
      if (snippet === undefined) throw new Error(`shader ${name}.wgsl includes ${file}, which is missing from the build`);
      if (INCLUDE_TEST.test(snippet)) throw new Error(`${file} (included by ${name}.wgsl) includes another file; snippets may not nest`);
      return snippet;
    });
  }
  return lib;
}

const INCLUDE = /^\/\/ #include "(_[\w.-]+\.wgsl)"$/gm;

/**
 * How a model's frozen weights are stored on the GPU:
 *   'f32'         4 bytes a weight (training's reference arithmetic, and the CLI's --weights f32)
 *   'f16'         2 bytes: pairs of f16 packed in u32, widened with unpack2x16float (every device)
 *   'f16-native'  2 bytes: array<f16> with `enable f16;`, where the device has the shader-f16 feature
 *   'q8', 'q4'    1.125 and 0.625 bytes: blocks of 32 integers and their f32 scale (src/model/quant.ts), each weight
 *                 read as f32(q)·d
 * The two f16 forms hold the same bits and give the same f32 values; the arithmetic stays f32 throughout.
 */
export type WeightFormat = 'f32' | 'f16' | 'f16-native' | 'q8' | 'q4';

/**
 * The quantised loaders (quant.ts's layout: q8 blocks of 8 words of bytes then the scale's bits, q4 blocks of 4 words
 * of nibbles holding q + 8, then the scale). A vec4 is 4 consecutive weights, never split between blocks.
 */
function quantLoader(v: string, vec: boolean, format: 'q8' | 'q4'): string {
  if (format === 'q8') {
    return vec
      ? `fn load_${v}(i: u32) -> vec4<f32> { let b = (i >> 3u) * 9u; let q = bitcast<vec4<i32>>(vec4<u32>(${v}[b + (i & 7u)]) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u); return vec4<f32>(q) * bitcast<f32>(${v}[b + 8u]); }`
      : `fn load_${v}(i: u32) -> f32 { let b = (i >> 5u) * 9u; let q = bitcast<i32>(${v}[b + ((i & 31u) >> 2u)] << (24u - 8u * (i & 3u))) >> 24u; return f32(q) * bitcast<f32>(${v}[b + 8u]); }`;
  }
  return vec
    ? `fn load_${v}(i: u32) -> vec4<f32> { let b = (i >> 3u) * 5u; let u = ${v}[b + ((i & 7u) >> 1u)] >> ((i & 1u) * 16u); let q = vec4<i32>((vec4<u32>(u) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) - vec4<i32>(8); return vec4<f32>(q) * bitcast<f32>(${v}[b + 4u]); }`
    : `fn load_${v}(i: u32) -> f32 { let b = (i >> 5u) * 5u; let q = i32((${v}[b + ((i & 31u) >> 3u)] >> ((i & 7u) * 4u)) & 15u) - 8; return f32(q) * bitcast<f32>(${v}[b + 4u]); }`;
}

const WEIGHTS = /^(@group\(0\) @binding\((\d+)\) var<storage, read> (\w+): )array<(vec4<f32>|f32)>;( \/\/ #weights, read as load_\3\(i\))$/gm;

/** Whether a kernel reads a weight matrix (a `// #weights` binding) and so comes in every WeightFormat. */
export function readsWeights(text: string): boolean {
  return new RegExp(WEIGHTS.source, 'm').test(text);
}

/**
 * A kernel's text for one weight format. Each weight binding is declared in the kernel as f32 and tagged
 * `// #weights, read as load_W(i)`; the kernel reads it only through load_W (element i, or vec4 i for
 * array<vec4<f32>>), which is written here: W[i] in f32, and in f16 the unpacked bits, so the kernels' text
 * stays one file each.
 */
export function withWeights(text: string, format: WeightFormat): string {
  let native = false;
  const out = text.replace(WEIGHTS, (_, decl: string, _b: string, v: string, elem: string, tag: string) => {
    const vec = elem === 'vec4<f32>';
    const ret = vec ? 'vec4<f32>' : 'f32';
    if (format === 'f32') return `${decl}array<${elem}>;${tag}\nfn load_${v}(i: u32) -> ${ret} { return ${v}[i]; }`;
    if (format === 'q8' || format === 'q4') return `${decl}array<u32>;${tag}\n${quantLoader(v, vec, format)}`;
    if (format === 'f16-native') {
      native = true;
      return `${decl}array<${vec ? 'vec4<f16>' : 'f16'}>;${tag}\nfn load_${v}(i: u32) -> ${ret} { return ${ret}(${v}[i]); }`;
    }
    return vec
      ? `${decl}array<vec2<u32>>;${tag}\nfn load_${v}(i: u32) -> vec4<f32> { let u = ${v}[i]; return vec4<f32>(unpack2x16float(u.x), unpack2x16float(u.y)); }`
      : `${decl}array<u32>;${tag}\nfn load_${v}(i: u32) -> f32 { return unpack2x16float(${v}[i >> 1u])[i & 1u]; }`;
  });
  return native ? `enable f16;\n${out}` : out;
}
const INCLUDE_TEST = /^\/\/ #include "/m;
