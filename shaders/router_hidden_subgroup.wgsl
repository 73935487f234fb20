// CUMA's router, first half, for one decoded token, spread over the device (rmsnorm_router.wgsl does it in one
// workgroup, which on a CPU-emulated adapter is one core doing R·H multiply-adds while the other waits):
//   h = RMSNorm(x)·w                      (workgroup 0 writes it, for the adapted projections that follow)
//   a[j] = ReLU(c[j] + W1h[j]·h)          (c = W1e·e_d + b1, the demographic half, fixed per condition)
// One subgroup (the workgroup, SG lanes: see matvec_subgroup.wgsl) per 4 rows of W1h, lanes striding along H in
// vec4s, subgroupAdd for the 4 dot products and x². router_gates.wgsl turns a into the gates. H a multiple of 4.
// Bindings: x [H] (as vec4), w [H] (as vec4), W1h [R, H] (as vec4), c [R], h [H] (as vec4, written), a [R] (written).
enable subgroups;
struct Params { H: u32, R: u32, eps: f32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> W1h: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> c: array<f32>;
@group(0) @binding(6) var<storage, read_write> h: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> a: array<f32>;
// #include "_dot4.wgsl"

override SG: u32 = 32u;
const ROWS = 4u;

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let j0 = wid.x * ROWS;
  if (j0 >= p.R) { return; }
  let H4 = p.H / 4u;
  // rows past R read the last row again; they are not written
  let last = p.R - 1u;
  let r0 = j0 * H4;
  let r1 = min(j0 + 1u, last) * H4;
  let r2 = min(j0 + 2u, last) * H4;
  let r3 = min(j0 + 3u, last) * H4;
  var acc = vec4<f32>(0.0);
  var s = 0.0;
  for (var k = lane; k < H4; k += SG) {
    let xk = x[k];
    s += dot(xk, xk);
    acc += dot4(xk * w[k], W1h[r0 + k], W1h[r1 + k], W1h[r2 + k], W1h[r3 + k]);
  }
  let inv = inverseSqrt(subgroupAdd(s) / f32(p.H) + p.eps);
  let v = subgroupAdd(acc);
  if (lane < ROWS && j0 + lane < p.R) { a[j0 + lane] = max(c[j0 + lane] + v[lane] * inv, 0.0); }
  if (wid.x == 0u) {
    for (var k = lane; k < H4; k += SG) { h[k] = x[k] * inv * w[k]; }
  }
}
