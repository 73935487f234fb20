// Embedding gather: out[t, :] = table[ids[t] - rowStart, :] for the ids that fall in this chunk.
// A vocabulary larger than one storage binding is split into row chunks, one dispatch each.
struct Params { H: u32, rowStart: u32, rowCount: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> table: array<f32>; // #weights, read as load_table(i)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.H || t >= step.T) { return; }
  let id = ids[t];
  if (id < p.rowStart || id >= p.rowStart + p.rowCount) { return; }
  out[t * p.H + i] = load_table((id - p.rowStart) * p.H + i);
}
