// lora_matvec_up_vec4 on subgroups (T = 1, K a multiple of 4):
//   y[nOff + n] (+)= W[n]·x (+ bias[n])  +  s · Σ_e c_e · B_e[n] · transform(U)
// W·x as matvec_subgroup.wgsl (one subgroup per 4 rows, lanes striding along K, subgroupAdd, no barrier); then
// lanes 0..3 add their row's adapter term, from U = A·x (lora_down.wgsl) as in lora_matvec_up_vec4.wgsl.
// Needs the `subgroups` feature and SG ≥ 4 (Kernels.loraMatvecUpSubgroup).
enable subgroups;
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
// #include "_lora_up.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
// #include "_dot4.wgsl"
// #include "_subgroup_rows.wgsl"

override SG: u32 = 32u;
const ROWS = 4u;

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let n0 = (wid.x + wid.y * 65535u) * ROWS;
  if (n0 >= p.N) { return; }
  var s = vec4<f32>(0.0);
  if (p.hasBase != 0u) { s = subgroupRows4(n0, p.N, p.K, lane); }
  if (lane < ROWS) {
    let n = n0 + lane;
    if (n < p.N) {
      var val = s[lane];
      if (p.hasBase != 0u && p.hasBias != 0u) { val += bias[n]; }
      val += loraUpDelta(n);
      let o = p.nOff + n;
      if (p.accumulate != 0u) { val += y[o]; }
      y[o] = val;
    }
  }
}
