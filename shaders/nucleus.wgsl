// Sampling on the GPU for top-p without top-k: the nucleus's candidates, so a sampled step reads back a few KB
// instead of the vocabulary's logits. The draw stays on the CPU (src/model/sampling.ts drawNucleus), which takes
// the cut only where it is certainly the CPU path's and otherwise reads the logits back.
// One workgroup, in the logits' own scale u = (x − m)·invT ≤ 0 (m the largest logit, invT = 1/temperature):
//   1. m, and Z = Σ exp(u) over the whole vocabulary (f32; the CPU path's f64 sum differs by rounding only)
//   2. τ by bisection on [−90, 0] (exp(−90) is below f32's normal range): the largest τ whose candidates {u ≥ τ}
//      hold at least min(1, topP + SLACK)·Z of the mass (everything, τ = −inf, where the cut needs all of it)
//   3. the candidates, unordered: out[4 + 2j] = index, out[5 + 2j] = the logit's bits
// out[0] = the candidates' count, or 0xffffffff where it is over cap; out[1] = m, out[2] = Z, out[3] = τ (as bits).
// Threads read strided (neighbours, neighbouring addresses); sums and maxima are trees in workgroup memory.
// Bindings: x [n] logits, out [4 + 2·cap] u32.
struct Params { n: u32, cap: u32, invT: f32, topP: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG = 256u;
const SLACK = 1e-3;
const STEPS = 24u;
var<workgroup> tree: array<f32, WG>;
var<workgroup> count: atomic<u32>;

fn treeSum(t: u32, v: f32) -> f32 {
  tree[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { tree[t] += tree[t + s]; }
    workgroupBarrier();
  }
  // uniform, so that the bisection's branches (which call mass(), with barriers) stay in uniform control flow
  let r = workgroupUniformLoad(&tree[0]);
  workgroupBarrier();
  return r;
}

fn treeMax(t: u32, v: f32) -> f32 {
  tree[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { tree[t] = max(tree[t], tree[t + s]); }
    workgroupBarrier();
  }
  // uniform, so that the bisection's branches (which call mass(), with barriers) stay in uniform control flow
  let r = workgroupUniformLoad(&tree[0]);
  workgroupBarrier();
  return r;
}

/** Σ exp(u) over the u ≥ tau (all: tau = −inf) */
fn mass(t: u32, m: f32, tau: f32) -> f32 {
  var s = 0.0;
  for (var i = t; i < p.n; i += WG) {
    let u = (x[i] - m) * p.invT;
    if (u >= tau) { s += exp(u); }
  }
  return treeSum(t, s);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var mx = bitcast<f32>(0xff7fffffu);
  for (var i = t; i < p.n; i += WG) { mx = max(mx, x[i]); }
  let m = treeMax(t, mx);
  let lowest = bitcast<f32>(0xff7fffffu);
  let Z = mass(t, m, lowest);
  let goal = min(1.0, p.topP + SLACK) * Z;
  var lo = lowest;
  var hi = 0.0;
  if (goal < Z && mass(t, m, -90.0) >= goal) {
    lo = -90.0;
    for (var s = 0u; s < STEPS; s++) {
      let mid = 0.5 * (lo + hi);
      if (mass(t, m, mid) >= goal) { lo = mid; } else { hi = mid; }
    }
  }
  if (t == 0u) { atomicStore(&count, 0u); }
  workgroupBarrier();
  for (var i = t; i < p.n; i += WG) {
    let v = x[i];
    if ((v - m) * p.invT >= lo) {
      let j = atomicAdd(&count, 1u);
      if (j < p.cap) {
        out[4u + 2u * j] = i;
        out[5u + 2u * j] = bitcast<u32>(v);
      }
    }
  }
  workgroupBarrier();
  if (t == 0u) {
    let c = atomicLoad(&count);
    out[0] = select(0xffffffffu, c, c <= p.cap);
    out[1] = bitcast<u32>(m);
    out[2] = bitcast<u32>(Z);
    out[3] = bitcast<u32>(lo);
  }
}
