// a·sigmoid(a), written so exp never overflows (WGSL lets drivers assume no infinities): the gate_up_silu kernels.
fn silu(a: f32) -> f32 {
  let e = exp(-abs(a));
  return a * select(e / (1.0 + e), 1.0 / (1.0 + e), a >= 0.0);
}
