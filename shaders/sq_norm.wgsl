// Sum of squares of one tensor, for global-norm gradient clipping: G workgroups (G fixed at build time)
// stride over x and each writes its partial sum to partials[outIndex + workgroup]. Every gradient tensor
// gets its own slots in one partials buffer; adamw.wgsl sums all slots (no float atomics in WGSL, and a
// fixed reduction order keeps training deterministic). The driver can also read the slots back to log ‖g‖.
struct Params { n: u32, outIndex: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var s = 0.0;
  for (var i = wid.x * WG + lid.x; i < p.n; i += nwg.x * WG) { let v = x[i]; s += v * v; }
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[p.outIndex + wid.x] = red[0]; }
}
