// rmsnorm_qkv_rope for a GPU: one workgroup of 64 threads per two pairs of rows (4 rows), the threads striding
// along K in vec4s so neighbours read neighbouring words (as matvec_coalesced); one tree in workgroup memory sums
// the 4 rows' dot products and x² together. H a multiple of 4.
// Bindings: x [H] (as vec4), normW [H] (as vec4), W [qkvDim, H] row-major (as vec4); the rest in _norm_qkv.wgsl.
// #include "_step.wgsl"
// #include "_norm_qkv.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
// #include "_dot4.wgsl"

const WG = 64u;
var<workgroup> part: array<vec4<f32>, WG>;
var<workgroup> sq: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j0 = wid.x * 2u;
  if (j0 >= nPairs()) { return; }
  let j1 = min(j0 + 1u, nPairs() - 1u); // an odd last pair computes its first pair twice and writes it once
  let H4 = p.H / 4u;
  let r0 = pairRows(j0) * H4;
  let r1 = pairRows(j1) * H4;
  var acc = vec4<f32>(0.0);
  var s = 0.0;
  for (var k = lid.x; k < H4; k += WG) {
    let xk = x[k];
    s += dot(xk, xk);
    acc += dot4(xk * normW[k], load_W(r0.x + k), load_W(r0.y + k), load_W(r1.x + k), load_W(r1.y + k));
  }
  part[lid.x] = acc;
  sq[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { part[lid.x] += part[lid.x + k]; sq[lid.x] += sq[lid.x + k]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(sq[0] / f32(p.H) + p.eps);
  let v = part[0] * inv;
  if (lid.x == 0u) { finishPair(j0, v.x, v.y); }
  if (lid.x == 1u && j1 != j0) { finishPair(j1, v.z, v.w); }
}
