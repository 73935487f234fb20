// Decode, one token: the post-attention RMSNorm and the SiLU-gated MLP input in one dispatch (inference, no
// adapter on gate or up): act[i] = silu(inv · Wg[i]·(x ⊙ w)) · inv · Wu[i]·(x ⊙ w), inv = 1/sqrt(mean(x²) + eps),
// so the normalized h is never written. With nParts > 0, x is first x + Σ_h part[h] (the heads' shares of the
// attention output, attention_o.wgsl, summed in head order), and workgroup 0 writes r = Σ_h part[h]: the down
// projection adds it to x with its own output (its bias), which completes the residual adds.
// One thread per i, reading as vec4 along K (the emulators' form); the workgroup first stages x ⊙ w in workgroup
// memory and sums x² together. K a multiple of 4 and ≤ 4·MAXK4.
// Bindings: x [K] (as vec4), normW [K] (as vec4), Wg, Wu [I, K] row-major (as vec4), act [I], part [nParts, K]
// (as vec4; a dummy when nParts = 0), r [K] (as vec4; written when nParts > 0).
struct Params { I: u32, K: u32, eps: f32, nParts: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> Wg: array<vec4<f32>>; // #weights, read as load_Wg(i)
@group(0) @binding(5) var<storage, read> Wu: array<vec4<f32>>; // #weights, read as load_Wu(i)
@group(0) @binding(6) var<storage, read_write> act: array<f32>;
@group(0) @binding(7) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> r: array<vec4<f32>>;

const WG = 64u;
const MAXK4 = 960u; // K ≤ 3840: xs and red fill 15.25 KiB of the portable 16 KiB of workgroup memory
var<workgroup> red: array<f32, WG>;
var<workgroup> xs: array<vec4<f32>, MAXK4>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let K4 = p.K / 4u;
  var s = 0.0;
  for (var k = lid.x; k < K4; k += WG) {
    var v = x[k];
    if (p.nParts > 0u) {
      var d = part[k];
      for (var h = 1u; h < p.nParts; h++) { d += part[h * K4 + k]; }
      if (wid.x == 0u) { r[k] = d; }
      v += d;
    }
    s += dot(v, v);
    xs[k] = v * normW[k];
  }
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0] / f32(p.K) + p.eps);
  let i = wid.x * WG + lid.x;
  if (i >= p.I) { return; }
  let base = i * K4;
  var g0 = vec4<f32>(0.0);
  var u0 = vec4<f32>(0.0);
  var g1 = vec4<f32>(0.0);
  var u1 = vec4<f32>(0.0);
  let K8 = K4 & ~1u;
  for (var k = 0u; k < K8; k += 2u) {
    g0 += load_Wg(base + k) * xs[k];
    u0 += load_Wu(base + k) * xs[k];
    g1 += load_Wg(base + k + 1u) * xs[k + 1u];
    u1 += load_Wu(base + k + 1u) * xs[k + 1u];
  }
  if (K8 < K4) { g0 += load_Wg(base + K8) * xs[K8]; u0 += load_Wu(base + K8) * xs[K8]; }
  let g = g0 + g1;
  let u = u0 + u1;
  act[i] = silu(inv * ((g.x + g.y) + (g.z + g.w))) * (inv * ((u.x + u.y) + (u.z + u.w)));
}

// #include "_silu.wgsl"
