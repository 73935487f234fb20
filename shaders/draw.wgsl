// A sampled token drawn on the GPU from top-k's candidates, so the next decode step can be queued on it before this
// step's candidates are read back (the way greedy decoding queues on argmax.wgsl). It is the CPU sampler's draw
// (src/model/sampling.ts: weights relative to the largest, the top-p cut within the k, one uniform u over the kept
// mass) in f32, with the u the CPU's seeded generator gives this step. The CPU still draws from the same candidates
// in f64 and keeps its own token; where f32 rounding put u on the other side of a boundary the two differ and the
// queued step is run again with the CPU's token, so the tokens are the CPU path's for every seed.
// One invocation: k ≤ 256 candidates, two passes (microseconds).
// Bindings: pairs [2k] u32 as topk.wgsl writes them (index, logit bits; largest first), out [4] u32: out[0] the id.
struct Params { k: u32, invT: f32, topP: f32, u: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> pairs: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn weight(i: u32, m: f32) -> f32 {
  return exp((bitcast<f32>(pairs[2u * i + 1u]) - m) * p.invT);
}

@compute @workgroup_size(1)
fn main() {
  let m = bitcast<f32>(pairs[1]);
  var z = 0.0;
  for (var i = 0u; i < p.k; i++) { z += weight(i, m); }
  var keep = p.k;
  if (p.topP < 1.0) {
    var c = 0.0;
    for (var i = 0u; i < p.k; i++) {
      c += weight(i, m) / z;
      if (c >= p.topP) { keep = i + 1u; break; }
    }
  }
  var zk = 0.0;
  for (var i = 0u; i < keep; i++) { zk += weight(i, m); }
  var r = p.u * zk;
  var pick = keep - 1u;
  for (var i = 0u; i < keep; i++) {
    r -= weight(i, m);
    if (r <= 0.0) { pick = i; break; }
  }
  out[0] = pairs[2u * pick];
}
