// Decode projection with the adapter's up-projection fused in, K a multiple of 4 (T = 1):
//   y[nOff + n] (+)= W[n]·x (+ bias[n])  +  s · Σ_e c_e · B_e[n] · transform(U)
// where U = A·x was computed just before by lora_down.wgsl (R = nSeg·EA·r numbers). The variant between
// lora_matvec_vec4 (one dispatch, u computed per workgroup behind barriers) and the unfused trio: no
// workgroup barriers here, so the W·x loop runs exactly as matvec_vec4's. Modes and layouts as there.
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
// #include "_lora_up.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x + gid.y * 65535u * 64u;
  if (n >= p.N) { return; }
  var val = 0.0;
  if (p.hasBase != 0u) {
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
    let sv = a0 + a1;
    val = (sv.x + sv.y) + (sv.z + sv.w);
    if (p.hasBias != 0u) { val += bias[n]; }
  }
  val += loraUpDelta(n);
  let o = p.nOff + n;
  if (p.accumulate != 0u) { val += y[o]; }
  y[o] = val;
}
