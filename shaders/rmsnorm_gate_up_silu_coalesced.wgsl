// rmsnorm_gate_up_silu for a GPU: one workgroup of 64 threads per two outputs i, i+1 (rows Wg[i], Wg[i+1], Wu[i],
// Wu[i+1]), the threads striding along K in vec4s so neighbours read neighbouring words (as matvec_coalesced);
// one tree in workgroup memory sums the 4 dot products and x² together. With nParts > 0, x is first x + Σ_h part[h]
// and workgroup 0 writes r = Σ_h part[h], as in rmsnorm_gate_up_silu.wgsl. K a multiple of 4.
// #include "_norm_gate_up.wgsl"
// #include "_dot4.wgsl"

const WG = 64u;
var<workgroup> dots: array<vec4<f32>, WG>;
var<workgroup> sq: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = wid.x * 2u;
  if (i0 >= p.I) { return; }
  let i1 = min(i0 + 1u, p.I - 1u); // an odd I's last workgroup computes its one output twice and writes it once
  let K4 = p.K / 4u;
  let r0 = i0 * K4;
  let r1 = i1 * K4;
  var acc = vec4<f32>(0.0); // (g[i0], g[i1], u[i0], u[i1])
  var s = 0.0;
  for (var k = lid.x; k < K4; k += WG) {
    let xk = withParts(k, wid.x);
    s += dot(xk, xk);
    acc += dot4(xk * normW[k], load_Wg(r0 + k), load_Wg(r1 + k), load_Wu(r0 + k), load_Wu(r1 + k));
  }
  dots[lid.x] = acc;
  sq[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { dots[lid.x] += dots[lid.x + k]; sq[lid.x] += sq[lid.x + k]; }
    workgroupBarrier();
  }
  let v = dots[0] * inverseSqrt(sq[0] / f32(p.K) + p.eps);
  if (lid.x == 0u) { act[i0] = silu(v.x) * v.z; }
  if (lid.x == 1u && i1 != i0) { act[i1] = silu(v.y) * v.w; }
}

// #include "_silu.wgsl"
