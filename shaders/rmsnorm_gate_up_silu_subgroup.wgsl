// rmsnorm_gate_up_silu on subgroups: one subgroup (the workgroup, SG lanes: see matvec_subgroup.wgsl) per eight
// outputs i0..i0+7 (rows Wg[i], Wu[i]), the lanes striding along K in vec4s so neighbours read neighbouring words;
// subgroupAdd sums the 16 dot products and x², with no workgroup memory and no barrier. Eight outputs, not two,
// because with nParts > 0 every workgroup first sums x + Σ_h part[h] over all of K: at two outputs a workgroup
// that read cost more than the weights (bench:kernels norm-decode). Workgroup 0 writes r = Σ_h part[h], as in
// rmsnorm_gate_up_silu.wgsl. K a multiple of 4.
enable subgroups;
// #include "_norm_gate_up.wgsl"
// #include "_dot4.wgsl"

override SG: u32 = 32u;
const OUTS = 8u;

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i0 = wid.x * OUTS;
  if (i0 >= p.I) { return; }
  let K4 = p.K / 4u;
  // outputs past I read the last row again; they are not written
  var rows: array<u32, OUTS>;
  for (var j = 0u; j < OUTS; j++) { rows[j] = min(i0 + j, p.I - 1u) * K4; }
  var g0 = vec4<f32>(0.0); // gate rows i0..i0+3
  var u0 = vec4<f32>(0.0); // up rows i0..i0+3
  var g1 = vec4<f32>(0.0); // gate rows i0+4..i0+7
  var u1 = vec4<f32>(0.0);
  var s = 0.0;
  for (var k = lane; k < K4; k += SG) {
    let xk = withParts(k, wid.x);
    s += dot(xk, xk);
    let h = xk * normW[k];
    g0 += dot4(h, load_Wg(rows[0] + k), load_Wg(rows[1] + k), load_Wg(rows[2] + k), load_Wg(rows[3] + k));
    u0 += dot4(h, load_Wu(rows[0] + k), load_Wu(rows[1] + k), load_Wu(rows[2] + k), load_Wu(rows[3] + k));
    g1 += dot4(h, load_Wg(rows[4] + k), load_Wg(rows[5] + k), load_Wg(rows[6] + k), load_Wg(rows[7] + k));
    u1 += dot4(h, load_Wu(rows[4] + k), load_Wu(rows[5] + k), load_Wu(rows[6] + k), load_Wu(rows[7] + k));
  }
  let inv = inverseSqrt(subgroupAdd(s) / f32(p.K) + p.eps);
  let g = array<vec4<f32>, 2>(subgroupAdd(g0) * inv, subgroupAdd(g1) * inv);
  let u = array<vec4<f32>, 2>(subgroupAdd(u0) * inv, subgroupAdd(u1) * inv);
  for (var j = lane; j < OUTS; j += SG) {
    if (i0 + j < p.I) { act[i0 + j] = silu(g[j / 4u][j % 4u]) * u[j / 4u][j % 4u]; }
  }
}

// #include "_silu.wgsl"
