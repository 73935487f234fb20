// Input gradient of a frozen linear layer y = x·Wᵀ (W a Hugging Face Linear weight [N, K] row-major):
//   dX[t, k] (+)= Σ_n dY[t, dyOff + n] · W[n, k]
// This is a matmul whose reduction runs over W's rows, so the 4 weights a thread needs per n are
// contiguous (same trick as matmul_t.wgsl). `accumulate` adds into dX: residual branches, and the several
// consumers of one activation (fused qkv rows, gate and up, LoRA's own path, lm_head's row chunks).
// dY may be a column window of a wider buffer (ldDY, dyOff): gate/up halves of [T, 2I], lm_head chunks.
// Register tile as matmul.wgsl: each thread owns 4 tokens × 4 input columns.
struct Params { K: u32, N: u32, ldDY: u32, dyOff: u32, accumulate: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read_write> dX: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k0 = gid.x * 4u;
  let t0 = gid.y * 4u;
  if (k0 >= p.K || t0 >= step.T) { return; }
  var acc: array<vec4<f32>, 4>; // acc[i][j]: token t0+i, column k0+j
  // Clamp so every load is in bounds; clamped results are never stored.
  var kc: array<u32, 4>;
  var tr: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) { kc[j] = min(k0 + j, p.K - 1u); tr[j] = min(t0 + j, step.T - 1u) * p.ldDY + p.dyOff; }
  for (var n = 0u; n < p.N; n++) {
    let r = n * p.K;
    let w = vec4<f32>(load_W(r + kc[0]), load_W(r + kc[1]), load_W(r + kc[2]), load_W(r + kc[3]));
    for (var i = 0u; i < 4u; i++) { acc[i] += dY[tr[i] + n] * w; }
  }
  for (var i = 0u; i < 4u; i++) {
    let t = t0 + i;
    if (t >= step.T) { break; }
    for (var j = 0u; j < 4u; j++) {
      let k = k0 + j;
      if (k >= p.K) { break; }
      let o = t * p.K + k;
      var v = acc[i][j];
      if (p.accumulate != 0u) { v += dX[o]; }
      dX[o] = v;
    }
  }
}
