// Prefill matmul, K a multiple of 4: Y[t, nOff + n] (+)= X[t]·W[n] (+ bias[n]) with X, W read as vec4 along K.
// Same 4×4 register tile per thread as matmul.wgsl, but each step loads 4 + 4 vec4s and does 16 dot4s:
// a quarter of the load instructions. Used when K % 4 == 0 (every real checkpoint); matmul.wgsl otherwise.
// #include "_linear_params.wgsl"
// #include "_step.wgsl"
// #include "_dot4.wgsl"
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let t0 = gid.y * 4u;
  if (n0 >= p.N || t0 >= step.T) { return; }
  let K4 = p.K / 4u;
  var acc: array<vec4<f32>, 4>; // acc[i][j]: token t0+i, output n0+j
  var nr: array<u32, 4>;
  var tr: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) { nr[j] = min(n0 + j, p.N - 1u) * K4; tr[j] = min(t0 + j, step.T - 1u) * K4; }
  for (var k = 0u; k < K4; k++) {
    let w0 = load_W(nr[0] + k); let w1 = load_W(nr[1] + k); let w2 = load_W(nr[2] + k); let w3 = load_W(nr[3] + k);
    for (var i = 0u; i < 4u; i++) {
      let x = X[tr[i] + k];
      acc[i] += dot4(x, w0, w1, w2, w3);
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let t = t0 + i;
    if (t >= step.T) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= p.N) { break; }
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += bias[n]; }
      let o = t * p.ldY + p.nOff + n;
      if (p.accumulate != 0u) { v += Y[o]; }
      Y[o] = v;
    }
  }
}
