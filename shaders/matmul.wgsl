// Prefill matmul: Y[t, nOff + n] (+)= sum_k X[t, k] * W[n, k] (+ bias[n]).
// W is a Hugging Face Linear weight [out, in], so this is Y = X·Wᵀ. `accumulate` fuses the residual add.
// Register blocking: each thread owns a 4×4 tile (4 tokens × 4 outputs) so a loaded W value is reused 4 times;
// on CPU-emulated WebGPU this beats workgroup-memory tiling (barriers are expensive there).
// #include "_linear_params.wgsl"
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let t0 = gid.y * 4u;
  if (n0 >= p.N || t0 >= step.T) { return; }
  var acc: array<array<f32, 4>, 4>;
  // Clamp rows so every load is in bounds; results of clamped rows are never stored.
  var nr: array<u32, 4>;
  var tr: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) { nr[j] = min(n0 + j, p.N - 1u) * p.K; tr[j] = min(t0 + j, step.T - 1u) * p.K; }
  for (var k = 0u; k < p.K; k++) {
    let w = vec4<f32>(load_W(nr[0] + k), load_W(nr[1] + k), load_W(nr[2] + k), load_W(nr[3] + k));
    for (var i = 0u; i < 4u; i++) {
      let xv = X[tr[i] + k];
      acc[i][0] += xv * w.x; acc[i][1] += xv * w.y; acc[i][2] += xv * w.z; acc[i][3] += xv * w.w;
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
