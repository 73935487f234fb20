// Fused SiLU-gated MLP input: out[t, i] = silu(x[t]·Wg[i]) * (x[t]·Wu[i]), silu(a) = a / (1 + e^-a).
// Both projections are read in one pass over x, and the [T, I] gate/up intermediates never hit memory.
// Each thread owns 4 tokens of one output column (T = 1 in decode wastes the other three slots cheaply).
struct Params { I: u32, K: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> Wg: array<f32>; // #weights, read as load_Wg(i)
@group(0) @binding(4) var<storage, read> Wu: array<f32>; // #weights, read as load_Wu(i)
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t0 = gid.y * 4u;
  if (i >= p.I || t0 >= step.T) { return; }
  let rows = min(4u, step.T - t0);
  var g: array<f32, 4>;
  var u: array<f32, 4>;
  let wb = i * p.K;
  for (var k = 0u; k < p.K; k++) {
    let wg = load_Wg(wb + k);
    let wu = load_Wu(wb + k);
    for (var r = 0u; r < rows; r++) {
      let xv = x[(t0 + r) * p.K + k];
      g[r] += xv * wg;
      u[r] += xv * wu;
    }
  }
  for (var r = 0u; r < rows; r++) {
    let a = g[r];
    out[(t0 + r) * p.I + i] = silu(a) * u[r];
  }
}

// #include "_silu.wgsl"
