// LoRA backward, step 4 of 4: the adapter's share of the input gradient,
//   dX[t, k] (+)= Σ_{a, q} A_a[q, k]·du[t, a, q]       (du = s·(gates, z)·Bᵀ dY, lora_backward_mix.wgsl)
// One thread per (k, token), a loop over the EA·r rows of A. Usually accumulates onto the frozen
// weight's dX (linear_backward_input): the input feeds both the base projection and the adapter.
struct Params { K: u32, r: u32, aOff: u32, E: u32, EA: u32, accumulate: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> ug: array<f32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let t = gid.y;
  if (k >= p.K || t >= step.T) { return; }
  let n = p.EA * p.r;
  let du = t * 2u * (p.EA + p.E) * p.r + n + 2u * p.E * p.r;
  var s = 0.0;
  for (var j = 0u; j < n; j++) { s += A[p.aOff + j * p.K + k] * ug[du + j]; }
  let o = t * p.K + k;
  var v = s;
  if (p.accumulate != 0u) { v += dX[o]; }
  dX[o] = v;
}
