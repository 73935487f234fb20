// LoRA backward, step 1 of 3, for one adapted segment y[t, n] += s·Σ_j B[n, j]·z_j·(A x_t)_j
// (z = 1 for plain LoRA; Zhyper's diag z otherwise). Per token it recomputes the down projection and
// pulls the output gradient back through B:
//   u[t, j] = A[j]·x[t]                          (the forward's A x, recomputed: r numbers per token)
//   g[t, j] = Σ_n B[n, j]·dY[t, dyOff + n]       (Bᵀ dY, before z and s)
// into ug[t] = [u | g] ([T, 2r]). One workgroup per (j of 2r, token): each is a dot of length K or N.
// A, B are the packed adapter tensors: this segment's A starts at aOff ([r, K]), B at bOff ([len, r]).
struct Params { K: u32, N: u32, r: u32, ldDY: u32, dyOff: u32, aOff: u32, bOff: u32, _a: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> A: array<f32>;
@group(0) @binding(5) var<storage, read> B: array<f32>;
@group(0) @binding(6) var<storage, read_write> ug: array<f32>;

const WG: u32 = 64u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = wid.x;
  let t = wid.y;
  if (t >= step.T) { return; } // uniform per workgroup: the grid is exactly T rows
  var s = 0.0;
  if (j < p.r) {
    let ab = p.aOff + j * p.K;
    for (var k = lid.x; k < p.K; k += WG) { s += A[ab + k] * x[t * p.K + k]; }
  } else {
    let jb = p.bOff + (j - p.r);
    let yb = t * p.ldDY + p.dyOff;
    for (var n = lid.x; n < p.N; n += WG) { s += B[jb + n * p.r] * dY[yb + n]; }
  }
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { ug[t * 2u * p.r + j] = red[0]; }
}
