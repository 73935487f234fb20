// LoRA backward, step 3 of 3: the adapter's share of the input gradient,
//   dX[t, k] (+)= s · Σ_j A[j, k]·z_j·g[t, j]       (g = Bᵀ dY from lora_backward_ug.wgsl)
// One thread per (k, token), a loop over the r ranks. Usually accumulates onto the frozen weight's
// dX (linear_backward_input): the input feeds both the base projection and the adapter.
struct Params { K: u32, r: u32, aOff: u32, zOff: u32, hasZ: u32, accumulate: u32, scale: f32, _a: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> ug: array<f32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let t = gid.y;
  if (k >= p.K || t >= step.T) { return; }
  var s = 0.0;
  for (var j = 0u; j < p.r; j++) {
    let zj = select(1.0, z[p.zOff + j], p.hasZ != 0u);
    s += A[p.aOff + j * p.K + k] * zj * ug[t * 2u * p.r + p.r + j];
  }
  let o = t * p.K + k;
  var v = p.scale * s;
  if (p.accumulate != 0u) { v += dX[o]; }
  dX[o] = v;
}
