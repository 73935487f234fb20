// Decode matrix-vector on subgroups: y[nOff + n] (+)= W[n]·x (+ bias[n]) for one token, K a multiple of 4.
// A workgroup is one subgroup (SG, the adapter's smallest subgroup size: 32 on NVIDIA, 8 on lavapipe, 4 on
// SwiftShader), so it needs no workgroup memory and no barrier: its lanes stride along K in vec4s over a block
// of ROWS rows (neighbouring lanes read neighbouring 16-byte words, coalesced), and subgroupAdd sums the lanes.
// Needs the `subgroups` feature (Kernels.matvecSubgroup checks it).
// Bindings: x [K] (as K/4 vec4), W [N, K] row-major (as vec4), bias [N] (or a dummy), y [*, ldY].
enable subgroups;
// #include "_linear_params.wgsl"
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
  let s = subgroupRows4(n0, p.N, p.K, lane);
  if (lane < ROWS) {
    let n = n0 + lane;
    if (n < p.N) {
      var v = s[lane];
      if (p.hasBias != 0u) { v += bias[n]; }
      let o = p.nOff + n;
      if (p.accumulate != 0u) { v += y[o]; }
      y[o] = v;
    }
  }
}
