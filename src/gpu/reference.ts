// Plain TypeScript references for every kernel in shaders/, written for clarity, not speed.
// Tests run each kernel against these at several shapes; the shapes mirror the WGSL's arguments.

export function embeddingRef(table: Float32Array, ids: ArrayLike<number>, H: number): Float32Array {
  const out = new Float32Array(ids.length * H);
  for (let t = 0; t < ids.length; t++) out.set(table.subarray(ids[t] * H, ids[t] * H + H), t * H);
  return out;
}

export function rmsnormRef(x: Float32Array, w: Float32Array, dim: number, eps: number): Float32Array {
  const rows = x.length / dim;
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(s / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * w[i];
  }
  return y;
}

/** Y[T,N] = X[T,K] · W[N,K]ᵀ + bias */
export function linearRef(X: Float32Array, W: Float32Array, T: number, N: number, K: number, bias?: Float32Array): Float32Array {
  const Y = new Float32Array(T * N);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += X[t * K + k] * W[n * K + k];
      Y[t * N + n] = s + (bias ? bias[n] : 0);
    }
  return Y;
}

/** rotate_half RoPE on x[T, nHeads, D] at positions pos0..pos0+T-1 (returns a copy). */
export function ropeRef(x: Float32Array, T: number, nHeads: number, D: number, pos0: number, invFreq: Float32Array): Float32Array {
  const y = x.slice();
  const half = D / 2;
  for (let t = 0; t < T; t++)
    for (let h = 0; h < nHeads; h++) {
      const b = (t * nHeads + h) * D;
      for (let i = 0; i < half; i++) {
        const a = (pos0 + t) * invFreq[i];
        const c = Math.cos(a), s = Math.sin(a);
        const x1 = x[b + i], x2 = x[b + i + half];
        y[b + i] = x1 * c - x2 * s;
        y[b + i + half] = x2 * c + x1 * s;
      }
    }
  return y;
}

/**
 * Causal GQA: q[T, nH, D] at positions pos0.., K/V caches [S, nKV, D] holding positions 0..pos0+T-1.
 * Returns out[T, nH, D].
 */
export function attentionRef(q: Float32Array, kc: Float32Array, vc: Float32Array, T: number, pos0: number, nH: number, nKV: number, D: number): Float32Array {
  const out = new Float32Array(T * nH * D);
  const g = nH / nKV;
  const scale = 1 / Math.sqrt(D);
  for (let t = 0; t < T; t++)
    for (let h = 0; h < nH; h++) {
      const kvh = Math.floor(h / g);
      const n = pos0 + t + 1;
      const s = new Float64Array(n);
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let i = 0; i < D; i++) d += q[(t * nH + h) * D + i] * kc[(j * nKV + kvh) * D + i];
        s[j] = d * scale;
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = 0; j < n; j++) z += (s[j] = Math.exp(s[j] - m));
      for (let i = 0; i < D; i++) {
        let a = 0;
        for (let j = 0; j < n; j++) a += s[j] * vc[(j * nKV + kvh) * D + i];
        out[(t * nH + h) * D + i] = a / z;
      }
    }
  return out;
}

export function siluGateRef(x: Float32Array, Wg: Float32Array, Wu: Float32Array, T: number, I: number, K: number): Float32Array {
  const g = linearRef(x, Wg, T, I, K);
  const u = linearRef(x, Wu, T, I, K);
  return g.map((a, i) => (a / (1 + Math.exp(-a))) * u[i]);
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

export function siluMulRef(gu: Float32Array, T: number, I: number): Float32Array {
  const out = new Float32Array(T * I);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < I; i++) {
      const g = gu[t * 2 * I + i];
      out[t * I + i] = (g / (1 + Math.exp(-g))) * gu[t * 2 * I + I + i];
    }
  return out;
}
