// CUMA's router, second half, for one decoded token: the expert logits W2·a + b2 and their top-k gating, written to
// gates[pos0, :] (as rmsnorm_router.wgsl's end; a from router_hidden_subgroup.wgsl). One workgroup; E·R
// multiply-adds, a thread per expert.
// Bindings: a [R], W2 [E, R], b2 [E], gates [maxContext, E] (row pos0 written).
struct Params { R: u32, E: u32, k: u32, gating: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> W2: array<f32>;
@group(0) @binding(4) var<storage, read> b2: array<f32>;
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;

const MAXE = 64u;
var<workgroup> logits: array<f32, MAXE>;
// #include "_topk_gating.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  for (var e = lid.x; e < p.E; e += 64u) {
    var acc = b2[e];
    for (var j = 0u; j < p.R; j++) { acc += W2[e * p.R + j] * a[j]; }
    logits[e] = acc;
  }
  workgroupBarrier();
  if (lid.x != 0u) { return; }
  topkGates(step.pos0 * p.E, p.E, p.k, p.gating);
}
