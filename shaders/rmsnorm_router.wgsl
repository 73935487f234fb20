// The input RMSNorm of a layer and CUMA's router in one dispatch, one workgroup per token t:
//   h[t] = x[t] / sqrt(mean(x[t]²) + eps) · w
//   gates[pos0 + t, :] = topk-gating(W2 · ReLU(W1h · h[t] + c) + b2)      (as router.wgsl)
// The router reads h[t] as it is computed (x · inv · w) rather than from the h buffer, so no storage
// barrier is needed, and the layer pays no extra dispatch for routing (on emulated WebGPU, and on small
// models on real GPUs, a dispatch costs more than the router's arithmetic).
struct Params { dim: u32, eps: f32, R: u32, E: u32, k: u32, gating: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> h: array<f32>;
@group(0) @binding(5) var<storage, read> W1h: array<f32>;
@group(0) @binding(6) var<storage, read> c: array<f32>;
@group(0) @binding(7) var<storage, read> W2: array<f32>;
@group(0) @binding(8) var<storage, read> b2: array<f32>;
@group(0) @binding(9) var<storage, read_write> gates: array<f32>;

const WG = 64u;
const MAXR = 1024u;
const MAXE = 64u;
var<workgroup> partial: array<f32, WG>;
var<workgroup> a: array<f32, MAXR>;
var<workgroup> logits: array<f32, MAXE>;
// #include "_topk_gating.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = wid.x;
  let tid = lid.x;
  if (t >= step.T) { return; }
  let H = p.dim;
  let xb = t * H;
  var s = 0.0;
  for (var i = tid; i < H; i += WG) { let v = x[xb + i]; s += v * v; }
  partial[tid] = s;
  workgroupBarrier();
  for (var q = WG / 2u; q > 0u; q >>= 1u) {
    if (tid < q) { partial[tid] += partial[tid + q]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(H) + p.eps);
  for (var i = tid; i < H; i += WG) { h[xb + i] = x[xb + i] * inv * w[i]; }

  for (var j = tid; j < p.R; j += WG) {
    var acc = 0.0;
    for (var i = 0u; i < H; i++) { acc += W1h[j * H + i] * (x[xb + i] * w[i]); }
    a[j] = max(c[j] + acc * inv, 0.0);
  }
  workgroupBarrier();
  for (var e = tid; e < p.E; e += WG) {
    var acc = b2[e];
    for (var j = 0u; j < p.R; j++) { acc += W2[e * p.R + j] * a[j]; }
    logits[e] = acc;
  }
  workgroupBarrier();
  if (tid != 0u) { return; }
  topkGates((step.pos0 + t) * p.E, p.E, p.k, p.gating);
}
