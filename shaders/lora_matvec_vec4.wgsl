// Fused adapted decode projection, K a multiple of 4 (T = 1):
//   y[nOff + n] (+)= W[n]·x (+ bias[n])  +  s · Σ_e c_e · B_e[n] · transform(A_e · x)
// for the output rows n that fall in an adapted segment (q, k, v of the fused qkv matrix, or one whole
// projection). The r-vectors u = A·x are computed once per workgroup, cooperatively, into workgroup
// memory, then every thread finishes its own row with r (or k·r) extra multiply-adds.
//   mode 0  plain LoRA        v = u
//   mode 1  Zhyper diag z     v_j = z_j · u_j                 cond = z [nSeg, r]
//   mode 2  Zhyper square Z   v = Z · u                       cond = Z [nSeg, r, r] (row-major)
//   mode 3  CUMA experts      v_e = g_e · u_{e or 0}          cond = gates [position, E]; only g_e ≠ 0 cost
// A is [nSeg, EA, r, K] (EA = 1 shared, or E independent experts); B is [nSeg][E, len_s, r] packed.
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> B: array<f32>;
@group(0) @binding(8) var<storage, read> cond: array<f32>;

const WG = 64u;
const MAXU = 128u; // nSeg · EA · r
const MAXE = 16u;
var<workgroup> u: array<f32, MAXU>;
var<workgroup> v: array<f32, MAXU>; // square mode: Z·u
var<workgroup> part: array<f32, WG>;
var<workgroup> g: array<f32, MAXE>;

fn segStart(s: u32) -> u32 { return select(select(p.s2, p.s1, s == 1u), p.s0, s == 0u); }
fn segLen(s: u32) -> u32 { return select(select(p.l2, p.l1, s == 1u), p.l0, s == 0u); }

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.x;
  let n0 = (wid.x + wid.y * 65535u) * WG;
  let n = n0 + tid;
  let K4 = p.K / 4u;
  let E = p.E;

  // Is any row of this workgroup adapted? (uniform: derived from the workgroup id only)
  var touched = false;
  for (var s = 0u; s < p.nSeg; s++) {
    if (n0 < segStart(s) + segLen(s) && segStart(s) < n0 + WG) { touched = true; }
  }
  if (touched) {
    if (p.mode == 3u) {
      if (tid < E) { g[tid] = cond[(step.pos0) * E + tid]; }
      workgroupBarrier();
    }
    // u = A·x: R rows of length K, P threads per row, partial sums reduced through workgroup memory.
    let R = p.nSeg * p.EA * p.r;
    let P = max(1u, WG / R);
    let perPass = WG / P;
    for (var r0 = 0u; r0 < R; r0 += perPass) {
      let row = r0 + tid / P;
      let pt = tid % P;
      var acc = vec4<f32>(0.0);
      // independent experts with a zero gate contribute nothing: skip their rows
      let e = (row / p.r) % p.EA;
      // only the segments whose rows this workgroup writes need their u (q's workgroups skip v's A, ...)
      let sg = min(row / (p.EA * p.r), 2u);
      let mine = n0 < segStart(sg) + segLen(sg) && segStart(sg) < n0 + WG;
      let live = row < R && mine && (p.mode != 3u || p.EA == 1u || g[e] != 0.0);
      if (live) {
        let base = row * K4;
        for (var k = pt; k < K4; k += P) { acc += A[base + k] * x[k]; }
      }
      part[tid] = (acc.x + acc.y) + (acc.z + acc.w);
      workgroupBarrier();
      if (pt == 0u && row < R) {
        var sum = 0.0;
        for (var q = 0u; q < P; q++) { sum += part[tid + q]; }
        u[row] = sum;
      }
      workgroupBarrier();
    }
    if (p.mode == 2u) {
      let Rz = p.nSeg * p.r;
      for (var i = tid; i < Rz; i += WG) {
        let s = i / p.r;
        var sum = 0.0;
        for (var l = 0u; l < p.r; l++) { sum += cond[i * p.r + l] * u[s * p.r + l]; }
        v[i] = sum;
      }
      workgroupBarrier();
    }
  }
  if (n >= p.N) { return; }

  var val = 0.0;
  if (p.hasBase != 0u) {
    let base = n * K4;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    let K8 = K4 & ~1u;
    for (var k = 0u; k < K8; k += 2u) {
      a0 += load_W(base + k) * x[k];
      a1 += load_W(base + k + 1u) * x[k + 1u];
    }
    if (K8 < K4) { a0 += load_W(base + K8) * x[K8]; }
    let sv = a0 + a1;
    val = (sv.x + sv.y) + (sv.z + sv.w);
    if (p.hasBias != 0u) { val += bias[n]; }
  }
  if (touched) {
    var bOff = 0u;
    var delta = 0.0;
    for (var s = 0u; s < p.nSeg; s++) {
      let st = segStart(s);
      let len = segLen(s);
      if (n >= st && n < st + len) {
        for (var e = 0u; e < E; e++) {
          var c = 1.0;
          if (p.mode == 3u) { c = g[e]; }
          if (c == 0.0) { continue; }
          let ea = select(0u, e, p.EA > 1u);
          let ub = (s * p.EA + ea) * p.r;
          let bb = bOff + (e * len + (n - st)) * p.r;
          var d = 0.0;
          for (var j = 0u; j < p.r; j++) {
            var vj = u[ub + j];
            if (p.mode == 1u) { vj *= cond[s * p.r + j]; }
            if (p.mode == 2u) { vj = v[s * p.r + j]; }
            d += B[bb + j] * vj;
          }
          delta += c * d;
        }
      }
      bOff += E * len * p.r;
    }
    val += p.scale * delta;
  }
  let o = p.nOff + n;
  if (p.accumulate != 0u) { val += y[o]; }
  y[o] = val;
}
