// The mean-collapse toy of the Learn view and the Present deck (CUMA's motivation, on the CPU in ms).
//
// G groups answer one question with K ordinal options; their answer distributions y_g conflict (one group
// near the first option, another near the last). A model predicts a distribution over the K options as a
// mixture of E "experts", each a discretised Gaussian over the options (mean μ_e, log-width ω_e):
//     p_e[j] = softmax_j( −(j − μ_e)² / (2·exp(2ω_e)) ),     p(g) = Σ_e g_e(g) · p_e,
// with gates g(g) = softmax(R[g]) from the group's identity (R: G×E router logits).
//   - dense: E = 1, one fit for everybody. Cross-entropy over the pooled answers pulls it to one wide
//     Gaussian in the empty middle: high entropy, large EMD to every group.
//   - routed: E = G experts, the router reads the group: each mode gets an expert of its own.
// Trained by full-batch gradient descent on the expected cross-entropy −Σ_g w_g Σ_j y_g[j] log p(g)[j]
// (no sampling), so a run is a pure function of its settings: the same numbers on every replay.
import { emd, entropy } from '../eval/distribution';

export interface CollapseGroup {
  name: string;
  /** y_g: the group's answer distribution over the K options */
  dist: number[];
  /** the group's share of the data (normalised) */
  weight: number;
}

export interface CollapseFit {
  mu: number[];
  omega: number[];
  /** G×E router logits (dense: G×1 zeros) */
  R: number[][];
}

export interface CollapseMetrics {
  step: number;
  /** expected cross-entropy in nats (lower is better) */
  loss: number;
  /** mean over groups of the prediction's entropy, in nats */
  entropy: number;
  /** mean over groups of EMD(prediction, y_g), divided by K − 1 (0 = exact, 1 = worst) */
  emd: number;
}

/** Two (or three) groups with conflicting answers over K = 7 options: the chapter's default world. */
export function conflictingGroups(modes = 2, K = 7): CollapseGroup[] {
  const centres = modes === 2 ? [0.6, K - 1.6] : Array.from({ length: modes }, (_, i) => 0.4 + (i * (K - 1.8)) / (modes - 1));
  return centres.map((c, i) => {
    const raw = Array.from({ length: K }, (_, j) => Math.exp(-((j - c) ** 2) / (2 * 0.55 ** 2)));
    const s = raw.reduce((a, b) => a + b, 0);
    return { name: `Group ${String.fromCharCode(65 + i)}`, dist: raw.map((v) => v / s), weight: 1 / modes };
  });
}

/** p_e over K options for one expert. */
export function expertDist(mu: number, omega: number, K: number): number[] {
  const inv = 1 / (2 * Math.exp(2 * omega));
  const logits = Array.from({ length: K }, (_, j) => -((j - mu) ** 2) * inv);
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function softmax(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Start: experts spread evenly over the options (symmetry broken), router slightly tilted by group. */
export function initFit(experts: number, groups: number, K: number): CollapseFit {
  const mu = Array.from({ length: experts }, (_, e) => (experts === 1 ? (K - 1) / 2 : 1 + (e * (K - 3)) / (experts - 1)));
  const omega = Array.from({ length: experts }, () => Math.log(1.5));
  const R = Array.from({ length: groups }, (_, g) => Array.from({ length: experts }, (_, e) => (experts === 1 ? 0 : 0.05 * Math.cos(1 + g * 2.3 + e * 1.7))));
  return { mu, omega, R };
}

/** The prediction for each group: p(g) = Σ_e g_e(g)·p_e. */
export function predict(fit: CollapseFit, K: number): number[][] {
  const pe = fit.mu.map((m, e) => expertDist(m, fit.omega[e], K));
  return fit.R.map((row) => {
    const g = softmax(row);
    return Array.from({ length: K }, (_, j) => g.reduce((a, ge, e) => a + ge * pe[e][j], 0));
  });
}

export function metrics(fit: CollapseFit, groups: readonly CollapseGroup[], step: number): CollapseMetrics {
  const K = groups[0].dist.length;
  const preds = predict(fit, K);
  const W = groups.reduce((a, g) => a + g.weight, 0);
  let loss = 0;
  let H = 0;
  let E = 0;
  groups.forEach((grp, g) => {
    const w = grp.weight / W;
    loss -= w * grp.dist.reduce((a, y, j) => a + (y > 0 ? y * Math.log(Math.max(preds[g][j], 1e-300)) : 0), 0);
    H += entropy(preds[g]) / groups.length;
    E += emd(preds[g], grp.dist) / groups.length;
  });
  return { step, loss, entropy: H, emd: E };
}

/**
 * One gradient step of the expected cross-entropy. With responsibilities ρ_e(g, j) = g_e·p_e[j] / p(g)[j]:
 *   ∂L/∂ℓ_e[j'] = Σ_g w_g Σ_j y_g[j] ρ_e(g, j) (p_e[j'] − δ_jj'),  ℓ_e[j'] = −(j' − μ_e)²/(2σ_e²)
 *   ∂L/∂R[g][e] = w_g Σ_j y_g[j] (g_e − ρ_e(g, j))
 */
export function step(fit: CollapseFit, groups: readonly CollapseGroup[], lr: number): CollapseFit {
  const K = groups[0].dist.length;
  const E = fit.mu.length;
  const pe = fit.mu.map((m, e) => expertDist(m, fit.omega[e], K));
  const W = groups.reduce((a, g) => a + g.weight, 0);
  const dl = Array.from({ length: E }, () => new Array<number>(K).fill(0));
  const dR = fit.R.map((row) => row.map(() => 0));
  groups.forEach((grp, g) => {
    const w = grp.weight / W;
    const gate = softmax(fit.R[g]);
    for (let j = 0; j < K; j++) {
      const y = grp.dist[j];
      if (y === 0) continue;
      const p = gate.reduce((a, ge, e) => a + ge * pe[e][j], 0);
      for (let e = 0; e < E; e++) {
        const rho = (gate[e] * pe[e][j]) / p;
        for (let jj = 0; jj < K; jj++) dl[e][jj] += w * y * rho * (pe[e][jj] - (jj === j ? 1 : 0));
        dR[g][e] += w * y * (gate[e] - rho);
      }
    }
  });
  const mu = fit.mu.slice();
  const omega = fit.omega.slice();
  for (let e = 0; e < E; e++) {
    const s2 = Math.exp(2 * fit.omega[e]);
    let gmu = 0;
    let gom = 0;
    for (let j = 0; j < K; j++) {
      gmu += dl[e][j] * ((j - fit.mu[e]) / s2);
      gom += dl[e][j] * (((j - fit.mu[e]) ** 2) / s2);
    }
    mu[e] = Math.min(K - 1, Math.max(0, fit.mu[e] - lr * gmu));
    omega[e] = Math.min(2.5, Math.max(-2, fit.omega[e] - lr * gom));
  }
  const R = fit.R.map((row, g) => row.map((v, e) => v - lr * 4 * dR[g][e]));
  return { mu, omega, R };
}

/** A whole run, every `every` steps recorded: the replay the Present deck shows. Pure: same args, same numbers. */
export function train(experts: number, groups: readonly CollapseGroup[], steps: number, lr = 1.5, every = 10): { fit: CollapseFit; history: CollapseMetrics[] } {
  const K = groups[0].dist.length;
  let fit = initFit(experts, groups.length, K);
  const history = [metrics(fit, groups, 0)];
  for (let s = 1; s <= steps; s++) {
    fit = step(fit, groups, lr);
    if (s % every === 0 || s === steps) history.push(metrics(fit, groups, s));
  }
  return { fit, history };
}
