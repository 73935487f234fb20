// LoRA backward, step 3 of 4: the adapter's parameter gradients, sums over the T tokens of the chunk,
// from the scratch rows [u | G | w | du] (lora_backward_ug.wgsl, lora_backward_mix.wgsl), x and dY:
//   dB_e[n, q]  (+)= s · Σ_t dY[t, n]·w[t, e, q]
//   dA_a[q, k]  (+)= Σ_t du[t, a, q]·x[t, k]                 (du carries s, z and the gates)
//   mode 1: dz[q]     (+)= s · Σ_t G[t, q]·u[t, q]
//   mode 2: dZ[q, l]  (+)= s · Σ_t G[t, q]·u[t, l]
// One thread per gradient element (E·N·r + EA·r·K + |z| of them, one flat grid), each looping over the
// tokens: no atomics, deterministic. The gradient buffers mirror the packed parameter layout (same aOff,
// bOff, zOff). `accumulate` sums over chunks, sequences and micro-batches.
struct Params { K: u32, N: u32, r: u32, ldDY: u32, dyOff: u32, aOff: u32, bOff: u32, zOff: u32, mode: u32, accumulate: u32, scale: f32, E: u32, EA: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> ug: array<f32>;
@group(0) @binding(5) var<storage, read_write> dA: array<f32>;
@group(0) @binding(6) var<storage, read_write> dB: array<f32>;
@group(0) @binding(7) var<storage, read_write> dz: array<f32>;

fn put(v: f32, old: f32) -> f32 { return select(v, v + old, p.accumulate != 0u); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * 65535u * 64u;
  let r = p.r;
  let S = 2u * (p.EA + p.E) * r; // scratch row stride
  let oG = p.EA * r;
  let oW = oG + p.E * r;
  let oDu = oW + p.E * r;
  let nB = p.E * p.N * r;
  let nA = p.EA * r * p.K;
  var nZ = 0u;
  if (p.mode == 1u) { nZ = r; }
  if (p.mode == 2u) { nZ = r * r; }
  if (i >= nB + nA + nZ) { return; }
  if (i < nB) {
    let e = i / (p.N * r);
    let n = (i / r) % p.N;
    let q = i % r;
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += dY[t * p.ldDY + p.dyOff + n] * ug[t * S + oW + e * r + q]; }
    let o = p.bOff + i;
    dB[o] = put(p.scale * s, dB[o]);
  } else if (i < nB + nA) {
    let a = i - nB;
    let j = a / p.K; // a·r + q
    let k = a % p.K;
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += ug[t * S + oDu + j] * x[t * p.K + k]; }
    let o = p.aOff + a;
    dA[o] = put(s, dA[o]);
  } else {
    let j = i - nB - nA;
    var q = j;
    var l = j;
    if (p.mode == 2u) { q = j / r; l = j % r; }
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += ug[t * S + oG + q] * ug[t * S + l]; }
    let o = p.zOff + j;
    dz[o] = put(p.scale * s, dz[o]);
  }
}
