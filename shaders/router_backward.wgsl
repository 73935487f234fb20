// CUMA router backward, one workgroup per token t. The forward (router.wgsl) is recomputed:
//   pre = W1h·h[t] + c,  a = ReLU(pre),  l = W2·a + b2,  p = softmax(l),  S = top-k,  g = gating(l, S)
// and the gate gradient dg = dgates[t] (summed over the layer's adapted projections by
// lora_backward_mix.wgsl) is pulled back through the gating, the top-k set held fixed:
//   eq4:     g = softmax(l restricted to S)          dl_e = g_e·(dg_e − Σ_j g_j·dg_j) on S, 0 off it
//   double:  g = softmax(p restricted to S)          dp as above, then dl = p ⊙ (dp − p·dp)
// plus the load-balancing loss λ·N·Σ_i f_i·P_i of this layer and sequence, in one of two forms (lbForm):
//   0 dense (Mixtral's):  f_i = (1/T)·#{t : i ∈ S_t}, P_i = (1/T)·Σ_t p_t,i    → ∂/∂p_t,i = lbScale·f_i/T
//   1 sparse (CUMA's code): f_i = #{t : i ∈ S_t}/(T·k), P_i = (1/T)·Σ_t g_t,i  → ∂/∂g_t,i = lbScale·f_i/T,
//                            pulled back through the gating like the main loss's dg
// f is a constant (read off the forward's gates, > 0 exactly on S); lbScale = λ·N (times the batch weight).
// Its share of the loss, lbScale·Σ_i f_i·(p or g)_t,i / T, goes to lb[t] (the caller sums it).
// Outputs, one scratch row per token (stride 2R + E + 1, so the kernel binds 8 storage buffers):
//   [a (R) | dpre (R) | dlogits (E) | lb share (1)]
// a and dlogits give dW2, db2; dpre and h give dW1h and dc (weight_grad.wgsl), and dh through W1h.
struct Params { H: u32, R: u32, E: u32, k: u32, gating: u32, lbScale: f32, lbForm: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
// #include "_step.wgsl"
@group(0) @binding(2) var<storage, read> h: array<f32>;
@group(0) @binding(3) var<storage, read> W1h: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read> W2: array<f32>;
@group(0) @binding(6) var<storage, read> b2: array<f32>;
@group(0) @binding(7) var<storage, read> gates: array<f32>;
@group(0) @binding(8) var<storage, read> dgates: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;

const MAXR = 1024u;
const MAXE = 64u;
var<workgroup> a: array<f32, MAXR>;
var<workgroup> logits: array<f32, MAXE>;
var<workgroup> dl: array<f32, MAXE>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = wid.x;
  let tid = lid.x;
  if (t >= step.T) { return; }
  let E = p.E;
  let row = t * (2u * p.R + E + 1u);
  for (var j = tid; j < p.R; j += 64u) {
    var s = c[j];
    for (var i = 0u; i < p.H; i++) { s += W1h[j * p.H + i] * h[t * p.H + i]; }
    a[j] = s; // the pre-activation, kept for ReLU's mask
    out[row + j] = max(s, 0.0);
  }
  workgroupBarrier();
  for (var e = tid; e < E; e += 64u) {
    var s = b2[e];
    for (var j = 0u; j < p.R; j++) { s += W2[e * p.R + j] * max(a[j], 0.0); }
    logits[e] = s;
  }
  workgroupBarrier();
  if (tid == 0u) {
    // p = softmax(l)
    var prob: array<f32, MAXE>;
    var m = logits[0];
    for (var e = 1u; e < E; e++) { m = max(m, logits[e]); }
    var z = 0.0;
    for (var e = 0u; e < E; e++) { prob[e] = exp(logits[e] - m); z += prob[e]; }
    for (var e = 0u; e < E; e++) { prob[e] /= z; }
    var score: array<f32, MAXE>;
    for (var e = 0u; e < E; e++) { score[e] = select(logits[e], prob[e], p.gating == 1u); }
    // top-k exactly as router.wgsl: strict '>' keeps the lower index on ties
    var chosen: array<bool, MAXE>;
    for (var e = 0u; e < E; e++) { chosen[e] = false; }
    var ms = -3.4e38;
    for (var i = 0u; i < p.k; i++) {
      var best = E;
      for (var e = 0u; e < E; e++) {
        if (!chosen[e] && (best == E || score[e] > score[best])) { best = e; }
      }
      chosen[best] = true;
      ms = max(ms, score[best]);
    }
    var zs = 0.0;
    for (var e = 0u; e < E; e++) { if (chosen[e]) { zs += exp(score[e] - ms); } }
    var g: array<f32, MAXE>;
    // f_i from the forward's gates of this sequence: count/T (dense form) or count/(T·k) (sparse form)
    var f: array<f32, MAXE>;
    for (var e = 0u; e < E; e++) {
      g[e] = select(0.0, exp(score[e] - ms) / zs, chosen[e]);
      var cnt = 0.0;
      for (var u = 0u; u < step.T; u++) { cnt += select(0.0, 1.0, gates[(step.pos0 + u) * E + e] > 0.0); }
      f[e] = cnt / (f32(step.T) * select(1.0, f32(p.k), p.lbForm == 1u));
    }
    // the gates' gradient: the main loss's, plus, in the sparse form, lbScale·f_i/T (P_i is the mean final gate)
    var dg: array<f32, MAXE>;
    var gdg = 0.0;
    var lbt = 0.0;
    for (var e = 0u; e < E; e++) {
      dg[e] = dgates[t * E + e];
      if (p.lbForm == 1u) {
        let d = p.lbScale * f[e] / f32(step.T);
        dg[e] += d;
        lbt += d * g[e];
      }
      gdg += g[e] * dg[e];
    }
    // dscore on S (the softmax over the chosen scores)
    var ds: array<f32, MAXE>;
    for (var e = 0u; e < E; e++) { ds[e] = select(0.0, g[e] * (dg[e] - gdg), chosen[e]); }
    // dp: the double gating's scores are p; the dense load balance adds lbScale·f / T (P_i is the mean of p)
    var dp: array<f32, MAXE>;
    for (var e = 0u; e < E; e++) {
      dp[e] = 0.0;
      if (p.lbForm == 0u) {
        dp[e] = p.lbScale * f[e] / f32(step.T);
        lbt += dp[e] * prob[e];
      }
      if (p.gating == 1u) { dp[e] += ds[e]; }
    }
    out[row + 2u * p.R + E] = lbt;
    var pdp = 0.0;
    for (var e = 0u; e < E; e++) { pdp += prob[e] * dp[e]; }
    for (var e = 0u; e < E; e++) {
      var d = prob[e] * (dp[e] - pdp);
      if (p.gating == 0u) { d += ds[e]; }
      dl[e] = d;
      out[row + 2u * p.R + e] = d;
    }
  }
  workgroupBarrier();
  for (var j = tid; j < p.R; j += 64u) {
    var s = 0.0;
    for (var e = 0u; e < E; e++) { s += W2[e * p.R + j] * dl[e]; }
    out[row + p.R + j] = select(0.0, s, a[j] > 0.0);
  }
}
