// Fused SiLU-gated MLP input, K a multiple of 4: out[t, i] = silu(x[t]·Wg[i]) * (x[t]·Wu[i]), read as vec4.
// Same work split as gate_up_silu.wgsl (4 tokens of one column per thread) with a quarter of the loads.
struct Params { I: u32, K: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
// #include "_dot4.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> Wg: array<vec4<f32>>; // #weights, read as load_Wg(i)
@group(0) @binding(4) var<storage, read> Wu: array<vec4<f32>>; // #weights, read as load_Wu(i)
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t0 = gid.y * 4u;
  if (i >= p.I || t0 >= step.T) { return; }
  let K4 = p.K / 4u;
  let rows = min(4u, step.T - t0);
  var g = vec4<f32>(0.0); // g[r]: token t0 + r
  var u = vec4<f32>(0.0);
  var xr: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) { xr[r] = min(t0 + r, step.T - 1u) * K4; }
  let wb = i * K4;
  for (var k = 0u; k < K4; k++) {
    let wg = load_Wg(wb + k);
    let wu = load_Wu(wb + k);
    let x0 = x[xr[0] + k]; let x1 = x[xr[1] + k]; let x2 = x[xr[2] + k]; let x3 = x[xr[3] + k];
    g += dot4(wg, x0, x1, x2, x3);
    u += dot4(wu, x0, x1, x2, x3);
  }
  for (var r = 0u; r < rows; r++) {
    let a = g[r];
    out[(t0 + r) * p.I + i] = silu(a) * u[r];
  }
}

// #include "_silu.wgsl"
