// Causal grouped-query attention over the KV cache, for prefill (T tokens) and decode (T = 1).
// One workgroup per (token t, query head h); query head h reads kv head h / (nHeads / nKVHeads).
// Token t sees cache positions [0, pos0 + t]. Scores are computed a chunk at a time into workgroup
// memory and folded into a running (max, sum, acc) — online softmax — so any context length fits.
// #include "_attention_bindings.wgsl"
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;      // head_dim up to 256
const DPT: u32 = MAXD / WG;  // output dims per thread
var<workgroup> q: array<f32, MAXD>;
var<workgroup> sc: array<f32, CHUNK>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let D = p.headDim;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let n = step.pos0 + t + 1u; // causal length
  for (var d = lid.x; d < D; d += WG) { q[d] = qkv[t * p.ldQKV + h * D + d]; }
  workgroupBarrier();

  var m = -3.0e38;
  var l = 0.0;
  var acc: array<f32, DPT>;
  for (var c0 = 0u; c0 < n; c0 += CHUNK) {
    let cn = min(CHUNK, n - c0);
    // scores for this chunk
    var lmax = -3.0e38;
    for (var j = lid.x; j < cn; j += WG) {
      let kb = (c0 + j) * kvDim + kvh * D;
      var s = 0.0;
      for (var d = 0u; d < D; d++) { s += q[d] * kCache[kb + d]; }
      s *= p.scale;
      sc[j] = s;
      lmax = max(lmax, s);
    }
    red[lid.x] = lmax;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x] = max(red[lid.x], red[lid.x + k]); }
      workgroupBarrier();
    }
    let mNew = max(m, red[0]);
    workgroupBarrier();
    var lsum = 0.0;
    for (var j = lid.x; j < cn; j += WG) { let e = exp(sc[j] - mNew); sc[j] = e; lsum += e; }
    red[lid.x] = lsum;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
      workgroupBarrier();
    }
    let corr = exp(m - mNew);
    l = l * corr + red[0];
    m = mNew;
    // each thread accumulates its own output dims over the chunk's positions
    for (var i = 0u; i < DPT; i++) {
      let d = lid.x + i * WG;
      if (d < D) {
        var a = acc[i] * corr;
        for (var j = 0u; j < cn; j++) { a += sc[j] * vCache[(c0 + j) * kvDim + kvh * D + d]; }
        acc[i] = a;
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DPT; i++) {
    let d = lid.x + i * WG;
    if (d < D) { out[t * p.nHeads * D + h * D + d] = acc[i] / l; }
  }
}
