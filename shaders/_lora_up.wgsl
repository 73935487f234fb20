// The up-projection half of the split adapter path (lora_matvec_up_vec4, lora_matvec_up_subgroup): the adapter's
// term of one output row from U = A·x (lora_down.wgsl, R = nSeg·EA·r numbers), B and the condition. Modes and
// layouts as in lora_matvec_vec4.wgsl. Bindings: U [R], B [Σ_seg E·len·r], cond (z, Z or the gates [T, E]).
@group(0) @binding(6) var<storage, read> U: array<f32>;
@group(0) @binding(7) var<storage, read> B: array<f32>;
@group(0) @binding(8) var<storage, read> cond: array<f32>;

fn segStart(s: u32) -> u32 { return select(select(p.s2, p.s1, s == 1u), p.s0, s == 0u); }
fn segLen(s: u32) -> u32 { return select(select(p.l2, p.l1, s == 1u), p.l0, s == 0u); }

/** s · Σ_e c_e · B_e[n] · transform(U): the adapter's term of output row n (0 outside every segment) */
fn loraUpDelta(n: u32) -> f32 {
  var out = 0.0;
  var bOff = 0u;
  for (var s = 0u; s < p.nSeg; s++) {
    let st = segStart(s);
    let len = segLen(s);
    if (n >= st && n < st + len) {
      var delta = 0.0;
      for (var e = 0u; e < p.E; e++) {
        var c = 1.0;
        if (p.mode == 3u) { c = cond[step.pos0 * p.E + e]; }
        if (c == 0.0) { continue; }
        let ub = (s * p.EA + select(0u, e, p.EA > 1u)) * p.r;
        let bb = bOff + (e * len + (n - st)) * p.r;
        var d = 0.0;
        for (var q = 0u; q < p.r; q++) {
          var vq = U[ub + q];
          if (p.mode == 1u) { vq *= cond[s * p.r + q]; }
          if (p.mode == 2u) {
            vq = 0.0;
            for (var l = 0u; l < p.r; l++) { vq += cond[(s * p.r + q) * p.r + l] * U[ub + l]; }
          }
          d += B[bb + q] * vq;
        }
        delta += c * d;
      }
      out += p.scale * delta;
    }
    bOff += p.E * len * p.r;
  }
  return out;
}
