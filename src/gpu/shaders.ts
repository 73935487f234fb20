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
  | 'gate_up_silu_vec4'
  | 'matvec_t'
  | 'rope'
  | 'kv_append'
  | 'attention'
  | 'attention_tiled'
  | 'gate_up_silu'
  | 'add'
  | 'lora_matvec_vec4'
  | 'lora_matmul_vec4'
  | 'lora_down'
  | 'lora_up'
  | 'router'
  | 'silu_mul'
  | 'rmsnorm_router'
  | 'lora_matvec_up_vec4'
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

export const SHADER_NAMES: ShaderName[] = ['embedding', 'rmsnorm', 'matmul', 'matvec', 'matmul_t', 'matvec_t', 'matmul_vec4', 'matvec_vec4', 'matvec_coalesced', 'gate_up_silu_vec4', 'rope', 'kv_append', 'attention', 'attention_tiled', 'gate_up_silu', 'add', 'lora_matvec_vec4', 'lora_matmul_vec4', 'lora_down', 'lora_up', 'router', 'silu_mul', 'rmsnorm_router', 'lora_matvec_up_vec4', 'linear_backward_input', 'linear_backward_input_vec4', 'rmsnorm_backward', 'rope_backward', 'rope_norm_backward', 'kv_append_backward', 'attention_lse', 'attention_backward_dq', 'attention_backward_dkv', 'attention_lse_tiled', 'attention_backward_dq_tiled', 'attention_backward_dkv_tiled', 'silu_gate_backward', 'cross_entropy', 'lora_backward_ug', 'lora_backward_params', 'lora_backward_x', 'lora_backward_mix', 'router_backward', 'weight_grad', 'sq_norm', 'adamw'];

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
const INCLUDE_TEST = /^\/\/ #include "/m;
