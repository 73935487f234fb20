// Query gradient of causal GQA attention, one workgroup per (token t, query head h):
//   P_j  = exp(scale·q·k_j − lse)                 (lse, delta from attention_lse.wgsl)
//   dS_j = P_j · (dO·v_j − delta)                 (softmax backward)
//   dq   = scale · Σ_j dS_j · k_j                 written into the q part of dqkv[t, h·D ..]
// Chunked over the causal positions j ≤ pos0 + t like attention.wgsl: scores of a chunk go to workgroup
// memory, then each thread accumulates its own output dims. dqkv has the fused qkv row layout (ldQKV),
// so rope_backward and the qkv projection's backward read it in place.
// #include "_attention_bindings.wgsl"
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dqkv: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;
const DPT: u32 = MAXD / WG;
var<workgroup> q: array<f32, MAXD>;
var<workgroup> g: array<f32, MAXD>;
var<workgroup> ds: array<f32, CHUNK>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let D = p.headDim;
  let kvh = h / (p.nHeads / p.nKVHeads);
  let kvDim = p.nKVHeads * D;
  let n = step.pos0 + t + 1u;
  for (var d = lid.x; d < D; d += WG) {
    q[d] = qkv[t * p.ldQKV + h * D + d];
    g[d] = dO[(t * p.nHeads + h) * D + d];
  }
  let o = (t * p.nHeads + h) * 2u;
  let lse = stats[o];
  let delta = stats[o + 1u];
  workgroupBarrier();

  var acc: array<f32, DPT>;
  for (var c0 = 0u; c0 < n; c0 += CHUNK) {
    let cn = min(CHUNK, n - c0);
    for (var j = lid.x; j < cn; j += WG) {
      let kb = (c0 + j) * kvDim + kvh * D;
      var s = 0.0;
      var e = 0.0;
      for (var d = 0u; d < D; d++) { s += q[d] * kCache[kb + d]; e += g[d] * vCache[kb + d]; }
      ds[j] = exp(s * p.scale - lse) * (e - delta);
    }
    workgroupBarrier();
    for (var i = 0u; i < DPT; i++) {
      let d = lid.x + i * WG;
      if (d < D) {
        var a = acc[i];
        for (var j = 0u; j < cn; j++) { a += ds[j] * kCache[(c0 + j) * kvDim + kvh * D + d]; }
        acc[i] = a;
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DPT; i++) {
    let d = lid.x + i * WG;
    if (d < D) { dqkv[t * p.ldQKV + h * D + d] = p.scale * acc[i]; }
  }
}
