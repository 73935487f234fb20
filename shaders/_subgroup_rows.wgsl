// The subgroup GEMVs' inner product (matvec_subgroup, lora_matvec_up_subgroup): W[n0 .. n0+3]·x summed over the
// subgroup, lanes striding along K in vec4s; rows past N read the last row again (the caller does not write them).
// The including kernel declares x (array<vec4<f32>>), W read through load_W, SG, and includes _dot4.wgsl.
fn subgroupRows4(n0: u32, N: u32, K: u32, lane: u32) -> vec4<f32> {
  let K4 = K / 4u;
  let last = N - 1u;
  let r0 = n0 * K4;
  let r1 = min(n0 + 1u, last) * K4;
  let r2 = min(n0 + 2u, last) * K4;
  let r3 = min(n0 + 3u, last) * K4;
  var acc = vec4<f32>(0.0);
  for (var k = lane; k < K4; k += SG) {
    acc += dot4(x[k], load_W(r0 + k), load_W(r1 + k), load_W(r2 + k), load_W(r3 + k));
  }
  return subgroupAdd(acc);
}
