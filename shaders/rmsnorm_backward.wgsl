// Input gradient of RMSNorm y = x·r·w, r = 1/sqrt(mean(x²) + eps), over rows of length `dim`:
//   dx_i (+)= r·w_i·dy_i − x_i · r³/dim · Σ_j dy_j·w_j·x_j
// (the second term is the gradient through r). The norm weight w is frozen: no dw.
// One workgroup per row, two reductions (Σx², Σ dy·w·x) in one tree. `accumulate` adds dx into the
// residual stream's gradient, which also flows around the norm.
struct Params { dim: u32, eps: f32, accumulate: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x;
  let valid = row < step.T; // grid is exactly T rows; kept for uniform control flow around barriers
  let b = row * p.dim;
  var s = vec2<f32>(0.0);
  if (valid) {
    for (var i = lid.x; i < p.dim; i += WG) { let v = x[b + i]; s += vec2<f32>(v * v, dy[b + i] * w[i] * v); }
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { partial[lid.x] += partial[lid.x + k]; }
    workgroupBarrier();
  }
  let r = inverseSqrt(partial[0].x / f32(p.dim) + p.eps);
  let c = r * r * r * partial[0].y / f32(p.dim);
  if (valid) {
    for (var i = lid.x; i < p.dim; i += WG) {
      var v = r * w[i] * dy[b + i] - c * x[b + i];
      if (p.accumulate != 0u) { v += dx[b + i]; }
      dx[b + i] = v;
    }
  }
}
