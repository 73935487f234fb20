// AdamW (decoupled weight decay, as torch.optim.AdamW) on one parameter tensor, in place:
//   g  = clip · grad,   clip = min(1, maxNorm / (‖grad‖ + 1e-6))  over ALL tensors (maxNorm > 0), else 1
//   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//   p ← p − lr·( m̂ / (√v̂ + eps) + wd·p ),   m̂ = m / bc1,  v̂ = v / bc2,  bc = 1 − β^step
// ‖grad‖² is the sum of the sq_norm.wgsl partials of every tensor: each workgroup re-sums them (a few
// hundred floats) so clipping needs no readback and no extra dispatch. The step count lives on the CPU,
// which writes the bias corrections bc1, bc2 (in f64, then rounded) and lr into Params each step.
struct Params { n: u32, nPartials: u32, maxNorm: f32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read> partials: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var clip = 1.0;
  if (p.maxNorm > 0.0) {
    var s = 0.0;
    for (var i = lid.x; i < p.nPartials; i += WG) { s += partials[i]; }
    red[lid.x] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
      workgroupBarrier();
    }
    clip = min(1.0, p.maxNorm / (sqrt(red[0]) + 1e-6));
  }
  let i = gid.x + gid.y * 65535u * WG;
  if (i >= p.n) { return; }
  let g = clip * grad[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let w = param[i];
  param[i] = w - p.lr * ((mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) + p.wd * w);
}
