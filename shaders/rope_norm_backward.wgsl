// Gradient of rope.wgsl with Qwen3's per-head q/k RMSNorm, in place on the fused dqkv rows. The forward is
//   y = RMSNorm(x)·w = x̂ ⊙ w, x̂ = x / r, r = sqrt(mean(x²) + eps),   then RoPE(y)
// so, per (token, head), with dy the gradient of the rotated output:
//   dŷ = RoPEᵀ(dy)  (the rotation by the opposite angle, as rope_backward.wgsl)
//   g  = w ⊙ dŷ,    dx = (g − x̂ · mean(x̂ ⊙ g)) / r
// x is the head's value before the norm, which rope.wgsl saved to pre[t, head, :] (savePre).
// One workgroup per (head, token), like rope.wgsl; q heads use w = normW[0..D), k heads normW[D..2D).
struct Params { headDim: u32, nHeads: u32, nQHeads: u32, ldQKV: u32, eps: f32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> cosSin: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<f32>;
@group(0) @binding(4) var<storage, read> pre: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

const WG: u32 = 64u;
var<workgroup> red: array<vec2<f32>, WG>; // (Σ x², Σ x·g)

// g = w ⊙ RoPEᵀ(dy) for the pair (i, i + D/2) at dqkv[d], dqkv[d + half]: cos/sin at cs, weights at w
fn gradIn(d: u32, half: u32, cs: u32, w: u32) -> vec2<f32> {
  let c = cosSin[cs];
  let dy1 = dqkv[d];
  let dy2 = dqkv[d + half];
  return vec2<f32>((dy1 * c.x + dy2 * c.y) * normW[w], (dy2 * c.x - dy1 * c.y) * normW[w + half]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let head = wid.x;
  let t = wid.y;
  let D = p.headDim;
  let half = D / 2u;
  let b = t * p.ldQKV + head * D;
  let xb = (t * p.nHeads + head) * D;
  let wOff = select(D, 0u, head < p.nQHeads);
  let row = (step.pos0 + t) * half;
  // pass 1: Σ x² and Σ x·g with g = w ⊙ RoPEᵀ(dy) (x̂·g = x·g / r, so r can come after)
  var acc = vec2<f32>(0.0);
  for (var i = lid.x; i < half; i += WG) {
    let g = gradIn(b + i, half, row + i, wOff + i);
    let x1 = pre[xb + i];
    let x2 = pre[xb + i + half];
    acc += vec2<f32>(x1 * x1 + x2 * x2, x1 * g.x + x2 * g.y);
  }
  red[lid.x] = acc;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0].x / f32(D) + p.eps); // 1 / r
  let m = red[0].y * inv / f32(D);                  // mean(x̂ ⊙ g)
  // pass 2: each thread rewrites the pairs it read (no other thread touches them)
  for (var i = lid.x; i < half; i += WG) {
    let g = gradIn(b + i, half, row + i, wOff + i);
    dqkv[b + i] = (g.x - pre[xb + i] * inv * m) * inv;
    dqkv[b + i + half] = (g.y - pre[xb + i + half] * inv * m) * inv;
  }
}
