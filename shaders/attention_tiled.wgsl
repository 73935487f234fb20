// Causal grouped-query attention for prefill and training, tiled: one workgroup per (query head h, block of
// BQ = 16 tokens). The block's queries are read once; the keys and values they see come through workgroup
// memory BK = 16 positions at a time and serve all 16 queries, folded into a running (max, sum, acc) per
// query (online softmax). attention.wgsl (one workgroup per token and head) stays the decode kernel: at
// T = 1 there is no block to share a tile with. Same bindings and result as attention.wgsl, for
// head_dim ≤ 64 and a multiple of 4 (rows are read as vec4).
// Scores S[i][j] = scale · q_i · k_j for key j ≤ pos0 + t_i (t_i = the block's i-th token).
// Thread roles: S is spread over all 64 threads (4 entries each); the softmax row statistics over 16
// threads (one per query); the output over 16 × 4 threads, each holding 4 dims (a vec4) of 4 queries.
struct Params { headDim: u32, nHeads: u32, nKVHeads: u32, ldQKV: u32, scale: f32, _a: u32, _b: u32, _c: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<f32>;
@group(0) @binding(4) var<storage, read> vCache: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
const BQ: u32 = 16u;
const BK: u32 = 16u;
const MAXD4: u32 = 16u;    // head_dim / 4 ≤ 16
const NEG: f32 = -3.0e38;  // a masked score: exp(NEG − m) = 0 with no inf − inf
var<workgroup> Q: array<vec4<f32>, BQ * MAXD4>;
var<workgroup> K: array<vec4<f32>, BK * MAXD4>;
var<workgroup> V: array<vec4<f32>, BK * MAXD4>;
var<workgroup> S: array<f32, BQ * BK>; // scores, then probabilities
var<workgroup> corr: array<f32, BQ>;   // exp(m_old − m_new) of each query for this tile
var<workgroup> rowM: array<f32, BQ>;
var<workgroup> rowL: array<f32, BQ>;

fn load4(buf: u32, b: u32) -> vec4<f32> {
  if (buf == 0u) { return vec4<f32>(qkv[b], qkv[b + 1u], qkv[b + 2u], qkv[b + 3u]); }
  if (buf == 1u) { return vec4<f32>(kCache[b], kCache[b + 1u], kCache[b + 2u], kCache[b + 3u]); }
  return vec4<f32>(vCache[b], vCache[b + 1u], vCache[b + 2u], vCache[b + 3u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t0 = wid.y * BQ;
  let D = p.headDim;
  let D4 = D / 4u;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let nQ = min(BQ, step.T - t0);       // tokens of this block (the last block may be short)
  let nKeys = step.pos0 + t0 + nQ;     // keys the block's last token sees
  for (var e = lid.x; e < BQ * D4; e += WG) {
    let i = e / D4;
    Q[e] = select(vec4<f32>(0.0), load4(0u, (t0 + i) * p.ldQKV + h * D + (e % D4) * 4u), i < nQ);
  }
  if (lid.x < BQ) { rowM[lid.x] = NEG; rowL[lid.x] = 0.0; }
  // output role: dims 4·d4 .. 4·d4 + 3 of queries 4·ig .. 4·ig + 3
  let d4 = lid.x % MAXD4;
  let ig = lid.x / MAXD4;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < nKeys; k0 += BK) {
    workgroupBarrier(); // Q and the row stats are written; the last tile's K, V, S are read
    for (var e = lid.x; e < BK * D4; e += WG) {
      let j = k0 + e / D4;
      let b = j * kvDim + kvh * D + (e % D4) * 4u;
      K[e] = select(vec4<f32>(0.0), load4(1u, b), j < nKeys);
      V[e] = select(vec4<f32>(0.0), load4(2u, b), j < nKeys);
    }
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
