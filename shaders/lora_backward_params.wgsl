// LoRA backward, step 2 of 3: the adapter's parameter gradients, sums over the T tokens of the chunk,
// from ug = [u | g] (lora_backward_ug.wgsl), x and dY:
//   dB[n, j] (+)= s·z_j · Σ_t dY[t, n]·u[t, j]
//   dA[j, k] (+)= s·z_j · Σ_t g[t, j]·x[t, k]
//   dz[j]    (+)= s · Σ_t g[t, j]·u[t, j]          (only with hasZ; z = 1 and no dz for plain LoRA)
// One thread per gradient element (N·r + r·K + r of them, one flat grid), each looping over the tokens:
// no atomics, deterministic. The gradient buffers mirror the packed parameter layout (same aOff, bOff,
// zOff). `accumulate` sums over chunks, sequences and micro-batches.
struct Params { K: u32, N: u32, r: u32, ldDY: u32, dyOff: u32, aOff: u32, bOff: u32, zOff: u32, hasZ: u32, accumulate: u32, scale: f32, _a: u32 }
struct Step { T: u32, pos0: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> ug: array<f32>;
@group(0) @binding(5) var<storage, read> z: array<f32>;
@group(0) @binding(6) var<storage, read_write> dA: array<f32>;
@group(0) @binding(7) var<storage, read_write> dB: array<f32>;
@group(0) @binding(8) var<storage, read_write> dz: array<f32>;

fn put(v: f32, old: f32) -> f32 { return select(v, v + old, p.accumulate != 0u); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * 65535u * 64u;
  let r = p.r;
  let r2 = 2u * r;
  let nB = p.N * r;
  let nA = r * p.K;
  if (i >= nB + nA + select(0u, r, p.hasZ != 0u)) { return; }
  if (i < nB) {
    let n = i / r;
    let j = i % r;
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += dY[t * p.ldDY + p.dyOff + n] * ug[t * r2 + j]; }
    s *= p.scale * zj(j);
    let o = p.bOff + i;
    dB[o] = put(s, dB[o]);
  } else if (i < nB + nA) {
    let a = i - nB;
    let j = a / p.K;
    let k = a % p.K;
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += ug[t * r2 + r + j] * x[t * p.K + k]; }
    s *= p.scale * zj(j);
    let o = p.aOff + a;
    dA[o] = put(s, dA[o]);
  } else {
    let j = i - nB - nA;
    var s = 0.0;
    for (var t = 0u; t < step.T; t++) { s += ug[t * r2 + r + j] * ug[t * r2 + j]; }
    let o = p.zOff + j;
    dz[o] = put(p.scale * s, dz[o]);
  }
}

fn zj(j: u32) -> f32 { return select(1.0, z[p.zOff + j], p.hasZ != 0u); }
