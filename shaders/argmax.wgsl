// Greedy decoding on the GPU: out[0] = the index of the largest of x[0..n), the lowest index among equal maxima
// (the CPU's argmax in src/model/sampling.ts), so a greedy step reads back 4 bytes instead of the vocabulary's logits.
// One workgroup: thread t reads x[t], x[t + 256], … (neighbouring threads, neighbouring addresses), then a tree
// reduction in workgroup memory. NaN never wins (the loader refuses non-finite weights).
struct Params { n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;     // [n] logits
@group(0) @binding(3) var<storage, read_write> out: array<u32>; // [4]: out[0] the argmax

const WG = 256u;
var<workgroup> bestV: array<f32, WG>;
var<workgroup> bestI: array<u32, WG>;

/** (v, i) beats (bv, bi): larger, or equal and earlier */
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var bv = bitcast<f32>(0xff7fffffu); // the lowest finite f32
  var bi = 0xffffffffu;
  for (var i = t; i < p.n; i += WG) {
    let v = x[i];
    if (beats(v, i, bv, bi)) { bv = v; bi = i; }
  }
  bestV[t] = bv;
  bestI[t] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s && beats(bestV[t + s], bestI[t + s], bestV[t], bestI[t])) {
      bestV[t] = bestV[t + s];
      bestI[t] = bestI[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) { out[0] = select(bestI[0], 0u, bestI[0] == 0xffffffffu); }
}
