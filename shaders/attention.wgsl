// Causal grouped-query attention over the KV cache, for prefill (T tokens) and decode (T = 1): one workgroup per
// (token t, query head h), each running _attention_decode.wgsl's attendHead.
// #include "_attention_bindings.wgsl"
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
const CHUNK: u32 = 256u;
const MAXD: u32 = 256u;      // head_dim up to 256
const DPT: u32 = MAXD / WG;  // output dims per thread
// #include "_attention_decode.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let o = attendHead(h, t, lid.x);
  let D = p.headDim;
  for (var i = 0u; i < DPT; i++) {
    let d = lid.x + i * WG;
    if (d < D) { out[t * p.nHeads * D + h * D + d] = o[i]; }
  }
}
