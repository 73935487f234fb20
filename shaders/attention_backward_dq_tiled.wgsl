// attention_backward_dq.wgsl tiled: one workgroup per (query head h, block of BQ = 8 tokens), keys and
// values through workgroup memory BK = 16 positions at a time:
//   P_ij = exp(scale·q_i·k_j − lse_i),  dS_ij = P_ij·(dO_i·v_j − delta_i),  dq_i = scale·Σ_j dS_ij·k_j
// written into the q part of dqkv (fused qkv row layout). head_dim ≤ 64 and a multiple of 4.
// Output role: 16 × 4 threads, each 4 dims (a vec4) of 2 queries.
struct Params { headDim: u32, nHeads: u32, nKVHeads: u32, ldQKV: u32, scale: f32, _a: u32, _b: u32, _c: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<f32>;
@group(0) @binding(4) var<storage, read> vCache: array<f32>;
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dqkv: array<f32>;

const WG: u32 = 64u;
const BQ: u32 = 8u;
const BK: u32 = 16u;
const MAXD4: u32 = 16u;
var<workgroup> Q: array<vec4<f32>, BQ * MAXD4>;
var<workgroup> G: array<vec4<f32>, BQ * MAXD4>;
var<workgroup> K: array<vec4<f32>, BK * MAXD4>;
var<workgroup> V: array<vec4<f32>, BK * MAXD4>;
var<workgroup> dS: array<f32, BQ * BK>;
var<workgroup> lse: array<f32, BQ>;
var<workgroup> delta: array<f32, BQ>;

fn load4(buf: u32, b: u32) -> vec4<f32> {
  if (buf == 0u) { return vec4<f32>(qkv[b], qkv[b + 1u], qkv[b + 2u], qkv[b + 3u]); }
  if (buf == 1u) { return vec4<f32>(kCache[b], kCache[b + 1u], kCache[b + 2u], kCache[b + 3u]); }
  if (buf == 2u) { return vec4<f32>(vCache[b], vCache[b + 1u], vCache[b + 2u], vCache[b + 3u]); }
  return vec4<f32>(dO[b], dO[b + 1u], dO[b + 2u], dO[b + 3u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t0 = wid.y * BQ;
  let D = p.headDim;
  let D4 = D / 4u;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let nQ = min(BQ, step.T - t0);
  let nKeys = step.pos0 + t0 + nQ;
  for (var e = lid.x; e < BQ * D4; e += WG) {
    let i = e / D4;
    let c = (e % D4) * 4u;
    Q[e] = select(vec4<f32>(0.0), load4(0u, (t0 + i) * p.ldQKV + h * D + c), i < nQ);
    G[e] = select(vec4<f32>(0.0), load4(3u, ((t0 + i) * p.nHeads + h) * D + c), i < nQ);
  }
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
      var g = 0.0;
      for (var d = 0u; d < D4; d++) { s += dot(Q[i * D4 + d], K[jj * D4 + d]); g += dot(G[i * D4 + d], V[jj * D4 + d]); }
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
