// Decode projection with the adapter's up-projection fused in, K a multiple of 4 (T = 1):
//   y[nOff + n] (+)= W[n]·x (+ bias[n])  +  s · Σ_e c_e · B_e[n] · transform(U)
// where U = A·x was computed just before by lora_down.wgsl (R = nSeg·EA·r numbers). The variant between
// lora_matvec_vec4 (one dispatch, u computed per workgroup behind barriers) and the unfused trio: no
// workgroup barriers here, so the W·x loop runs exactly as matvec_vec4's. Modes and layouts as there.
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> U: array<f32>;
@group(0) @binding(7) var<storage, read> B: array<f32>;
@group(0) @binding(8) var<storage, read> cond: array<f32>;

fn segStart(s: u32) -> u32 { return select(select(p.s2, p.s1, s == 1u), p.s0, s == 0u); }
fn segLen(s: u32) -> u32 { return select(select(p.l2, p.l1, s == 1u), p.l0, s == 0u); }

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
  var bOff = 0u;
  for (var s = 0u; s < p.nSeg; s++) {
    let st = segStart(s);
    let len = segLen(s);
    if (n >= st && n < st + len) {
      var delta = 0.0;
      for (var e = 0u; e < p.E; e++) {
        var c = 1.0;
        if (p.mode == 3u) { c = cond[step.pos0 * p.E + e]; }
        if (c == 0.0) { continue; }
        let ub = (s * p.EA + select(0u, e, p.EA > 1u)) * p.r;
        let bb = bOff + (e * len + (n - st)) * p.r;
        var d = 0.0;
        for (var q = 0u; q < p.r; q++) {
          var vq = U[ub + q];
          if (p.mode == 1u) { vq *= cond[s * p.r + q]; }
          if (p.mode == 2u) {
            vq = 0.0;
            for (var l = 0u; l < p.r; l++) { vq += cond[(s * p.r + q) * p.r + l] * U[ub + l]; }
          }
          d += B[bb + q] * vq;
        }
        delta += c * d;
      }
      val += p.scale * delta;
    }
    bOff += p.E * len * p.r;
  }
  let o = p.nOff + n;
  if (p.accumulate != 0u) { val += y[o]; }
  y[o] = val;
}
