// Included by the tiled attention backward kernels (attention_lse_tiled, attention_backward_{dq,dkv}_tiled),
// after _attention_tiles.wgsl: the output gradient dO [T, nHeads, headDim], and a block of BQ = 8 tokens'
// q and dO rows of one query head in workgroup memory (Q, G).
@group(0) @binding(5) var<storage, read> dO: array<f32>;

const BQ: u32 = 8u;
var<workgroup> Q: array<vec4<f32>, BQ * MAXD4>;
var<workgroup> G: array<vec4<f32>, BQ * MAXD4>;

fn dO4(b: u32) -> vec4<f32> { return vec4<f32>(dO[b], dO[b + 1u], dO[b + 2u], dO[b + 3u]); }

// Q, G ← q and dO of tokens t0 .. t0 + nQ − 1, query head h (zeros past nQ). All threads call it.
fn loadQG(lid: u32, t0: u32, nQ: u32, h: u32) {
  let D = p.headDim;
  let D4 = D / 4u;
  for (var e = lid; e < BQ * D4; e += WG) {
    let i = e / D4;
    let c = (e % D4) * 4u;
    Q[e] = select(vec4<f32>(0.0), q4((t0 + i) * p.ldQKV + h * D + c), i < nQ);
    G[e] = select(vec4<f32>(0.0), dO4(((t0 + i) * p.nHeads + h) * D + c), i < nQ);
  }
}

// (q_i · k_j, dO_i · v_j) for row i of the Q, G block and position jj of the K, V tile (unscaled)
fn dots(i: u32, jj: u32) -> vec2<f32> {
  let D4 = p.headDim / 4u;
  var s = vec2<f32>(0.0);
  for (var d = 0u; d < D4; d++) { s += vec2<f32>(dot(Q[i * D4 + d], K[jj * D4 + d]), dot(G[i * D4 + d], V[jj * D4 + d])); }
  return s;
}
