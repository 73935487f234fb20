// out[t, i] = silu(gu[t, i]) * gu[t, I + i]: the MLP activation when gate or up carry an adapter
// (their projections then run through the adapted linear kernels into one [T, 2I] buffer).
struct Params { I: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> gu: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.I || t >= step.T) { return; }
  let g = gu[t * 2u * p.I + i];
  let u = gu[t * 2u * p.I + p.I + i];
  // g·sigmoid(g) written so exp never overflows
  let e = exp(-abs(g));
  let sg = select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
  out[t * p.I + i] = g * sg * u;
}
