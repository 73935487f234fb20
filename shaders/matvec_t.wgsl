// Decode matrix-vector on a transposed weight: y[nOff + n] (+)= Σ_k Wt[k, n]·x[k] (+ bias[n]), Wt = Wᵀ [K, N].
// Neighbouring threads own neighbouring outputs, so each step of the k loop reads one contiguous run of
// Wt: coalesced on a GPU, one vector load per SIMD group on CPU drivers (SwiftShader, lavapipe).
// Competes with matvec.wgsl (row per thread on [N, K]), whose loads are strided by K across threads.
// #include "_linear_params.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> Wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * 65535u * 64u;
  if (n >= p.N) { return; }
  var a0 = 0.0; var a1 = 0.0;
  let K2 = p.K & ~1u;
  for (var k = 0u; k < K2; k += 2u) {
    a0 += Wt[k * p.N + n] * x[k];
    a1 += Wt[(k + 1u) * p.N + n] * x[k + 1u];
  }
  if (K2 < p.K) { a0 += Wt[K2 * p.N + n] * x[K2]; }
  var v = a0 + a1;
  if (p.hasBias != 0u) { v += bias[n]; }
  let o = p.nOff + n;
  if (p.accumulate != 0u) { v += y[o]; }
  y[o] = v;
}
