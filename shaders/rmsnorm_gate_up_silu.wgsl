// Decode, one token: the post-attention RMSNorm and the SiLU-gated MLP input in one dispatch (inference, no
// adapter on gate or up): act[i] = silu(inv · Wg[i]·(x ⊙ w)) · inv · Wu[i]·(x ⊙ w), inv = 1/sqrt(mean(x²) + eps),
// so the normalized h is never written. With nParts > 0, x is first x + Σ_h part[h] (the heads' shares of the
// attention output, attention_o.wgsl, summed in head order), and workgroup 0 writes r = Σ_h part[h]: the down
// projection adds it to x with its own output (its bias), which completes the residual adds.
// One thread per i, reading as vec4 along K (the emulators' form). K goes in tiles of TILE vec4s: the workgroup
// stages a tile of (x + Σ parts) ⊙ w in workgroup memory (the parts summed once per workgroup, not per thread) and
// each thread runs its rows over it; x² is summed on the way, and inv applied at the end. The tile is small on
// purpose: SwiftShader ran this kernel 2–3× slower with all of K (15 KiB) in workgroup memory. K a multiple of 4.
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
const TILE = 128u;
var<workgroup> red: array<f32, WG>;
var<workgroup> xs: array<vec4<f32>, TILE>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let K4 = p.K / 4u;
  let i = wid.x * WG + lid.x;
  let live = i < p.I;
  let base = i * K4;
  var s = 0.0;
  var g0 = vec4<f32>(0.0);
  var u0 = vec4<f32>(0.0);
  var g1 = vec4<f32>(0.0);
  var u1 = vec4<f32>(0.0);
  for (var t0 = 0u; t0 < K4; t0 += TILE) {
    let n = min(TILE, K4 - t0);
    for (var j = lid.x; j < n; j += WG) {
      let k = t0 + j;
      var v = x[k];
      if (p.nParts > 0u) {
        var d = part[k];
        for (var h = 1u; h < p.nParts; h++) { d += part[h * K4 + k]; }
        if (wid.x == 0u) { r[k] = d; }
        v += d;
      }
      s += dot(v, v);
      xs[j] = v * normW[k];
    }
    workgroupBarrier();
    if (live) {
      let b = base + t0;
      let n2 = n & ~1u;
      for (var j = 0u; j < n2; j += 2u) {
        g0 += load_Wg(b + j) * xs[j];
        u0 += load_Wu(b + j) * xs[j];
        g1 += load_Wg(b + j + 1u) * xs[j + 1u];
        u1 += load_Wu(b + j + 1u) * xs[j + 1u];
      }
      if (n2 < n) { g0 += load_Wg(b + n2) * xs[n2]; u0 += load_Wu(b + n2) * xs[n2]; }
    }
    workgroupBarrier();
  }
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  if (!live) { return; }
  let inv = inverseSqrt(red[0] / f32(p.K) + p.eps);
  let g = g0 + g1;
  let u = u0 + u1;
  act[i] = silu(inv * ((g.x + g.y) + (g.z + g.w))) * (inv * ((u.x + u.y) + (u.z + u.w)));
}

// #include "_silu.wgsl"
