// attention_backward_dkv.wgsl tiled: one workgroup per (kv head, block of BK = 16 cache positions), looping
// over the query heads of its group and the tokens that see the block, BQ = 8 at a time through workgroup
// memory (no atomics: each workgroup owns its positions):
//   dK_j = scale · Σ_(t,h) dS_tj · q_t,h      dV_j = Σ_(t,h) P_tj · dO_t,h
// with P, dS as in attention_backward_dq_tiled.wgsl. Blocks past the grid's y size are taken in a
// stride loop, so a grid built for fewer positions still covers all pos0 + T.
// Output role: 16 × 4 threads, each 4 dims (a vec4) of 4 positions. head_dim ≤ 64 and a multiple of 4.
// #include "_attention_bindings.wgsl"
// #include "_attention_tiles.wgsl"
// #include "_attention_tiles_backward.wgsl"
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dK: array<f32>;
@group(0) @binding(8) var<storage, read_write> dV: array<f32>;

var<workgroup> P: array<f32, BQ * BK>;
var<workgroup> dS: array<f32, BQ * BK>;
var<workgroup> lse: array<f32, BQ>;
var<workgroup> delta: array<f32, BQ>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kvh = wid.x;
  let D = p.headDim;
  let D4 = D / 4u;
  let grp = p.nHeads / p.nKVHeads;
  let kvDim = p.nKVHeads * D;
  let S = step.pos0 + step.T;
  let d4 = lid.x % MAXD4;
  let jg = lid.x / MAXD4; // positions 4·jg .. 4·jg + 3 of the block
  for (var k0 = wid.y * BK; k0 < S; k0 += nwg.y * BK) {
    let nK = min(BK, S - k0);
    workgroupBarrier(); // the previous block's outputs are written from registers only; its tiles are done
    loadKV(lid.x, k0, S, kvh);
    var dk: array<vec4<f32>, 4>;
    var dv: array<vec4<f32>, 4>;
    for (var u = 0u; u < 4u; u++) { dk[u] = vec4<f32>(0.0); dv[u] = vec4<f32>(0.0); } // per block
    // the first token that sees position k0 is k0 − pos0 (every token when k0 ≤ pos0)
    let tFirst = select(0u, k0 - step.pos0, k0 > step.pos0);
    for (var hh = 0u; hh < grp; hh++) {
      let h = kvh * grp + hh;
      for (var t0 = tFirst - tFirst % BQ; t0 < step.T; t0 += BQ) {
        let nQ = min(BQ, step.T - t0);
        workgroupBarrier(); // K, V are loaded; the last tile's Q, G, P, dS are read
        loadQG(lid.x, t0, nQ, h);
        if (lid.x < nQ) {
          let o = ((t0 + lid.x) * p.nHeads + h) * 2u;
          lse[lid.x] = stats[o];
          delta[lid.x] = stats[o + 1u];
        }
        workgroupBarrier();
        for (var e = lid.x; e < BQ * BK; e += WG) {
          let i = e / BK;
          let jj = e % BK;
          let sg = dots(i, jj);
          let s = sg.x;
          let g = sg.y;
          let live = i < nQ && jj < nK && k0 + jj <= step.pos0 + t0 + i;
          let r = min(i, nQ - 1u);
          let pr = select(0.0, exp(s * p.scale - lse[r]), live);
          P[e] = pr;
          dS[e] = pr * (g - delta[r]);
        }
        workgroupBarrier();
        if (d4 < D4) {
          for (var i = 0u; i < BQ; i++) {
            let q = Q[i * D4 + d4];
            let go = G[i * D4 + d4];
            for (var u = 0u; u < 4u; u++) {
              let jj = jg * 4u + u;
              dk[u] += dS[i * BK + jj] * q;
              dv[u] += P[i * BK + jj] * go;
            }
          }
        }
      }
    }
    if (d4 < D4) {
      for (var u = 0u; u < 4u; u++) {
        let jj = jg * 4u + u;
        if (jj < nK) {
          let o = (k0 + jj) * kvDim + kvh * D + d4 * 4u;
          let a = p.scale * dk[u];
          dK[o] = a.x; dK[o + 1u] = a.y; dK[o + 2u] = a.z; dK[o + 3u] = a.w;
          dV[o] = dv[u].x; dV[o + 1u] = dv[u].y; dV[o + 2u] = dv[u].z; dV[o + 3u] = dv[u].w;
        }
      }
    }
  }
}
