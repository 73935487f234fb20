// RMSNorm over rows of length `dim`: y = x / sqrt(mean(x²) + eps) * w.
// One workgroup per row. With lastRowOnly the single workgroup normalizes row T-1 into row 0:
// the final norm before lm_head only needs the last token.
struct Params { dim: u32, eps: f32, lastRowOnly: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = select(wid.x, step.T - 1u, p.lastRowOnly != 0u);
  let outRow = wid.x;
  // Uniform control flow: every thread reaches the barriers, the bound check guards loads/stores.
  let valid = row < step.T;
  var s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.dim; i += WG) { let v = x[row * p.dim + i]; s += v * v; }
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { partial[lid.x] += partial[lid.x + k]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(p.dim) + p.eps);
  if (valid) {
    for (var i = lid.x; i < p.dim; i += WG) { y[outRow * p.dim + i] = x[row * p.dim + i] * inv * w[i]; }
  }
}
