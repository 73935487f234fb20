// Sampling on the GPU, its O(vocabulary) part: the k largest logits in the CPU sampler's order (larger first, equal
// ones by lower index: src/model/sampling.ts topK), out[2j] = the index and out[2j + 1] = the logit's bits of the
// j-th, so a sampled decode step reads back 8k bytes instead of the vocabulary's logits. The draw itself (softmax at
// the temperature, top-p, the seeded uniform) stays on the CPU over those k values, the same code as the CPU path,
// so both give the same token for the same seed.
// One workgroup; k rounds, each finding the largest element below the last one found (in that order): threads read
// strided (neighbours, neighbouring addresses), then a tree in workgroup memory. NaN never wins.
// Bindings: x [n] logits, out [2k] u32.
struct Params { n: u32, k: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG = 256u;
var<workgroup> bestV: array<f32, WG>;
var<workgroup> bestI: array<u32, WG>;
var<workgroup> prevV: f32;
var<workgroup> prevI: u32;

/** (v, i) comes before (bv, bi): larger, or equal and earlier */
fn before(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  for (var j = 0u; j < p.k; j++) {
    let pv = prevV;
    let pi = prevI;
    var bv = bitcast<f32>(0xff7fffffu); // the lowest finite f32, at no index: any logit comes before it
    var bi = 0xffffffffu;
    for (var i = t; i < p.n; i += WG) {
      let v = x[i];
      // only what comes after the last one found is left (round 0: everything)
      if ((j == 0u || before(pv, pi, v, i)) && before(v, i, bv, bi)) { bv = v; bi = i; }
    }
    bestV[t] = bv;
    bestI[t] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (t < s && before(bestV[t + s], bestI[t + s], bestV[t], bestI[t])) {
        bestV[t] = bestV[t + s];
        bestI[t] = bestI[t + s];
      }
      workgroupBarrier();
    }
    if (t == 0u) {
      out[2u * j] = bestI[0];
      out[2u * j + 1u] = bitcast<u32>(bestV[0]);
      prevV = bestV[0];
      prevI = bestI[0];
    }
    workgroupBarrier();
  }
}
