// attention_backward_dq.wgsl tiled: one workgroup per (query head h, block of BQ = 8 tokens), keys and
// values through workgroup memory BK = 16 positions at a time:
//   P_ij = exp(scale·q_i·k_j − lse_i),  dS_ij = P_ij·(dO_i·v_j − delta_i),  dq_i = scale·Σ_j dS_ij·k_j
// written into the q part of dqkv (fused qkv row layout). head_dim ≤ 64 and a multiple of 4.
// Output role: 16 × 4 threads, each 4 dims (a vec4) of 2 queries.
// #include "_attention_bindings.wgsl"
// #include "_attention_tiles.wgsl"
// #include "_attention_tiles_backward.wgsl"
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dqkv: array<f32>;

var<workgroup> dS: array<f32, BQ * BK>;
var<workgroup> lse: array<f32, BQ>;
var<workgroup> delta: array<f32, BQ>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t0 = wid.y * BQ;
  let D = p.headDim;
  let D4 = D / 4u;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let nQ = min(BQ, step.T - t0);
  let nKeys = step.pos0 + t0 + nQ;
  loadQG(lid.x, t0, nQ, h);
  if (lid.x < nQ) {
    let o = ((t0 + lid.x) * p.nHeads + h) * 2u;
    lse[lid.x] = stats[o];
    delta[lid.x] = stats[o + 1u];
  }
  let d4 = lid.x % MAXD4;
  let ig = lid.x / MAXD4; // queries 2·ig, 2·ig + 1
  var acc: array<vec4<f32>, 2>;
  for (var k0 = 0u; k0 < nKeys; k0 += BK) {
    workgroupBarrier();
    loadKV(lid.x, k0, nKeys, kvh);
    workgroupBarrier();
    for (var e = lid.x; e < BQ * BK; e += WG) {
      let i = e / BK;
      let jj = e % BK;
      let sg = dots(i, jj);
      let s = sg.x;
      let g = sg.y;
      let live = i < nQ && k0 + jj <= step.pos0 + t0 + i;
      dS[e] = select(0.0, exp(s * p.scale - lse[min(i, nQ - 1u)]) * (g - delta[min(i, nQ - 1u)]), live);
    }
    workgroupBarrier();
    if (d4 < D4) {
      for (var jj = 0u; jj < BK; jj++) {
        let k = K[jj * D4 + d4];
        acc[0] += dS[(ig * 2u) * BK + jj] * k;
        acc[1] += dS[(ig * 2u + 1u) * BK + jj] * k;
      }
    }
  }
  if (d4 < D4) {
    for (var u = 0u; u < 2u; u++) {
      let i = ig * 2u + u;
      if (i < nQ) {
        let o = (t0 + i) * p.ldQKV + h * D + d4 * 4u;
        let r = p.scale * acc[u];
        dqkv[o] = r.x; dqkv[o + 1u] = r.y; dqkv[o + 2u] = r.z; dqkv[o + 3u] = r.w;
      }
    }
  }
}
