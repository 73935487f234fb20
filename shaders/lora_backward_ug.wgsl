// LoRA backward, step 1 of 4, for one adapted segment of N rows (K inputs, rank r, E experts of which
// EA have their own A: EA = 1 for LoRA, Zhyper and HydraLoRA's shared A):
//   y[t, n] += s·Σ_e c_e(t)·Σ_q B_e[n, q]·v_e[t, q],   v from u[t, a, q] = A_a[q]·x[t]
// (c_e = 1 unless CUMA's gates; v = u, z ⊙ u or Z·u; see lora_backward_mix.wgsl). Per token it
// recomputes the down projection and pulls the output gradient back through each B:
//   u[t, a, q] = A_a[q]·x[t]                         EA·r numbers
//   G[t, e, q] = Σ_n B_e[n, q]·dY[t, dyOff + n]       E·r numbers (Bᵀ dY, before gates, z and s)
// into the per-token scratch row [u | G | w | du] (stride 2·(EA + E)·r; w and du are the mix step's).
// One thread per (number of u or G, token), each a dot of length K or N: on emulated WebGPU a thread's
// loop is far cheaper than a workgroup's reduction, and (EA + E)·r·T threads fill the device.
// A, B are the packed adapter tensors: this segment's A starts at aOff ([EA, r, K]), B at bOff ([E, N, r]).
struct Params { K: u32, N: u32, r: u32, ldDY: u32, dyOff: u32, aOff: u32, bOff: u32, E: u32, EA: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> A: array<f32>;
@group(0) @binding(5) var<storage, read> B: array<f32>;
@group(0) @binding(6) var<storage, read_write> ug: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let t = gid.y;
  let nU = p.EA * p.r;
  if (t >= step.T || j >= nU + p.E * p.r) { return; }
  var s = 0.0;
  if (j < nU) {
    let ab = p.aOff + j * p.K;
    let xb = t * p.K;
    for (var k = 0u; k < p.K; k++) { s += A[ab + k] * x[xb + k]; }
  } else {
    let e = (j - nU) / p.r;
    let q = (j - nU) % p.r;
    let bb = p.bOff + e * p.N * p.r + q;
    let yb = t * p.ldDY + p.dyOff;
    for (var n = 0u; n < p.N; n++) { s += B[bb + n * p.r] * dY[yb + n]; }
  }
  ug[t * 2u * (p.EA + p.E) * p.r + j] = s;
}
