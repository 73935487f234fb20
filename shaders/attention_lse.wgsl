// Row statistics for attention_backward_dq/dkv, one workgroup per (token t, query head h):
//   lse[t, h]   = log Σ_j exp(s_j),            s_j = scale · q_t,h · k_j   (j ≤ pos0 + t)
//   delta[t, h] = Σ_j P_j · (dO_t,h · v_j),    P_j = exp(s_j − lse)        (= dO · O, without needing O)
// written as stats[(t·nHeads + h)·2 + {0, 1}]. Both are folded chunk by chunk with a running max,
// as attention.wgsl does (online softmax), so any context length fits in workgroup memory.
// The backward kernels then rebuild any P_j = exp(s_j − lse) exactly, with no [T, S] matrix stored.
// #include "_attention_bindings.wgsl"
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;
var<workgroup> q: array<f32, MAXD>;
var<workgroup> g: array<f32, MAXD>; // dO of this (t, h)
var<workgroup> sc: array<f32, CHUNK>;
var<workgroup> red: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let D = p.headDim;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let n = step.pos0 + t + 1u; // causal length
  for (var d = lid.x; d < D; d += WG) {
    q[d] = qkv[t * p.ldQKV + h * D + d];
    g[d] = dO[(t * p.nHeads + h) * D + d];
  }
  workgroupBarrier();

  var m = -3.0e38;
  var l = 0.0;   // Σ exp(s_j − m)
  var dl = 0.0;  // Σ exp(s_j − m) · dP_j
  for (var c0 = 0u; c0 < n; c0 += CHUNK) {
    let cn = min(CHUNK, n - c0);
    var lmax = -3.0e38;
    var dp: array<f32, CHUNK / WG>; // this thread's dP_j for its positions of the chunk
    var jj = 0u;
    for (var j = lid.x; j < cn; j += WG) {
      let kb = (c0 + j) * kvDim + kvh * D;
      var s = 0.0;
      var e = 0.0;
      for (var d = 0u; d < D; d++) { s += q[d] * kCache[kb + d]; e += g[d] * vCache[kb + d]; }
      s *= p.scale;
      sc[j] = s;
      dp[jj] = e;
      jj++;
      lmax = max(lmax, s);
    }
    red[lid.x] = vec2<f32>(lmax, 0.0);
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x].x = max(red[lid.x].x, red[lid.x + k].x); }
      workgroupBarrier();
    }
    let mNew = max(m, red[0].x);
    workgroupBarrier();
    var part = vec2<f32>(0.0);
    jj = 0u;
    for (var j = lid.x; j < cn; j += WG) { let e = exp(sc[j] - mNew); part += vec2<f32>(e, e * dp[jj]); jj++; }
    red[lid.x] = part;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
      workgroupBarrier();
    }
    let corr = exp(m - mNew);
    l = l * corr + red[0].x;
    dl = dl * corr + red[0].y;
    m = mNew;
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let o = (t * p.nHeads + h) * 2u;
    stats[o] = m + log(l);
    stats[o + 1u] = dl / l;
  }
}
