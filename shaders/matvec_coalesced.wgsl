// Decode matrix-vector, coalesced: y[nOff + n] (+)= W[n]·x (+ bias[n]) for one token, K a multiple of 4.
// One workgroup of 64 threads per block of 4 output rows. The threads stride along K in vec4s, so
// neighbouring threads read neighbouring 16-byte words of each row (matvec_vec4 gives a thread a whole
// row: neighbours then read K·4 bytes apart, which a real GPU cannot coalesce). Each thread keeps the 4 rows'
// partial dot products; a tree in workgroup memory sums them.
// Bindings: x [K] (as K/4 vec4), W [N, K] row-major (as vec4), bias [N] (or a dummy), y [*, ldY].
// #include "_linear_params.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
// #include "_dot4.wgsl"

const WG = 64u;
const ROWS = 4u;
var<workgroup> part: array<vec4<f32>, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n0 = (wid.x + wid.y * 65535u) * ROWS;
  if (n0 >= p.N) { return; }
  let tid = lid.x;
  let K4 = p.K / 4u;
  // rows past N read the last row again; their sums are not written
  let last = p.N - 1u;
  let r0 = n0 * K4;
  let r1 = min(n0 + 1u, last) * K4;
  let r2 = min(n0 + 2u, last) * K4;
  let r3 = min(n0 + 3u, last) * K4;
  var acc = vec4<f32>(0.0);
  for (var k = tid; k < K4; k += WG) {
    acc += dot4(x[k], load_W(r0 + k), load_W(r1 + k), load_W(r2 + k), load_W(r3 + k));
  }
  part[tid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) { part[tid] += part[tid + s]; }
    workgroupBarrier();
  }
  if (tid < ROWS) {
    let n = n0 + tid;
    if (n < p.N) {
      var v = part[0][tid];
      if (p.hasBias != 0u) { v += bias[n]; }
      let o = p.nOff + n;
      if (p.accumulate != 0u) { v += y[o]; }
      y[o] = v;
    }
  }
}
