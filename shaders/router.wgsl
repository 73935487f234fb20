// CUMA router, one workgroup per token t:
//   a     = ReLU(W1h · h[t] + c)            c = W1e · e_d + b1, computed once per condition on the CPU
//                                           (semantic-only routing: c = b1)
//   l     = W2 · a + b2                     N logits
//   g     = gating(l, k)                    written densely to gates[pos0 + t, :] (zeros off the top-k)
// gating 0 (the paper's Eq. 4): softmax over the top-k logits.
// gating 1 (the reference code):  softmax over all, keep the top-k probabilities, softmax those again.
// Top-k ties go to the lower expert index, as in the TypeScript reference.
struct Params { H: u32, R: u32, E: u32, k: u32, gating: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> h: array<f32>;
@group(0) @binding(3) var<storage, read> W1h: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read> W2: array<f32>;
@group(0) @binding(6) var<storage, read> b2: array<f32>;
@group(0) @binding(7) var<storage, read_write> gates: array<f32>;

const MAXR = 1024u;
const MAXE = 64u;
var<workgroup> a: array<f32, MAXR>;
var<workgroup> logits: array<f32, MAXE>;
// #include "_topk_gating.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = wid.x;
  let tid = lid.x;
  if (t >= step.T) { return; }
  for (var j = tid; j < p.R; j += 64u) {
    var s = c[j];
    for (var i = 0u; i < p.H; i++) { s += W1h[j * p.H + i] * h[t * p.H + i]; }
    a[j] = max(s, 0.0);
  }
  workgroupBarrier();
  for (var e = tid; e < p.E; e += 64u) {
    var s = b2[e];
    for (var j = 0u; j < p.R; j++) { s += W2[e * p.R + j] * a[j]; }
    logits[e] = s;
  }
  workgroupBarrier();
  if (tid != 0u) { return; }
  topkGates((step.pos0 + t) * p.E, p.E, p.k, p.gating);
}
