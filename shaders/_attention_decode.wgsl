// The attention of one (token t, query head h) over the KV cache, as one workgroup of WG threads: attention.wgsl's
// whole work, and the first part of attention_o.wgsl's. Query head h reads kv head h / (nHeads / nKVHeads); token
// t sees cache positions [0, pos0 + t]. Scores are computed a chunk at a time into workgroup memory and folded into a
// running (max, sum, acc), the online softmax, so any context length fits. The kernel declares p (headDim, nHeads,
// nKVHeads, ldQKV, scale), step, qkv, kCache, vCache, and the constants WG, CHUNK, MAXD and DPT = MAXD / WG.
var<workgroup> q: array<f32, MAXD>;
var<workgroup> sc: array<f32, CHUNK>;
var<workgroup> red: array<f32, WG>;

/** head h's output for token t at this thread's dims d = tid + i·WG (those < headDim) */
fn attendHead(h: u32, t: u32, tid: u32) -> array<f32, DPT> {
  let D = p.headDim;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let n = step.pos0 + t + 1u; // causal length
  for (var d = tid; d < D; d += WG) { q[d] = qkv[t * p.ldQKV + h * D + d]; }
  workgroupBarrier();

  var m = -3.0e38;
  var l = 0.0;
  var acc: array<f32, DPT>;
  for (var c0 = 0u; c0 < n; c0 += CHUNK) {
    let cn = min(CHUNK, n - c0);
    // scores for this chunk
    var lmax = -3.0e38;
    for (var j = tid; j < cn; j += WG) {
      let kb = (c0 + j) * kvDim + kvh * D;
      var s = 0.0;
      for (var d = 0u; d < D; d++) { s += q[d] * kCache[kb + d]; }
      s *= p.scale;
      sc[j] = s;
      lmax = max(lmax, s);
    }
    red[tid] = lmax;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (tid < k) { red[tid] = max(red[tid], red[tid + k]); }
      workgroupBarrier();
    }
    let mNew = max(m, red[0]);
    workgroupBarrier();
    var lsum = 0.0;
    for (var j = tid; j < cn; j += WG) { let e = exp(sc[j] - mNew); sc[j] = e; lsum += e; }
    red[tid] = lsum;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (tid < k) { red[tid] += red[tid + k]; }
      workgroupBarrier();
    }
    let corr = exp(m - mNew);
    l = l * corr + red[0];
    m = mNew;
    // each thread accumulates its own output dims over the chunk's positions
    for (var i = 0u; i < DPT; i++) {
      let d = tid + i * WG;
      if (d < D) {
        var a = acc[i] * corr;
        for (var j = 0u; j < cn; j++) { a += sc[j] * vCache[(c0 + j) * kvDim + kvh * D + d]; }
        acc[i] = a;
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DPT; i++) { acc[i] = acc[i] / l; }
  return acc;
}
