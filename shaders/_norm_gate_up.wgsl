// The rmsnorm_gate_up_silu kernels' Params and bindings, and x plus the heads' parts.
// Bindings: x [K] (as vec4), normW [K] (as vec4), Wg, Wu [I, K] row-major (as vec4), act [I], part [nParts, K]
// (as vec4; a dummy when nParts = 0), r [K] (as vec4; written by workgroup 0 when nParts > 0).
struct Params { I: u32, K: u32, eps: f32, nParts: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> normW: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> Wg: array<vec4<f32>>; // #weights, read as load_Wg(i)
@group(0) @binding(5) var<storage, read> Wu: array<vec4<f32>>; // #weights, read as load_Wu(i)
@group(0) @binding(6) var<storage, read_write> act: array<f32>;
@group(0) @binding(7) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> r: array<vec4<f32>>;

/** x[k] + Σ_h part[h, k] in head order (vec4 k); workgroup 0 keeps the sum in r for the down projection */
fn withParts(k: u32, group: u32) -> vec4<f32> {
  var v = x[k];
  if (p.nParts > 0u) {
    let K4 = p.K / 4u;
    var d = part[k];
    for (var h = 1u; h < p.nParts; h++) { d += part[h * K4 + k]; }
    if (group == 0u) { r[k] = d; }
    v += d;
  }
  return v;
}
