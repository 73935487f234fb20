// Gradient of the SwiGLU activation out = silu(g)·u (silu_mul.wgsl; gate_up_silu fuses it into the
// projections), given the pre-activations gu[t] = [g | u] ([T, 2I], as the unfused path writes them):
//   dg = dOut · u · silu'(g),  silu'(g) = σ(g)·(1 + g·(1 − σ(g)))
//   du = dOut · silu(g)
// into dgu with the same [T, 2I] layout, so the gate and up projections' input gradients are two
// linear_backward_input dispatches on its halves (ldDY = 2I, dyOff = 0 and I).
struct Params { I: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> gu: array<f32>;
@group(0) @binding(3) var<storage, read> dOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgu: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.I || t >= step.T) { return; }
  let gi = t * 2u * p.I + i;
  let g = gu[gi];
  let u = gu[gi + p.I];
  // σ(g) written so exp never overflows
  let e = exp(-abs(g));
  let sg = select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
  let d = dOut[t * p.I + i];
  dgu[gi] = d * u * sg * (1.0 + g * (1.0 - sg));
  dgu[gi + p.I] = d * g * sg;
}
