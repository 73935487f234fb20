// Rotary position embedding (rotate_half form, as Hugging Face Llama/Qwen), in place on the fused qkv rows.
// One workgroup per (token, head) over the first `nHeads` heads of each row (q heads then k heads).
// Qwen3 first applies a per-head RMSNorm to q and k (`qkNorm`): weights qNorm for q heads, kNorm for k heads.
// With savePre (training), the heads' values before that norm go to pre[t, head, :] for its backward
// (rope_norm_backward.wgsl), since the norm and rotation here overwrite them.
// With appendKV (inference), the k heads also go, rotated, to the layer's KV cache at pos0 + t, and the v heads are
// copied there: the KV append in the same dispatch (kv_append.wgsl stays for training, whose backward reads it).
// cosSin[pos][i] = (cos, sin) of pos·invFreq[i], computed on the CPU in double precision (with any
// Llama-3 scaling): GPU sin/cos of large angles are too coarse for 1e-4 agreement with the reference.
struct Params { headDim: u32, nHeads: u32, nQHeads: u32, ldQKV: u32, qkNorm: u32, eps: f32, savePre: u32, appendKV: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> cosSin: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<f32>; // [2, headDim]: q norm then k norm
@group(0) @binding(4) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(5) var<storage, read_write> pre: array<f32>; // [T, nHeads, headDim] when savePre
@group(0) @binding(6) var<storage, read_write> kCache: array<f32>; // [maxContext, (nHeads − nQHeads)·headDim] when appendKV
@group(0) @binding(7) var<storage, read_write> vCache: array<f32>; // the same shape

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let head = wid.x;
  let t = wid.y;
  let base = t * p.ldQKV + head * p.headDim;
  let half = p.headDim / 2u;
  var scale = 1.0;
  if (p.qkNorm != 0u) {
    var s = 0.0;
    for (var i = lid.x; i < p.headDim; i += WG) { let v = qkv[base + i]; s += v * v; }
    partial[lid.x] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { partial[lid.x] += partial[lid.x + k]; }
      workgroupBarrier();
    }
    scale = inverseSqrt(partial[0] / f32(p.headDim) + p.eps);
  }
  let wOff = select(p.headDim, 0u, head < p.nQHeads);
  let row = (step.pos0 + t) * half;
  for (var i = lid.x; i < half; i += WG) {
    var x1 = qkv[base + i];
    var x2 = qkv[base + i + half];
    if (p.savePre != 0u) {
      let o = (t * p.nHeads + head) * p.headDim + i;
      pre[o] = x1;
      pre[o + half] = x2;
    }
    if (p.qkNorm != 0u) {
      x1 = x1 * scale * normW[wOff + i];
      x2 = x2 * scale * normW[wOff + i + half];
    }
    let cs = cosSin[row + i];
    let c = cs.x;
    let s = cs.y;
    let y1 = x1 * c - x2 * s;
    let y2 = x2 * c + x1 * s;
    qkv[base + i] = y1;
    qkv[base + i + half] = y2;
    if (p.appendKV != 0u && head >= p.nQHeads) {
      let kvDim = (p.nHeads - p.nQHeads) * p.headDim;
      let dst = (step.pos0 + t) * kvDim + (head - p.nQHeads) * p.headDim + i;
      kCache[dst] = y1;
      kCache[dst + half] = y2;
    }
  }
  if (p.appendKV != 0u && head >= p.nQHeads) {
    // this k head's v head, copied as it is
    let kvDim = (p.nHeads - p.nQHeads) * p.headDim;
    let kvh = (head - p.nQHeads) * p.headDim;
    let src = t * p.ldQKV + p.nHeads * p.headDim + kvh;
    let dst = (step.pos0 + t) * kvDim + kvh;
    for (var i = lid.x; i < p.headDim; i += WG) { vCache[dst + i] = qkv[src + i]; }
  }
}
