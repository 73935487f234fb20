// Decode matrix-vector, K a multiple of 4: y[nOff + n] (+)= W[n]·x (+ bias[n]), W and x read as vec4.
// One thread per output row like matvec.wgsl, with a quarter of the load instructions.
// #include "_linear_params.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * 65535u * 64u;
  if (n >= p.N) { return; }
  let K4 = p.K / 4u;
  let base = n * K4;
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  let K8 = K4 & ~1u;
  for (var k = 0u; k < K8; k += 2u) {
    a0 += load_W(base + k) * x[k];
    a1 += load_W(base + k + 1u) * x[k + 1u];
  }
  if (K8 < K4) { a0 += load_W(base + K8) * x[K8]; }
  let s = a0 + a1;
  var v = (s.x + s.y) + (s.z + s.w);
  if (p.hasBias != 0u) { v += bias[n]; }
  let o = p.nOff + n;
  if (p.accumulate != 0u) { v += y[o]; }
  y[o] = v;
}
