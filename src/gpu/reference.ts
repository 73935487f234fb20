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
