// rmsnorm_qkv_rope on subgroups: one subgroup (the workgroup, SG lanes: see matvec_subgroup.wgsl) per two pairs of
// rows (4 rows), the lanes striding along K in vec4s so neighbours read neighbouring words; subgroupAdd sums the
// 4 rows' dot products and x², with no workgroup memory and no barrier. H a multiple of 4; SG ≥ 2.
// Bindings: x [H] (as vec4), normW [H] (as vec4), W [qkvDim, H] row-major (as vec4); the rest in _norm_qkv.wgsl.
enable subgroups;
// #include "_step.wgsl"
// #include "_norm_qkv.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
// #include "_dot4.wgsl"

override SG: u32 = 32u;

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let j0 = wid.x * 2u;
  if (j0 >= nPairs()) { return; }
  let j1 = min(j0 + 1u, nPairs() - 1u); // an odd last pair computes its first pair twice and writes it once
  let H4 = p.H / 4u;
  let r0 = pairRows(j0) * H4;
  let r1 = pairRows(j1) * H4;
  var acc = vec4<f32>(0.0);
  var s = 0.0;
  for (var k = lane; k < H4; k += SG) {
    let xk = x[k];
    s += dot(xk, xk);
    acc += dot4(xk * normW[k], load_W(r0.x + k), load_W(r0.y + k), load_W(r1.x + k), load_W(r1.y + k));
  }
  let inv = inverseSqrt(subgroupAdd(s) / f32(p.H) + p.eps);
  let v = subgroupAdd(acc) * inv;
  if (lane == 0u) { finishPair(j0, v.x, v.y); }
  if (lane == 1u && j1 != j0) { finishPair(j1, v.z, v.w); }
}
