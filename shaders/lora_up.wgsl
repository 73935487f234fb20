// Unfused LoRA, step 2 of 2: Y[t, nOff + n] += s · Σ_e c_e · B_e[n] · transform(U[t]) for rows n in an
// adapted segment (transform and c_e as in lora_matvec_vec4.wgsl); other rows are left alone.
// #include "_adapted_params.wgsl"
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> U: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read> cond: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;

fn segStart(s: u32) -> u32 { return select(select(p.s2, p.s1, s == 1u), p.s0, s == 0u); }
fn segLen(s: u32) -> u32 { return select(select(p.l2, p.l1, s == 1u), p.l0, s == 0u); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let t = gid.y;
  if (n >= p.N || t >= step.T) { return; }
  let R = p.nSeg * p.EA * p.r;
  var bOff = 0u;
  var delta = 0.0;
  var hit = false;
  for (var s = 0u; s < p.nSeg; s++) {
    let st = segStart(s);
    let len = segLen(s);
    if (n >= st && n < st + len) {
      hit = true;
      for (var e = 0u; e < p.E; e++) {
        var c = 1.0;
        if (p.mode == 3u) { c = cond[(step.pos0 + t) * p.E + e]; }
        if (c == 0.0) { continue; }
        let ea = select(0u, e, p.EA > 1u);
        let ub = t * R + (s * p.EA + ea) * p.r;
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
    }
    bOff += p.E * len * p.r;
  }
  if (!hit) { return; }
  let o = t * p.ldY + p.nOff + n;
  Y[o] += p.scale * delta;
}
