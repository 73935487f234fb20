// Gradient of rope.wgsl (rotate_half RoPE), in place on the fused dqkv rows: the forward rotates each
// pair (x1, x2) = (x[i], x[i + D/2]) by the angle pos·invFreq[i], so the gradient is rotated back:
//   dx1 = dy1·cos + dy2·sin,   dx2 = dy2·cos − dy1·sin
// Same cos/sin table and head layout as rope.wgsl (the first nHeads heads of each row: q then k).
// Qwen3's per-head q/k RMSNorm (rope.wgsl's qkNorm) is not differentiated here; the builder refuses it.
struct Params { headDim: u32, nHeads: u32, ldQKV: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> cosSin: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> dqkv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = p.headDim / 2u;
  let t = gid.y;
  if (gid.x >= p.nHeads * half || t >= step.T) { return; }
  let head = gid.x / half;
  let i = gid.x % half;
  let b = t * p.ldQKV + head * p.headDim + i;
  let cs = cosSin[(step.pos0 + t) * half + i];
  let dy1 = dqkv[b];
  let dy2 = dqkv[b + half];
  dqkv[b] = dy1 * cs.x + dy2 * cs.y;
  dqkv[b + half] = dy2 * cs.x - dy1 * cs.y;
}
