// Included by the tiled attention kernels (`// #include "_attention_tiles.wgsl"`, after
// _attention_bindings.wgsl): 64 threads, rows read as vec4 (head_dim ≤ 4·MAXD4 = 64, a multiple of 4), and a
// tile of BK = 16 consecutive cache positions of one kv head in workgroup memory.
const WG: u32 = 64u;
const BK: u32 = 16u;
const MAXD4: u32 = 16u;
const NEG: f32 = -3.0e38; // a masked score: exp(NEG − m) = 0 with no inf − inf
var<workgroup> K: array<vec4<f32>, BK * MAXD4>;
var<workgroup> V: array<vec4<f32>, BK * MAXD4>;

fn q4(b: u32) -> vec4<f32> { return vec4<f32>(qkv[b], qkv[b + 1u], qkv[b + 2u], qkv[b + 3u]); }
fn k4(b: u32) -> vec4<f32> { return vec4<f32>(kCache[b], kCache[b + 1u], kCache[b + 2u], kCache[b + 3u]); }
fn v4(b: u32) -> vec4<f32> { return vec4<f32>(vCache[b], vCache[b + 1u], vCache[b + 2u], vCache[b + 3u]); }

// K, V ← cache positions k0 .. k0 + BK − 1 of kv head kvh (zeros from position `end` on). All threads call it.
fn loadKV(lid: u32, k0: u32, end: u32, kvh: u32) {
  let D4 = p.headDim / 4u;
  let kvDim = p.nKVHeads * p.headDim;
  for (var e = lid; e < BK * D4; e += WG) {
    let j = k0 + e / D4;
    let b = j * kvDim + kvh * p.headDim + (e % D4) * 4u;
    K[e] = select(vec4<f32>(0.0), k4(b), j < end);
    V[e] = select(vec4<f32>(0.0), v4(b), j < end);
  }
}
