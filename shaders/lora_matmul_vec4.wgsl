// Fused adapted prefill projection, K a multiple of 4: for every token t of the chunk,
//   Y[t, nOff + n] (+)= X[t]·W[n] (+ bias[n])  +  s · Σ_e c_e · B_e[n] · transform(A_e · X[t])
// Same modes, layouts and Params as lora_matvec_vec4.wgsl. A workgroup covers 32 rows × 16 tokens
// (each thread 4 rows × 2 tokens); it first computes u = A·X[t] for its 16 tokens into workgroup memory.
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
// #include "_dot4.wgsl"
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> W: array<vec4<f32>>; // #weights, read as load_W(i)
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;
@group(0) @binding(6) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> B: array<f32>;
@group(0) @binding(8) var<storage, read> cond: array<f32>;

const TT = 16u;    // tokens per workgroup
const TN = 32u;    // rows per workgroup
const MAXU = 128u; // nSeg · EA · r
const MAXV = 64u;  // nSeg · r (square mode)
const MAXE = 16u;
var<workgroup> U: array<f32, 2048>; // [TT, MAXU]
var<workgroup> V: array<f32, 1024>; // [TT, MAXV]
var<workgroup> G: array<f32, 256>;  // [TT, MAXE]

fn segStart(s: u32) -> u32 { return select(select(p.s2, p.s1, s == 1u), p.s0, s == 0u); }
fn segLen(s: u32) -> u32 { return select(select(p.l2, p.l1, s == 1u), p.l0, s == 0u); }

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 8u + lid.x;
  let nw = wid.x * TN;
  let tw = wid.y * TT;
  let K4 = p.K / 4u;
  let E = p.E;
  let T = step.T;

  var touched = false;
  for (var s = 0u; s < p.nSeg; s++) {
    if (nw < segStart(s) + segLen(s) && segStart(s) < nw + TN) { touched = true; }
  }
  if (touched) {
    if (p.mode == 3u) {
      for (var i = tid; i < TT * E; i += 64u) {
        let t = tw + i / E;
        G[(i / E) * MAXE + i % E] = select(0.0, cond[(step.pos0 + t) * E + i % E], t < T);
      }
      workgroupBarrier();
    }
    let R = p.nSeg * p.EA * p.r;
    for (var i = tid; i < TT * R; i += 64u) {
      let tl = i / R;
      let row = i % R;
      let t = tw + tl;
      let e = (row / p.r) % p.EA;
      // only the segments whose rows this workgroup writes need their u
      let sg = min(row / (p.EA * p.r), 2u);
      let mine = nw < segStart(sg) + segLen(sg) && segStart(sg) < nw + TN;
      var acc = vec4<f32>(0.0);
      if (t < T && mine && (p.mode != 3u || p.EA == 1u || G[tl * MAXE + e] != 0.0)) {
        let ab = row * K4;
        let xb = t * K4;
        for (var k = 0u; k < K4; k++) { acc += A[ab + k] * X[xb + k]; }
      }
      U[tl * MAXU + row] = (acc.x + acc.y) + (acc.z + acc.w);
    }
    workgroupBarrier();
    if (p.mode == 2u) {
      let Rz = p.nSeg * p.r;
      for (var i = tid; i < TT * Rz; i += 64u) {
        let tl = i / Rz;
        let q = i % Rz;
        let s = q / p.r;
        var sum = 0.0;
        for (var l = 0u; l < p.r; l++) { sum += cond[q * p.r + l] * U[tl * MAXU + s * p.r + l]; }
        V[tl * MAXV + q] = sum;
      }
      workgroupBarrier();
    }
  }

  let n0 = nw + lid.x * 4u;
  let tl0 = lid.y * 2u;
  let t0 = tw + tl0;
  if (n0 >= p.N || t0 >= T) { return; }
  var acc: array<vec4<f32>, 2>; // acc[i][j]: token t0+i, row n0+j
  if (p.hasBase != 0u) {
    var nr: array<u32, 4>;
    for (var j = 0u; j < 4u; j++) { nr[j] = min(n0 + j, p.N - 1u) * K4; }
    let x0b = t0 * K4;
    let x1b = min(t0 + 1u, T - 1u) * K4;
    for (var k = 0u; k < K4; k++) {
      let w0 = load_W(nr[0] + k); let w1 = load_W(nr[1] + k); let w2 = load_W(nr[2] + k); let w3 = load_W(nr[3] + k);
      let xa = X[x0b + k];
      let xb = X[x1b + k];
      acc[0] += dot4(xa, w0, w1, w2, w3);
      acc[1] += dot4(xb, w0, w1, w2, w3);
    }
  }
  for (var i = 0u; i < 2u; i++) {
    let t = t0 + i;
    if (t >= T) { break; }
    let tl = tl0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= p.N) { break; }
      var val = acc[i][j];
      if (p.hasBase != 0u && p.hasBias != 0u) { val += bias[n]; }
      if (touched) {
        var bOff = 0u;
        var delta = 0.0;
        for (var s = 0u; s < p.nSeg; s++) {
          let st = segStart(s);
          let len = segLen(s);
          if (n >= st && n < st + len) {
            for (var e = 0u; e < E; e++) {
              var c = 1.0;
              if (p.mode == 3u) { c = G[tl * MAXE + e]; }
              if (c == 0.0) { continue; }
              let ea = select(0u, e, p.EA > 1u);
              let ub = tl * MAXU + (s * p.EA + ea) * p.r;
              let bb = bOff + (e * len + (n - st)) * p.r;
              var d = 0.0;
              for (var q = 0u; q < p.r; q++) {
                var vq = U[ub + q];
                if (p.mode == 1u) { vq *= cond[s * p.r + q]; }
                if (p.mode == 2u) { vq = V[tl * MAXV + s * p.r + q]; }
                d += B[bb + q] * vq;
              }
              delta += c * d;
            }
          }
          bOff += E * len * p.r;
        }
        val += p.scale * delta;
      }
      let o = t * p.ldY + p.nOff + n;
      if (p.accumulate != 0u) { val += Y[o]; }
      Y[o] = val;
    }
  }
}
