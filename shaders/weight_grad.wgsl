// A trainable linear layer's weight gradient, summed over the T tokens of the chunk:
//   dW[n, k] (+)= Σ_t dY[t, dyOff + n]·X[t, xOff + k]        dW [N, K]
//   db[n]    (+)= Σ_t dY[t, dyOff + n]                       (with hasBias)
// One thread per element (N·K + N), each looping over the tokens: no atomics, deterministic.
// Used by CUMA's router (W2 and b2 from the logits' gradient; W1's h columns and c from the
// pre-activation's).
struct Params { N: u32, K: u32, ldDY: u32, ldX: u32, hasBias: u32, accumulate: u32, dyOff: u32, xOff: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> X: array<f32>;
@group(0) @binding(4) var<storage, read_write> dW: array<f32>;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * 65535u * 64u;
  let nW = p.N * p.K;
  if (i >= nW + select(0u, p.N, p.hasBias != 0u)) { return; }
  var s = 0.0;
  if (i < nW) {
    let n = i / p.K;
    let k = i % p.K;
    for (var t = 0u; t < step.T; t++) { s += dY[t * p.ldDY + p.dyOff + n] * X[t * p.ldX + p.xOff + k]; }
    if (p.accumulate != 0u) { s += dW[i]; }
    dW[i] = s;
  } else {
    let n = i - nW;
    for (var t = 0u; t < step.T; t++) { s += dY[t * p.ldDY + p.dyOff + n]; }
    if (p.accumulate != 0u) { s += db[n]; }
    db[n] = s;
  }
}
