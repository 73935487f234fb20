// The references of every kernel in shaders/, in one module: plain TypeScript written as the equations
// read, computing in f64 (JavaScript's numbers), not for speed. The forward kernels' tests compare against
// the *Ref forms (f32 results, as the kernels store them); the training kernels' tests against the f64
// forms, and each backward against central finite differences of its own forward, also here. Layouts and
// argument orders mirror the kernels' (src/gpu/kernels.ts, src/train/kernels.ts); shaders/README.md lists
// which reference serves which kernel.
type Vec = ArrayLike<number>;

const silu = (a: number) => a / (1 + Math.exp(-a));
const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/** Y[T, N] = X[T, K]·W[N, K]ᵀ */
export function linearF64(X: Vec, W: Vec, T: number, N: number, K: number): Float64Array {
  const Y = new Float64Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += X[t * K + k] * W[n * K + k];
      Y[t * N + n] = s;
    }
  return Y;
}

/** dX[T, K] = dY·W for Y = X·Wᵀ, dY read as a window (ldDY, dyOff) of a wider buffer */
export function linearBackwardInputRef(dY: Vec, W: Vec, T: number, N: number, K: number, ldDY = N, dyOff = 0): Float64Array {
  const dX = new Float64Array(T * K);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      const g = dY[t * ldDY + dyOff + n];
      for (let k = 0; k < K; k++) dX[t * K + k] += g * W[n * K + k];
    }
  return dX;
}

export function rmsnormF64(x: Vec, w: Vec, dim: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += dim) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[b + i] ** 2;
    const r = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[b + i] = x[b + i] * r * w[i];
  }
  return y;
}

/** dx for y = x·r·w, r = (mean(x²) + eps)^(-1/2): dx_i = r·w_i·dy_i − x_i·r³/dim·Σ_j dy_j·w_j·x_j */
export function rmsnormBackwardRef(x: Vec, w: Vec, dy: Vec, dim: number, eps: number): Float64Array {
  const dx = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += dim) {
    let ss = 0, dot = 0;
    for (let i = 0; i < dim; i++) {
      ss += x[b + i] ** 2;
      dot += dy[b + i] * w[i] * x[b + i];
    }
    const r = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) dx[b + i] = r * w[i] * dy[b + i] - ((x[b + i] * r ** 3) / dim) * dot;
  }
  return dx;
}

/** rotate_half RoPE on x[T, nHeads, D] at positions pos0.. (the angle pos·invFreq[i] in f64) */
export function ropeF64(x: Vec, T: number, nHeads: number, D: number, pos0: number, invFreq: Vec): Float64Array {
  return rotate(x, T, nHeads, D, pos0, invFreq, 1);
}

/** RoPE's gradient: the same rotation by the opposite angle (a rotation's transpose is its inverse) */
export function ropeBackwardRef(dy: Vec, T: number, nHeads: number, D: number, pos0: number, invFreq: Vec): Float64Array {
  return rotate(dy, T, nHeads, D, pos0, invFreq, -1);
}

function rotate(x: Vec, T: number, nHeads: number, D: number, pos0: number, invFreq: Vec, sign: 1 | -1): Float64Array {
  const y = Float64Array.from(x);
  const half = D / 2;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < nHeads; h++) {
      const b = (t * nHeads + h) * D;
      for (let i = 0; i < half; i++) {
        const a = (pos0 + t) * invFreq[i];
        const c = Math.cos(a), s = sign * Math.sin(a);
        const x1 = x[b + i], x2 = x[b + i + half];
        y[b + i] = x1 * c - x2 * s;
        y[b + i + half] = x2 * c + x1 * s;
      }
    }
  return y;
}

/**
 * Causal GQA as the attention kernel: q[T, nH, D] at positions pos0.., caches [S, nKV, D] with
 * S ≥ pos0 + T. Returns out[T, nH, D] and the logsumexp of each query row's scores, lse[T, nH].
 */
export function attentionF64(q: Vec, kc: Vec, vc: Vec, T: number, pos0: number, nH: number, nKV: number, D: number): { out: Float64Array; lse: Float64Array } {
  const out = new Float64Array(T * nH * D);
  const lse = new Float64Array(T * nH);
  forEachRow(q, kc, T, pos0, nH, nKV, D, (t, h, kvh, P, l) => {
    lse[t * nH + h] = l;
    for (let j = 0; j < P.length; j++)
      for (let d = 0; d < D; d++) out[(t * nH + h) * D + d] += P[j] * vc[(j * nKV + kvh) * D + d];
  });
  return { out, lse };
}

/** Softmax rows P_j (j ≤ pos0 + t) of every (token, head), with their logsumexp. */
function forEachRow(q: Vec, kc: Vec, T: number, pos0: number, nH: number, nKV: number, D: number, f: (t: number, h: number, kvh: number, P: Float64Array, lse: number) => void): void {
  const scale = 1 / Math.sqrt(D);
  const g = nH / nKV;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < nH; h++) {
      const kvh = Math.floor(h / g);
      const n = pos0 + t + 1;
      const s = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let i = 0; i < D; i++) d += q[(t * nH + h) * D + i] * kc[(j * nKV + kvh) * D + i];
        s[j] = d * scale;
      }
      const m = Math.max(...s);
      let z = 0;
      for (let j = 0; j < n; j++) z += Math.exp(s[j] - m);
      const lse = m + Math.log(z);
      f(t, h, kvh, s.map((v) => Math.exp(v - lse)), lse);
    }
}

/**
 * Gradients of attentionF64's out w.r.t. q [T, nH, D] and the caches [S, nKV, D] (S = pos0 + T rows,
 * a token's k/v summed over the query heads of its group), plus lse and delta = Σ_j P_j·(dO·v_j).
 */
export function attentionBackwardRef(q: Vec, kc: Vec, vc: Vec, dO: Vec, T: number, pos0: number, nH: number, nKV: number, D: number) {
  const S = pos0 + T;
  const scale = 1 / Math.sqrt(D);
  const dq = new Float64Array(T * nH * D);
  const dK = new Float64Array(S * nKV * D);
  const dV = new Float64Array(S * nKV * D);
  const lse = new Float64Array(T * nH);
  const delta = new Float64Array(T * nH);
  forEachRow(q, kc, T, pos0, nH, nKV, D, (t, h, kvh, P, l) => {
    const o = (t * nH + h) * D;
    const dP = P.map((_, j) => {
      let e = 0;
      for (let d = 0; d < D; d++) e += dO[o + d] * vc[(j * nKV + kvh) * D + d];
      return e;
    });
    const dl = P.reduce((a, p, j) => a + p * dP[j], 0);
    lse[t * nH + h] = l;
    delta[t * nH + h] = dl;
    for (let j = 0; j < P.length; j++) {
      const dS = P[j] * (dP[j] - dl);
      const kb = (j * nKV + kvh) * D;
      for (let d = 0; d < D; d++) {
        dq[o + d] += scale * dS * kc[kb + d];
        dK[kb + d] += scale * dS * q[o + d];
        dV[kb + d] += P[j] * dO[o + d];
      }
    }
  });
  return { dq, dK, dV, lse, delta };
}

/** out[t, i] = silu(g)·u with gu[t] = [g | u] ([T, 2I]) */
export function siluGateF64(gu: Vec, T: number, I: number): Float64Array {
  const out = new Float64Array(T * I);
  for (let t = 0; t < T; t++) for (let i = 0; i < I; i++) out[t * I + i] = silu(gu[t * 2 * I + i]) * gu[t * 2 * I + I + i];
  return out;
}

/** dgu = [dOut·u·silu'(g) | dOut·silu(g)], silu'(g) = σ(g)·(1 + g·(1 − σ(g))) */
export function siluGateBackwardRef(gu: Vec, dOut: Vec, T: number, I: number): Float64Array {
  const dgu = new Float64Array(T * 2 * I);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < I; i++) {
      const g = gu[t * 2 * I + i], u = gu[t * 2 * I + I + i], d = dOut[t * I + i];
      const sg = sigmoid(g);
      dgu[t * 2 * I + i] = d * u * sg * (1 + g * (1 - sg));
      dgu[t * 2 * I + I + i] = d * silu(g);
    }
  return dgu;
}

/**
 * Label-smoothed cross-entropy (PyTorch's: target distribution (1 − ε)·onehot + ε/V) on the answer
 * (row, target) pairs of logits [rows, V]: loss per row (0 for rows not listed), the mean over the
 * pairs, and the gradient of gradScale·Σ loss (gradScale = 1/count: the mean's) w.r.t. the logits
 * (0 on rows not listed).
 */
export function crossEntropyRef(logits: Vec, V: number, pairs: [number, number][], eps = 0, gradScale = 1 / pairs.length) {
  const loss = new Float64Array(logits.length / V);
  const dlogits = new Float64Array(logits.length);
  for (const [row, y] of pairs) {
    const b = row * V;
    let m = -Infinity, zs = 0;
    for (let i = 0; i < V; i++) {
      m = Math.max(m, logits[b + i]);
      zs += logits[b + i];
    }
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(logits[b + i] - m);
    const lse = m + Math.log(s);
    loss[row] = lse - (1 - eps) * logits[b + y] - (eps / V) * zs;
    for (let i = 0; i < V; i++) dlogits[b + i] = gradScale * (Math.exp(logits[b + i] - lse) - (i === y ? 1 - eps : 0) - eps / V);
  }
  return { loss, mean: loss.reduce((a, b) => a + b, 0) / pairs.length, dlogits };
}

/** One adapted segment's term: y[T, N] = s·B·diag(z)·A·x_t (z null: plain LoRA), A [r, K], B [N, r] */
export function loraF64(x: Vec, A: Vec, B: Vec, z: Vec | null, s: number, T: number, K: number, N: number, r: number): Float64Array {
  const u = linearF64(x, A, T, r, K);
  const y = new Float64Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let a = 0;
      for (let j = 0; j < r; j++) a += B[n * r + j] * (z ? z[j] : 1) * u[t * r + j];
      y[t * N + n] = s * a;
    }
  return y;
}

/**
 * loraF64's gradients for output gradient dY [T, N], with u = A·x_t and g = Bᵀ·dY_t:
 *   dB = s·Σ_t dY_t (z ⊙ u_t)ᵀ,  dA = s·Σ_t (z ⊙ g_t) x_tᵀ,  dz = s·Σ_t g_t ⊙ u_t,  dX_t = s·Aᵀ(z ⊙ g_t)
 */
export function loraBackwardRef(x: Vec, dY: Vec, A: Vec, B: Vec, z: Vec | null, s: number, T: number, K: number, N: number, r: number) {
  const u = linearF64(x, A, T, r, K);
  const dA = new Float64Array(r * K), dB = new Float64Array(N * r), dz = new Float64Array(r), dX = new Float64Array(T * K);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < r; j++) {
      const zj = z ? z[j] : 1;
      let g = 0;
      for (let n = 0; n < N; n++) g += B[n * r + j] * dY[t * N + n];
      for (let n = 0; n < N; n++) dB[n * r + j] += s * dY[t * N + n] * zj * u[t * r + j];
      for (let k = 0; k < K; k++) {
        dA[j * K + k] += s * zj * g * x[t * K + k];
        dX[t * K + k] += s * A[j * K + k] * zj * g;
      }
      dz[j] += s * g * u[t * r + j];
    }
  return { dA, dB, dz, dX };
}

/**
 * Any adapted segment's backward (lora_backward_{ug,mix,params,x}.wgsl), written from the forward
 *   y[t, n] += s·Σ_e c_e(t)·Σ_q B_e[n, q]·v_e[t, q],  v_e = transform(u_{ea(e)}),  u_a = A_a·x_t
 * mode 0: c = 1, v = u;  1: v_q = z_q·u_q;  2: v_q = Σ_l Z[q, l]·u_l;  3: c_e = gates[t, e], v_e = u_{ea(e)}
 * (E experts, EA = 1 shared A or E). Returns dA [EA, r, K], dB [E, N, r], dz (r or r²), dX [T, K] and
 * dgates [T, E] (mode 3).
 */
export function adaptedBackwardRef(o: { x: Vec; dY: Vec; A: Vec; B: Vec; cond: Vec | null; mode: 0 | 1 | 2 | 3; s: number; T: number; K: number; N: number; r: number; E?: number; EA?: number }) {
  const { x, dY, A, B, cond, mode, s, T, K, N, r } = o;
  const E = o.E ?? 1, EA = o.EA ?? 1;
  const ea = (e: number) => (EA > 1 ? e : 0);
  const dA = new Float64Array(EA * r * K), dB = new Float64Array(E * N * r), dz = new Float64Array(mode === 2 ? r * r : r);
  const dX = new Float64Array(T * K), dgates = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    const u = Array.from({ length: EA }, (_, a) => Array.from({ length: r }, (_, q) => {
      let v = 0;
      for (let k = 0; k < K; k++) v += A[(a * r + q) * K + k] * x[t * K + k];
      return v;
    }));
    for (let e = 0; e < E; e++) {
      const c = mode === 3 ? cond![t * E + e] : 1;
      const ue = u[ea(e)];
      const v = ue.map((uq, q) => (mode === 1 ? cond![q] * uq : mode === 2 ? ue.reduce((acc, ul, l) => acc + cond![q * r + l] * ul, 0) : uq));
      const G = Array.from({ length: r }, (_, q) => {
        let g = 0;
        for (let n = 0; n < N; n++) g += B[(e * N + n) * r + q] * dY[t * N + n];
        return g;
      });
      for (let n = 0; n < N; n++) for (let q = 0; q < r; q++) dB[(e * N + n) * r + q] += s * c * dY[t * N + n] * v[q];
      // dv = s·c·G, back through the transform to du
      const dv = G.map((g) => s * c * g);
      const du = new Array<number>(r).fill(0);
      for (let q = 0; q < r; q++) {
        if (mode === 1) du[q] += cond![q] * dv[q];
        else if (mode === 2) for (let l = 0; l < r; l++) du[l] += cond![q * r + l] * dv[q];
        else du[q] += dv[q];
        if (mode === 1) dz[q] += s * G[q] * ue[q];
        if (mode === 2) for (let l = 0; l < r; l++) dz[q * r + l] += s * G[q] * ue[l];
      }
      if (mode === 3) for (let q = 0; q < r; q++) dgates[t * E + e] += s * G[q] * v[q];
      const a = ea(e);
      for (let q = 0; q < r; q++)
        for (let k = 0; k < K; k++) {
          dA[(a * r + q) * K + k] += du[q] * x[t * K + k];
          dX[t * K + k] += A[(a * r + q) * K + k] * du[q];
        }
    }
  }
  return { dA, dB, dz, dX, dgates };
}

/**
 * CUMA's router forward and backward for T tokens (router.wgsl, router_backward.wgsl), in f64: the
 * top-k set from the forward held fixed, eq4 or double gating, and the load-balancing term with scale
 * lbScale (λ·N·weight), loss share lbScale·Σ_i f_i·P_i: dense (Mixtral) f_i = #{t : i ∈ S_t}/T and P_i the mean
 * softmax p; sparse (CUMA's code) f_i = #{t : i ∈ S_t}/(T·k) and P_i the mean final gate g.
 */
export function routerBackwardRef(o: { h: Vec; W1h: Vec; c: Vec; W2: Vec; b2: Vec; dgates: Vec; T: number; H: number; R: number; E: number; k: number; gating: 'eq4' | 'double'; lbScale: number; lbForm?: 'dense' | 'sparse' }) {
  const sparse = o.lbForm === 'sparse';
  const { h, W1h, c, W2, b2, dgates, T, H, R, E, k } = o;
  const pre = new Float64Array(T * R), act = new Float64Array(T * R), prob = new Float64Array(T * E), gates = new Float64Array(T * E);
  const chosen: boolean[][] = [];
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < R; j++) {
      let v = c[j];
      for (let i = 0; i < H; i++) v += W1h[j * H + i] * h[t * H + i];
      pre[t * R + j] = v;
      act[t * R + j] = Math.max(v, 0);
    }
    const l = Array.from({ length: E }, (_, e) => {
      let v = b2[e];
      for (let j = 0; j < R; j++) v += W2[e * R + j] * act[t * R + j];
      return v;
    });
    const m = Math.max(...l);
    const ex = l.map((v) => Math.exp(v - m));
    const z = ex.reduce((a, b) => a + b, 0);
    ex.forEach((v, e) => (prob[t * E + e] = v / z));
    const score = o.gating === 'double' ? ex.map((v) => v / z) : l;
    const ch = new Array<boolean>(E).fill(false);
    for (let i = 0; i < k; i++) {
      let best = -1;
      for (let e = 0; e < E; e++) if (!ch[e] && (best < 0 || score[e] > score[best])) best = e;
      ch[best] = true;
    }
    chosen.push(ch);
    const ms = Math.max(...score.filter((_, e) => ch[e]));
    const zs = score.reduce((a, v, e) => a + (ch[e] ? Math.exp(v - ms) : 0), 0);
    for (let e = 0; e < E; e++) gates[t * E + e] = ch[e] ? Math.exp(score[e] - ms) / zs : 0;
  }
  const f = Array.from({ length: E }, (_, e) => chosen.filter((ch) => ch[e]).length / (T * (sparse ? k : 1)));
  const dlogits = new Float64Array(T * E), dpre = new Float64Array(T * R);
  let lb = 0;
  for (let t = 0; t < T; t++) {
    const g = Array.from({ length: E }, (_, e) => gates[t * E + e]);
    const p = Array.from({ length: E }, (_, e) => prob[t * E + e]);
    const lbd = f.map((fe) => (o.lbScale * fe) / T);
    const dg = Array.from({ length: E }, (_, e) => dgates[t * E + e] + (sparse ? lbd[e] : 0));
    const gdg = g.reduce((a, v, e) => a + v * dg[e], 0);
    const ds = g.map((v, e) => (chosen[t][e] ? v * (dg[e] - gdg) : 0));
    const dp = sparse ? new Array<number>(E).fill(0) : lbd;
    lb += lbd.reduce((a, v, e) => a + v * (sparse ? g[e] : p[e]), 0);
    if (o.gating === 'double') ds.forEach((v, e) => (dp[e] += v));
    const pdp = p.reduce((a, v, e) => a + v * dp[e], 0);
    const dl = p.map((v, e) => v * (dp[e] - pdp) + (o.gating === 'eq4' ? ds[e] : 0));
    dl.forEach((v, e) => (dlogits[t * E + e] = v));
    for (let j = 0; j < R; j++) {
      let v = 0;
      for (let e = 0; e < E; e++) v += W2[e * R + j] * dl[e];
      dpre[t * R + j] = pre[t * R + j] > 0 ? v : 0;
    }
  }
  const dW2 = new Float64Array(E * R), db2 = new Float64Array(E), dW1h = new Float64Array(R * H), dc = new Float64Array(R), dh = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < E; e++) {
      db2[e] += dlogits[t * E + e];
      for (let j = 0; j < R; j++) dW2[e * R + j] += dlogits[t * E + e] * act[t * R + j];
    }
    for (let j = 0; j < R; j++) {
      dc[j] += dpre[t * R + j];
      for (let i = 0; i < H; i++) {
        dW1h[j * H + i] += dpre[t * R + j] * h[t * H + i];
        dh[t * H + i] += W1h[j * H + i] * dpre[t * R + j];
      }
    }
  }
  return { gates, prob, dlogits, act, dpre, lb, dW2, db2, dW1h, dc, dh };
}

export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
}

/** torch.optim.AdamW's step `step` (1-based) on p with gradient g·clip; returns the new p, m, v. */
export function adamwRef(p: Vec, g: Vec, m: Vec, v: Vec, step: number, h: AdamwHyper, clip = 1) {
  const bc1 = 1 - h.beta1 ** step, bc2 = 1 - h.beta2 ** step;
  const P = new Float64Array(p.length), M = new Float64Array(p.length), Vv = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const gi = clip * g[i];
    M[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    Vv[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    P[i] = p[i] - h.lr * (M[i] / bc1 / (Math.sqrt(Vv[i] / bc2) + h.eps) + h.wd * p[i]);
  }
  return { p: P, m: M, v: Vv };
}

/** torch.nn.utils.clip_grad_norm_'s factor over all gradient tensors: min(1, maxNorm / (‖g‖ + 1e-6)) */
export function clipScaleRef(grads: Vec[], maxNorm: number): { norm: number; clip: number } {
  let ss = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] ** 2;
  const norm = Math.sqrt(ss);
  return { norm, clip: Math.min(1, maxNorm / (norm + 1e-6)) };
}

// ---- the forward kernels' references, f32 results ----------------------------------------------------

const f32 = (x: ArrayLike<number>) => Float32Array.from(x);

export function rmsnormRef(x: Float32Array, w: Float32Array, dim: number, eps: number): Float32Array {
  return f32(rmsnormF64(x, w, dim, eps));
}

/** Y[T,N] = X[T,K] · W[N,K]ᵀ + bias */
export function linearRef(X: Float32Array, W: Float32Array, T: number, N: number, K: number, bias?: Float32Array): Float32Array {
  const Y = linearF64(X, W, T, N, K);
  if (bias) for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) Y[t * N + n] += bias[n];
  return f32(Y);
}

/** rotate_half RoPE on x[T, nHeads, D] at positions pos0..pos0+T-1 (returns a copy). */
export function ropeRef(x: Float32Array, T: number, nHeads: number, D: number, pos0: number, invFreq: Float32Array): Float32Array {
  return f32(ropeF64(x, T, nHeads, D, pos0, invFreq));
}

/** Causal GQA: q[T, nH, D] at positions pos0.., K/V caches [S, nKV, D] holding positions 0..pos0+T-1. Returns out[T, nH, D]. */
export function attentionRef(q: Float32Array, kc: Float32Array, vc: Float32Array, T: number, pos0: number, nH: number, nKV: number, D: number): Float32Array {
  return f32(attentionF64(q, kc, vc, T, pos0, nH, nKV, D).out);
}

/** out[t, i] = silu(g)·u with gu[t] = [g | u] */
export function siluMulRef(gu: Float32Array, T: number, I: number): Float32Array {
  return f32(siluGateF64(gu, T, I));
}

/** greedy decoding's argmax: the first index of the largest value (as src/model/sampling.ts argmax) */
export function argmaxRef(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** The k largest of x by a full sort: larger first, equal ones by lower index (independent of sampling.ts's selection) */
export function topkRef(x: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: x.length }, (_, i) => i)
    .sort((a, b) => (x[b] === x[a] ? a - b : x[b] - x[a]))
    .slice(0, k);
}

/**
 * nucleus.wgsl's quantities from x in f64 (u = (x − m)·invT rounded as the kernel's f32 does): the largest logit m,
 * Z = Σ exp(u), the candidates {u ≥ tau} for the kernel's own threshold tau, and the mass of any index set.
 */
export function nucleusRef(x: ArrayLike<number>, invT: number, tau: number) {
  const f = Math.fround;
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const u = Array.from(x, (v) => f(f(v - m) * f(invT)));
  const mass = (set: number[]) => set.reduce((a, i) => a + Math.exp(u[i]), 0);
  const set = u.flatMap((v, i) => (v >= tau ? [i] : []));
  return { m, u, Z: mass(u.map((_, i) => i)), set, mass };
}

/**
 * draw.wgsl's token in f64 from k candidates (vals largest first): softmax weights at the temperature, the top-p cut
 * (the first i whose cumulative share reaches topP), then u over the kept mass. `margin` is how near the draw came to
 * going another way, relative: the distance of u·zk from the nearest boundary it lies between, over zk, and of the
 * cut's share from topP; where it is below f32's rounding the kernel may pick a neighbour.
 */
export function drawRef(idx: ArrayLike<number>, vals: ArrayLike<number>, invT: number, topP: number, u: number): { id: number; margin: number } {
  const w = Array.from(vals, (v) => Math.exp((v - vals[0]) * invT));
  const z = w.reduce((a, b) => a + b, 0);
  let keep = w.length, margin = Infinity, c = 0;
  if (topP < 1) {
    for (let i = 0; i < w.length; i++) {
      const before = c;
      c += w[i] / z;
      if (c >= topP) {
        keep = i + 1;
        margin = Math.min(c - topP, topP - before);
        break;
      }
    }
  }
  const zk = w.slice(0, keep).reduce((a, b) => a + b, 0);
  let lo = 0;
  for (let i = 0; i < keep; i++) {
    const hi = lo + w[i];
    if (u * zk <= hi || i === keep - 1) return { id: idx[i], margin: Math.min(margin, (u * zk - lo) / zk, (hi - u * zk) / zk) };
    lo = hi;
  }
  throw new Error('unreachable');
}

export function embeddingRef(table: Float32Array, ids: ArrayLike<number>, H: number): Float32Array {
  const out = new Float32Array(ids.length * H);
  for (let t = 0; t < ids.length; t++) out.set(table.subarray(ids[t] * H, ids[t] * H + H), t * H);
  return out;
}

export function siluGateRef(x: Float32Array, Wg: Float32Array, Wu: Float32Array, T: number, I: number, K: number): Float32Array {
  const g = linearRef(x, Wg, T, I, K);
  const u = linearRef(x, Wu, T, I, K);
  return g.map((a, i) => (a / (1 + Math.exp(-a))) * u[i]);
}

/**
 * Decode's rmsnorm_qkv_rope: h = RMSNorm(x)·normW, qkv = W·h (+ bias), RoPE on the q and k heads at position pos.
 * Returns q [nQ·D] (rotated), k [nKV·D] (rotated) and v [nKV·D]: what goes to q and to the caches.
 */
export function normQkvRopeRef(x: Float32Array, normW: Float32Array, W: Float32Array, bias: Float32Array | undefined, H: number, D: number, nQ: number, nKV: number, pos: number, invFreq: Float32Array) {
  const N = (nQ + 2 * nKV) * D;
  const qkv = linearF64(rmsnormF64(x, normW, H, 1e-6), W, 1, N, H);
  if (bias) for (let n = 0; n < N; n++) qkv[n] += bias[n];
  const qk = ropeF64(qkv.slice(0, (nQ + nKV) * D), 1, nQ + nKV, D, pos, invFreq);
  return { q: f32(qk.slice(0, nQ * D)), k: f32(qk.slice(nQ * D)), v: f32(qkv.slice((nQ + nKV) * D)) };
}

/** Decode's rmsnorm_gate_up_silu: SiLU(Wg·h) ⊙ (Wu·h) with h = RMSNorm(x)·normW, eps 1e-6 */
export function normSiluGateRef(x: Float32Array, normW: Float32Array, Wg: Float32Array, Wu: Float32Array, I: number, K: number): Float32Array {
  const h = rmsnormF64(x, normW, K, 1e-6);
  const g = linearF64(h, Wg, 1, I, K);
  const u = linearF64(h, Wu, 1, I, K);
  return f32(g.map((a, i) => (a / (1 + Math.exp(-a))) * u[i]));
}

export function addRef(x: Float32Array, y: Float32Array): Float32Array {
  return x.map((v, i) => v + y[i]);
}

/** CPU view of an adapted projection (see LoraBinding in kernels.ts for modes and layouts). */
export interface LoraRef {
  mode: 0 | 1 | 2 | 3;
  r: number;
  E: number;
  EA: number;
  segs: { start: number; len: number }[];
  scale: number;
  A: Float32Array;
  B: Float32Array;
  /** z [nSeg, r] | Z [nSeg, r, r] | gates [positions, E] */
  cond: Float32Array;
}

/**
 * Y[t, n] = X[t]·W[n] (+ b[n]) + s·Σ_e c_e·B_e[n]·v_e, v = transform(A_e·X[t]), written as the equations
 * read: the delta for each segment is built from u = A·x, then z / Z / gates, then B.
 * Token t sits at position pos0 + t (where CUMA's gates are read). W null: the adapter's term only.
 */
export function adaptedLinearRef(X: Float32Array, W: Float32Array | null, T: number, N: number, K: number, l: LoraRef, pos0 = 0, bias?: Float32Array): Float32Array {
  const Y = W ? linearRef(X, W, T, N, K, bias) : new Float32Array(T * N);
  const { r, E, EA } = l;
  let bOff = 0;
  l.segs.forEach((sg, s) => {
    for (let t = 0; t < T; t++) {
      const x = X.subarray(t * K, t * K + K);
      for (let e = 0; e < E; e++) {
        const c = l.mode === 3 ? l.cond[(pos0 + t) * E + e] : 1;
        if (c === 0) continue;
        const ea = EA > 1 ? e : 0;
        const u = new Float64Array(r);
        for (let j = 0; j < r; j++) {
          const a = ((s * EA + ea) * r + j) * K;
          for (let k = 0; k < K; k++) u[j] += l.A[a + k] * x[k];
        }
        const v = new Float64Array(r);
        for (let j = 0; j < r; j++) {
          if (l.mode === 1) v[j] = l.cond[s * r + j] * u[j];
          else if (l.mode === 2) for (let q = 0; q < r; q++) v[j] += l.cond[(s * r + j) * r + q] * u[q];
          else v[j] = u[j];
        }
        for (let i = 0; i < sg.len; i++) {
          let d = 0;
          for (let j = 0; j < r; j++) d += l.B[bOff + (e * sg.len + i) * r + j] * v[j];
          Y[t * N + sg.start + i] += l.scale * c * d;
        }
      }
    }
    bOff += E * sg.len * r;
  });
  return Y;
}

/**
 * CUMA router on h[T, H]: logits = W2·ReLU(W1h·h + c) + b2, then top-k gating ('eq4': softmax over the
 * top-k logits; 'double': softmax, keep top-k, softmax again). Ties go to the lower index. Returns [T, E].
 */
export function routerRef(h: Float32Array, T: number, H: number, W1h: Float32Array, c: Float32Array, W2: Float32Array, b2: Float32Array, E: number, k: number, gating: 'eq4' | 'double'): Float32Array {
  const R = c.length;
  const out = new Float32Array(T * E);
  for (let t = 0; t < T; t++) {
    const a = new Float64Array(R);
    for (let j = 0; j < R; j++) {
      let s = c[j];
      for (let i = 0; i < H; i++) s += W1h[j * H + i] * h[t * H + i];
      a[j] = Math.max(s, 0);
    }
    const logits = Array.from({ length: E }, (_, e) => {
      let s = b2[e];
      for (let j = 0; j < R; j++) s += W2[e * R + j] * a[j];
      return s;
    });
    out.set(topkGates(logits, k, gating), t * E);
  }
  return out;
}

/** The gating rule on one token's logits. */
export function topkGates(logits: number[], k: number, gating: 'eq4' | 'double'): Float32Array {
  const E = logits.length;
  let score = logits;
  if (gating === 'double') {
    const m = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - m));
    const z = ex.reduce((a, b) => a + b, 0);
    score = ex.map((v) => v / z);
  }
  // stable sort by score, descending: equal scores keep index order
  const order = score.map((s, i) => [s, i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  const top = order.slice(0, k).map(([, i]) => i);
  const m = Math.max(...top.map((i) => score[i]));
  const z = top.reduce((acc, i) => acc + Math.exp(score[i] - m), 0);
  const g = new Float32Array(E);
  for (const i of top) g[i] = Math.exp(score[i] - m) / z;
  return g;
}

