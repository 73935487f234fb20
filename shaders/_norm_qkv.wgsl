// The decode qkv projection's rows, taken in pairs, and what happens to a pair once its two dot products are
// known: the rmsnorm_qkv_rope kernels. Pair j < nRope is a RoPE pair of a q or k head (rows i and i + headDim/2
// of head j / (headDim/2)); the pairs after it are v rows (v row j' with v row j' + kvDim/2), which are only
// copied. Both rows of a pair land in one invocation, so the rotation needs no second pass.
// Bindings (with the kernel's own x, normW, W): bias [qkvDim] (or a dummy), cosSin [maxContext, headDim/2] as
// (cos, sin), q [qDim] (q heads, rotated), kCache / vCache [maxContext, kvDim] (this token's k, rotated, and v
// written at pos0). The kernel also includes _step.wgsl (pos0).
struct Params { H: u32, headDim: u32, nQHeads: u32, nKVHeads: u32, eps: f32, hasBias: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> cosSin: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> q: array<f32>;
@group(0) @binding(8) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(9) var<storage, read_write> vCache: array<f32>;

fn nRope() -> u32 { return (p.nQHeads + p.nKVHeads) * p.headDim / 2u; }
fn nPairs() -> u32 { return nRope() + p.nKVHeads * p.headDim / 2u; }

/** the two rows of pair j, in [0, qDim + 2·kvDim) */
fn pairRows(j: u32) -> vec2<u32> {
  let half = p.headDim / 2u;
  if (j < nRope()) {
    let r = (j / half) * p.headDim + j % half;
    return vec2<u32>(r, r + half);
  }
  let v0 = (p.nQHeads + p.nKVHeads) * p.headDim;
  let jv = j - nRope();
  return vec2<u32>(v0 + jv, v0 + jv + p.nKVHeads * half);
}

/** pair j's rows are a and b (W·h with h = RMSNorm(x)·w, before the bias): rotate, then write q or the caches */
fn finishPair(j: u32, a0: f32, b0: f32) {
  let rows = pairRows(j);
  var a = a0;
  var b = b0;
  if (p.hasBias != 0u) { a += bias[rows.x]; b += bias[rows.y]; }
  let qDim = p.nQHeads * p.headDim;
  let kvDim = p.nKVHeads * p.headDim;
  let at = step.pos0 * kvDim;
  if (j >= nRope()) {
    vCache[at + rows.x - qDim - kvDim] = a;
    vCache[at + rows.y - qDim - kvDim] = b;
    return;
  }
  let half = p.headDim / 2u;
  let cs = cosSin[step.pos0 * half + j % half];
  let y1 = a * cs.x - b * cs.y;
  let y2 = b * cs.x + a * cs.y;
  if (rows.x < qDim) {
    q[rows.x] = y1;
    q[rows.y] = y2;
  } else {
    kCache[at + rows.x - qDim] = y1;
    kCache[at + rows.y - qDim] = y2;
  }
}
