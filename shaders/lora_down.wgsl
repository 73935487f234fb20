// Unfused LoRA, step 1 of 2 (the baseline the fused kernels are measured against, and the path for
// shapes they do not cover: K not a multiple of 4, ranks past their workgroup memory):
//   U[t, row] = A[row] · x[t]     for the R = nSeg·EA·r rows of A, one thread per (token, row).
// Same Params as lora_matvec_vec4.wgsl; independent experts whose gate is 0 are skipped (U = 0).
struct Params {
  N: u32, K: u32, ldY: u32, nOff: u32, hasBias: u32, accumulate: u32, hasBase: u32, mode: u32,
  r: u32, E: u32, EA: u32, nSeg: u32, scale: f32,
  s0: u32, l0: u32, s1: u32, l1: u32, s2: u32, l2: u32, _p: u32,
}
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read> cond: array<f32>;
@group(0) @binding(5) var<storage, read_write> U: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let R = p.nSeg * p.EA * p.r;
  let row = gid.x;
  let t = gid.y;
  if (row >= R || t >= step.T) { return; }
  var sum = 0.0;
  let e = (row / p.r) % p.EA;
  if (p.mode != 3u || p.EA == 1u || cond[(step.pos0 + t) * p.E + e] != 0.0) {
    for (var k = 0u; k < p.K; k++) { sum += A[row * p.K + k] * x[t * p.K + k]; }
  }
  U[t * R + row] = sum;
}
