// Decode matrix-vector: y[nOff + n] (+)= W[n, :]·x (+ bias[n]) for one token (T = 1).
// One thread per output row, K walked 4 at a time with a scalar tail for odd K.
// (On a real GPU a cooperative row-per-workgroup variant coalesces better; CPU drivers prefer this.)
// #include "_linear_params.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * 65535u * 64u;
  if (n >= p.N) { return; }
  let base = n * p.K;
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
  let K4 = p.K & ~3u;
  for (var k = 0u; k < K4; k += 4u) {
    a0 += load_W(base + k) * x[k];
    a1 += load_W(base + k + 1u) * x[k + 1u];
    a2 += load_W(base + k + 2u) * x[k + 2u];
    a3 += load_W(base + k + 3u) * x[k + 3u];
  }
  for (var k = K4; k < p.K; k++) { a0 += load_W(base + k) * x[k]; }
  var v = (a0 + a1) + (a2 + a3);
  if (p.hasBias != 0u) { v += bias[n]; }
  let o = p.nOff + n;
  if (p.accumulate != 0u) { v += y[o]; }
  y[o] = v;
}
