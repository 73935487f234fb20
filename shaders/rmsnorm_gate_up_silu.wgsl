// Decode, one token: the post-attention RMSNorm and the SiLU-gated MLP input in one dispatch (inference, no
// adapter on gate or up): act[i] = silu(inv · Wg[i]·(x ⊙ w)) · inv · Wu[i]·(x ⊙ w), inv = 1/sqrt(mean(x²) + eps),
// so the normalized h is never written. With nParts > 0, x is first x + Σ_h part[h] (the heads' shares of the
// attention output, attention_o.wgsl, summed in head order), and workgroup 0 writes r = Σ_h part[h]: the down
// projection adds it to x with its own output (its bias), which completes the residual adds.
// One thread per i, reading as vec4 along K (the emulators' form). K goes in tiles of TILE vec4s: the workgroup
// stages a tile of (x + Σ parts) ⊙ w in workgroup memory (the parts summed once per workgroup, not per thread) and
// each thread runs its rows over it; x² is summed on the way, and inv applied at the end. The tile is small on
// purpose: SwiftShader ran this kernel 2–3× slower with all of K (15 KiB) in workgroup memory. K a multiple of 4.
// #include "_norm_gate_up.wgsl"

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
      let v = withParts(k, wid.x);
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
