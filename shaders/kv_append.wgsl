// Append this step's k and v (already rotated) from the fused qkv rows to the layer's KV cache at pos0 + t.
struct Params { kvDim: u32, ldQKV: u32, kOff: u32, vOff: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(4) var<storage, read_write> vCache: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.kvDim || t >= step.T) { return; }
  let dst = (step.pos0 + t) * p.kvDim + i;
  kCache[dst] = qkv[t * p.ldQKV + p.kOff + i];
  vCache[dst] = qkv[t * p.ldQKV + p.vOff + i];
}
