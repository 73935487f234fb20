// Gradient of kv_append.wgsl: the k and v parts of the fused dqkv rows are the cache gradients at this
// step's positions, dqkv[t, kOff + i] = dK[pos0 + t, i] and dqkv[t, vOff + i] = dV[pos0 + t, i].
// (Written, not added: the cache is the only consumer of a token's k and v.) Rows of dK/dV below pos0
// belong to earlier chunks and are left for the caller.
struct Params { kvDim: u32, ldQKV: u32, kOff: u32, vOff: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> dK: array<f32>;
@group(0) @binding(3) var<storage, read> dV: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.kvDim || t >= step.T) { return; }
  let src = (step.pos0 + t) * p.kvDim + i;
  dqkv[t * p.ldQKV + p.kOff + i] = dK[src];
  dqkv[t * p.ldQKV + p.vOff + i] = dV[src];
}
