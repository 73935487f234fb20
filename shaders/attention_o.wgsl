// Decode, one token: attention and the output projection of one query head per workgroup, so that neither waits for
// the other heads. Head h's output a_h [headDim] stays in workgroup memory, and the workgroup writes its share of
// Wo·a: part[h, n] = Wo[n, h·D : (h+1)·D]·a_h (+ bo[n] for head 0). The residual add happens where part is read:
// rmsnorm_gate_up_silu sums the heads' parts into x (in a fixed order, so the result does not depend on timing).
// headDim a multiple of 4 and ≤ MAXD.
// Bindings: qkv [qDim + 2·kvDim] (q read), kCache / vCache [maxContext, kvDim], Wo [H, qDim] row-major (as vec4),
// bo [H] (or a dummy), part [nHeads, H].
struct Params { headDim: u32, nHeads: u32, nKVHeads: u32, ldQKV: u32, scale: f32, H: u32, hasBias: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> kCache: array<f32>;
@group(0) @binding(4) var<storage, read> vCache: array<f32>;
@group(0) @binding(5) var<storage, read> Wo: array<vec4<f32>>; // #weights, read as load_Wo(i)
@group(0) @binding(6) var<storage, read> bo: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;      // head_dim up to 256
const DPT: u32 = MAXD / WG;  // output dims per thread
// #include "_attention_decode.wgsl"
var<workgroup> a: array<vec4<f32>, MAXD / 4u>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let o = attendHead(h, 0u, lid.x);
  let D = p.headDim;
  for (var i = 0u; i < DPT; i++) {
    let d = lid.x + i * WG;
    if (d < D) { a[d / 4u][d % 4u] = o[i]; }
  }
  workgroupBarrier();
  // one thread per row of Wo, reading that row's D contiguous weights of this head
  let D4 = D / 4u;
  let ld4 = p.nHeads * D4;
  for (var n = lid.x; n < p.H; n += WG) {
    let base = n * ld4 + h * D4;
    var s = vec4<f32>(0.0);
    for (var d = 0u; d < D4; d++) { s += load_Wo(base + d) * a[d]; }
    var v = (s.x + s.y) + (s.z + s.w);
    if (h == 0u && p.hasBias != 0u) { v += bo[n]; }
    part[h * p.H + n] = v;
  }
}
