// LoRA backward, step 2 of 4: per token, the adapter's middle (the transform between A and B) from the
// scratch row [u | G | w | du] of lora_backward_ug.wgsl. With v_e = transform(u_{ea(e)}) (ea(e) = e, or 0
// with a shared A) and c_e the expert weight:
//   mode 0 (LoRA)        v = u,        c = 1
//   mode 1 (Zhyper diag) v_q = z_q·u_q
//   mode 2 (Zhyper sq.)  v_q = Σ_l Z[q, l]·u_l
//   mode 3 (CUMA)        v_e = u_{ea(e)}, c_e = the router's gate g_e(t) (cond = gates [T, E])
// it writes
//   w[t, e, q]  = c_e·v_e[q]                          (dB's right factor: dB_e += s·dY ⊗ w_e)
//   du[t, a, q] = s·Σ_{e: ea(e)=a} c_e·(transformᵀ G_e)[q]   (dA's and dX's left factor)
//   mode 3 only: dgates[t, e] += s·Σ_q G[t, e, q]·v_e[q]   (summed over every adapted projection of the
//                layer; the router's backward reads it)
// One thread per (output number, token): E·r w's, EA·r du's, then E dg's in mode 3.
struct Params { r: u32, E: u32, EA: u32, mode: u32, zOff: u32, scale: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> cond: array<f32>;
@group(0) @binding(3) var<storage, read_write> ug: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgates: array<f32>;

fn ea(e: u32) -> u32 { return select(0u, e, p.EA > 1u); }

/** v_e[q] of token row `row` (the scratch row's base) */
fn v(row: u32, e: u32, q: u32) -> f32 {
  let r = p.r;
  let u = row + ea(e) * r;
  if (p.mode == 1u) { return cond[p.zOff + q] * ug[u + q]; }
  if (p.mode == 2u) {
    var s = 0.0;
    for (var l = 0u; l < r; l++) { s += cond[p.zOff + q * r + l] * ug[u + l]; }
    return s;
  }
  return ug[u + q];
}

fn gate(t: u32, e: u32) -> f32 { return select(1.0, cond[(step.pos0 + t) * p.E + e], p.mode == 3u); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let t = gid.y;
  let r = p.r;
  let nW = p.E * r;
  let nDu = p.EA * r;
  let nDg = select(0u, p.E, p.mode == 3u);
  if (t >= step.T || j >= nW + nDu + nDg) { return; }
  let row = t * 2u * (p.EA + p.E) * r;
  let G = row + nDu;
  let W = G + nW;
  let Du = W + nW;
  if (j < nW) {
    let e = j / r;
    ug[W + j] = gate(t, e) * v(row, e, j % r);
  } else if (j < nW + nDu) {
    let a = (j - nW) / r;
    let q = (j - nW) % r;
    var s = 0.0;
    for (var e = 0u; e < p.E; e++) {
      if (ea(e) != a) { continue; }
      var d = 0.0;
      if (p.mode == 1u) {
        d = cond[p.zOff + q] * ug[G + e * r + q];
      } else if (p.mode == 2u) {
        for (var l = 0u; l < r; l++) { d += cond[p.zOff + l * r + q] * ug[G + e * r + l]; }
      } else {
        d = ug[G + e * r + q];
      }
      s += gate(t, e) * d;
    }
    ug[Du + a * r + q] = p.scale * s;
  } else {
    let e = j - nW - nDu;
    var s = 0.0;
    for (var q = 0u; q < r; q++) { s += ug[G + e * r + q] * v(row, e, q); }
    let o = t * p.E + e;
    dgates[o] += p.scale * s;
  }
}
