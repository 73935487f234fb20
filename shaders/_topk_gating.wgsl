// CUMA's gating of one token's expert logits (router.wgsl, rmsnorm_router.wgsl), written densely to
// gates[row .. row + E) with zeros off the top-k:
//   gating 0 (the paper's Eq. 4): softmax over the top-k logits;
//   gating 1 (the reference code): softmax over all, keep the top-k probabilities, softmax those again.
// Top-k by repeated selection: strict '>' gives ties to the lower expert index, as the TypeScript reference.
// The including kernel declares `logits` (workgroup, MAXE), `gates` (storage, read_write) and MAXE.
fn topkGates(row: u32, E: u32, k: u32, gating: u32) {
  var score: array<f32, MAXE>;
  if (gating == 1u) {
    var m = logits[0];
    for (var e = 1u; e < E; e++) { m = max(m, logits[e]); }
    var z = 0.0;
    for (var e = 0u; e < E; e++) { score[e] = exp(logits[e] - m); z += score[e]; }
    for (var e = 0u; e < E; e++) { score[e] /= z; }
  } else {
    for (var e = 0u; e < E; e++) { score[e] = logits[e]; }
  }
  var chosen: array<bool, MAXE>;
  for (var e = 0u; e < E; e++) { chosen[e] = false; }
  var m = -3.4e38;
  for (var i = 0u; i < k; i++) {
    var best = E;
    for (var e = 0u; e < E; e++) {
      if (!chosen[e] && (best == E || score[e] > score[best])) { best = e; }
    }
    chosen[best] = true;
    m = max(m, score[best]);
  }
  var z = 0.0;
  for (var e = 0u; e < E; e++) { if (chosen[e]) { z += exp(score[e] - m); } }
  for (var e = 0u; e < E; e++) {
    gates[row + e] = select(0.0, exp(score[e] - m) / z, chosen[e]);
  }
}
