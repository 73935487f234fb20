// Unfused LoRA, step 1 of 2 (the baseline the fused kernels are measured against, and the path for
// shapes they do not cover: K not a multiple of 4, ranks past their workgroup memory):
//   U[t, row] = A[row] · x[t]     for the R = nSeg·EA·r rows of A, one thread per (token, row).
// Same Params as lora_matvec_vec4.wgsl; independent experts whose gate is 0 are skipped (U = 0).
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
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
