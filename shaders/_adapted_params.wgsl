// The adapted projections' Params at binding 0 (lora_matvec_vec4, lora_matmul_vec4, lora_matvec_up_vec4,
// lora_down, lora_up; src/gpu/params.ts ADAPTED): the linear kernels' first six fields, then the adapter:
// hasBase (0: only the adapter's term), mode (0 LoRA, 1 Zhyper diag z, 2 square Z, 3 CUMA gates), r, E experts,
// EA distinct A's, nSeg segments (start s_i, length l_i in the output rows), and the scale s.
struct Params {
  N: u32, K: u32, ldY: u32, nOff: u32, hasBias: u32, accumulate: u32, hasBase: u32, mode: u32,
  r: u32, E: u32, EA: u32, nSeg: u32, scale: f32,
  s0: u32, l0: u32, s1: u32, l1: u32, s2: u32, l2: u32, _p: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
