// Causal grouped-query attention for prefill and training, tiled: one workgroup per (query head h, block of
// BQ = 16 tokens). The block's queries are read once; the keys and values they see come through workgroup
// memory BK = 16 positions at a time and serve all 16 queries, folded into a running (max, sum, acc) per
// query (online softmax). attention.wgsl (one workgroup per token and head) stays the decode kernel: at
// T = 1 there is no block to share a tile with. Same bindings and result as attention.wgsl, for
// head_dim ≤ 64 and a multiple of 4 (rows are read as vec4).
// Scores S[i][j] = scale · q_i · k_j for key j ≤ pos0 + t_i (t_i = the block's i-th token).
// Thread roles: S is spread over all 64 threads (4 entries each); the softmax row statistics over 16
// threads (one per query); the output over 16 × 4 threads, each holding 4 dims (a vec4) of 4 queries.
// #include "_attention_bindings.wgsl"
// #include "_attention_tiles.wgsl"
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const BQ: u32 = 16u;
var<workgroup> Q: array<vec4<f32>, BQ * MAXD4>;
var<workgroup> S: array<f32, BQ * BK>; // scores, then probabilities
var<workgroup> corr: array<f32, BQ>;   // exp(m_old − m_new) of each query for this tile
var<workgroup> rowM: array<f32, BQ>;
var<workgroup> rowL: array<f32, BQ>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t0 = wid.y * BQ;
  let D = p.headDim;
  let D4 = D / 4u;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let nQ = min(BQ, step.T - t0);       // tokens of this block (the last block may be short)
  let nKeys = step.pos0 + t0 + nQ;     // keys the block's last token sees
  for (var e = lid.x; e < BQ * D4; e += WG) {
    let i = e / D4;
    Q[e] = select(vec4<f32>(0.0), q4((t0 + i) * p.ldQKV + h * D + (e % D4) * 4u), i < nQ);
  }
  if (lid.x < BQ) { rowM[lid.x] = NEG; rowL[lid.x] = 0.0; }
  // output role: dims 4·d4 .. 4·d4 + 3 of queries 4·ig .. 4·ig + 3
  let d4 = lid.x % MAXD4;
  let ig = lid.x / MAXD4;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < nKeys; k0 += BK) {
    workgroupBarrier(); // Q and the row stats are written; the last tile's K, V, S are read
    loadKV(lid.x, k0, nKeys, kvh);
    workgroupBarrier();
    for (var e = lid.x; e < BQ * BK; e += WG) {
      let i = e / BK;
      let jj = e % BK;
      var s = 0.0;
      for (var d = 0u; d < D4; d++) { s += dot(Q[i * D4 + d], K[jj * D4 + d]); }
      S[e] = select(NEG, s * p.scale, k0 + jj <= step.pos0 + t0 + i);
    }
    workgroupBarrier();
    if (lid.x < BQ) {
      let i = lid.x;
      var mt = rowM[i];
      for (var jj = 0u; jj < BK; jj++) { mt = max(mt, S[i * BK + jj]); }
      var l = 0.0;
      for (var jj = 0u; jj < BK; jj++) { let e = exp(S[i * BK + jj] - mt); S[i * BK + jj] = e; l += e; }
      let c = exp(rowM[i] - mt);
      corr[i] = c;
      rowL[i] = rowL[i] * c + l;
      rowM[i] = mt;
    }
    workgroupBarrier();
    if (d4 < D4) {
      for (var u = 0u; u < 4u; u++) { acc[u] *= corr[ig * 4u + u]; }
      for (var jj = 0u; jj < BK; jj++) {
        let v = V[jj * D4 + d4];
        for (var u = 0u; u < 4u; u++) { acc[u] += S[(ig * 4u + u) * BK + jj] * v; }
      }
    }
  }
  workgroupBarrier();
  if (d4 < D4) {
    for (var u = 0u; u < 4u; u++) {
      let i = ig * 4u + u;
      if (i < nQ) {
        let o = ((t0 + i) * p.nHeads + h) * D + d4 * 4u;
        let r = acc[u] / rowL[i];
        out[o] = r.x; out[o + 1u] = r.y; out[o + 2u] = r.z; out[o + 3u] = r.w;
      }
    }
  }
}
