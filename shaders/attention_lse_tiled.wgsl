// attention_lse.wgsl tiled as attention_tiled.wgsl: one workgroup per (query head h, block of BQ = 8 tokens),
// keys and values through workgroup memory BK = 16 positions at a time. Per (t, h):
//   lse   = log Σ_j exp(s_j)                  s_j = scale · q · k_j   (j ≤ pos0 + t)
//   delta = Σ_j P_j · (dO · v_j)              P_j = exp(s_j − lse)
// both folded with a running max: l ← l·c + Σ exp(s − m), δ ← δ·c + Σ exp(s − m)·(dO·v), delta = δ / l.
// stats[(t·nHeads + h)·2 + {0, 1}] = (lse, delta). head_dim ≤ 64 and a multiple of 4.
// #include "_attention_bindings.wgsl"
// #include "_attention_tiles.wgsl"
// #include "_attention_tiles_backward.wgsl"
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

var<workgroup> S: array<f32, BQ * BK>;
var<workgroup> E: array<f32, BQ * BK>; // dO_i · v_j

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
  // row statistics live in the registers of thread i < BQ
  var m = NEG;
  var l = 0.0;
  var dl = 0.0;
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
      S[e] = select(NEG, s * p.scale, k0 + jj <= step.pos0 + t0 + i);
      E[e] = g;
    }
    workgroupBarrier();
    if (lid.x < BQ) {
      let i = lid.x;
      var mt = m;
      for (var jj = 0u; jj < BK; jj++) { mt = max(mt, S[i * BK + jj]); }
      let c = exp(m - mt);
      var ls = 0.0;
      var ds = 0.0;
      for (var jj = 0u; jj < BK; jj++) { let w = exp(S[i * BK + jj] - mt); ls += w; ds += w * E[i * BK + jj]; }
      l = l * c + ls;
      dl = dl * c + ds;
      m = mt;
    }
  }
  if (lid.x < nQ) {
    let o = ((t0 + lid.x) * p.nHeads + h) * 2u;
    stats[o] = m + log(l);
    stats[o + 1u] = dl / l;
  }
}
