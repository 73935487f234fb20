// Decode, one token: the input RMSNorm, the q|k|v projection, RoPE and the KV append in one dispatch
// (inference, no adapter on qkv, no per-head q/k norm). h = x / sqrt(mean(x²) + eps) ⊙ w, so
// W·h = inv · W·(x ⊙ w): the norm's scalar inv is applied to the dot products, and h is never written.
// One thread per pair of rows (_norm_qkv.wgsl), reading W as vec4 along K like matvec_vec4 (the emulators' GEMV);
// the workgroup first sums x² together. H a multiple of 4.
// Bindings: x [H] (as vec4), normW [H] (as vec4), W [qkvDim, H] row-major (as vec4); the rest in _norm_qkv.wgsl.
// #include "_step.wgsl"
// #include "_norm_qkv.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)

const WG = 64u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let H4 = p.H / 4u;
  var s = 0.0;
  for (var k = lid.x; k < H4; k += WG) { let v = x[k]; s += dot(v, v); }
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0] / f32(p.H) + p.eps);
  let j = wid.x * WG + lid.x;
  if (j >= nPairs()) { return; }
  let rows = pairRows(j);
  let ra = rows.x * H4;
  let rb = rows.y * H4;
  var a = vec4<f32>(0.0);
  var b = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var b1 = vec4<f32>(0.0);
  let H8 = H4 & ~1u;
  for (var k = 0u; k < H8; k += 2u) {
    let h0 = x[k] * normW[k];
    let h1 = x[k + 1u] * normW[k + 1u];
    a += load_W(ra + k) * h0;
    b += load_W(rb + k) * h0;
    a1 += load_W(ra + k + 1u) * h1;
    b1 += load_W(rb + k + 1u) * h1;
  }
  if (H8 < H4) { let h = x[H8] * normW[H8]; a += load_W(ra + H8) * h; b += load_W(rb + H8) * h; }
  a += a1;
  b += b1;
  finishPair(j, inv * ((a.x + a.y) + (a.z + a.w)), inv * ((b.x + b.y) + (b.z + b.w)));
}
