// Cross-entropy with label smoothing ε (as PyTorch: target distribution q = (1 − ε)·onehot + ε/V) on the
// rows of a logits buffer [rows, V], in place. targets[row] is the row's token, or IGNORE (0xffffffff)
// for rows that are not answer tokens (PyTorch's ignore_index):
//   loss[row]      = lse(z) − (1 − ε)·z_target − ε/V · Σ_i z_i          (0 for ignored rows)
//   z[row, i]     ← gradScale · (softmax(z)_i − q_i)                    (0 for ignored rows)
// gradScale is 1/count (count = rows not ignored) for the mean's gradient, or smaller when accumulating
// micro-batches. The logits are consumed: their gradient takes their place, so no second V-wide buffer.
// Phase 0: one workgroup per row. Pass 1 folds (max, Σexp, Σz) over the row with an online max, so a
//          150k vocabulary is read once; pass 2 overwrites the row with its gradient.
// Phase 1: one workgroup writes loss[rows] = Σ loss / count.
struct Params { V: u32, rows: u32, count: u32, phase: u32, eps: f32, gradScale: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

const WG: u32 = 256u;
const IGNORE: u32 = 0xffffffffu;
var<workgroup> red: array<vec3<f32>, WG>; // (max, Σ exp(z − max), Σ z)
var<workgroup> rowTarget: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  if (p.phase == 1u) {
    var s = 0.0;
    for (var r = lid.x; r < p.rows; r += WG) { s += loss[r]; }
    red[lid.x] = vec3<f32>(s, 0.0, 0.0);
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid.x < k) { red[lid.x].x += red[lid.x + k].x; }
      workgroupBarrier();
    }
    if (lid.x == 0u) { loss[p.rows] = red[0].x / f32(max(p.count, 1u)); }
    return;
  }
  let row = wid.x;
  let base = row * p.V;
  if (lid.x == 0u) { rowTarget = targets[row]; }
  let y = workgroupUniformLoad(&rowTarget); // uniform, so ignored rows can skip the barriers below
  if (y == IGNORE) {
    for (var i = lid.x; i < p.V; i += WG) { logits[base + i] = 0.0; }
    if (lid.x == 0u) { loss[row] = 0.0; }
    return;
  }
  let zt = logits[base + y]; // read by every thread before any thread rewrites the row
  var m = -3.0e38;
  var s = 0.0;
  var zs = 0.0;
  for (var i = lid.x; i < p.V; i += WG) {
    let z = logits[base + i];
    if (z > m) { s = s * exp(m - z) + 1.0; m = z; } else { s += exp(z - m); }
    zs += z;
  }
  red[lid.x] = vec3<f32>(m, s, zs);
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid.x < k) {
      let a = red[lid.x];
      let b = red[lid.x + k];
      let mm = max(a.x, b.x);
      red[lid.x] = vec3<f32>(mm, a.y * exp(a.x - mm) + b.y * exp(b.x - mm), a.z + b.z);
    }
    workgroupBarrier();
  }
  let tot = red[0];
  let lse = tot.x + log(tot.y);
  let uni = p.eps / f32(p.V);
  if (lid.x == 0u) { loss[row] = lse - (1.0 - p.eps) * zt - uni * tot.z; }
  storageBarrier(); // zt above was read from the row that pass 2 rewrites
  for (var i = lid.x; i < p.V; i += WG) {
    let q = select(uni, 1.0 - p.eps + uni, i == y);
    logits[base + i] = p.gradScale * (exp(logits[base + i] - lse) - q);
  }
}
