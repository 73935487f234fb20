// The best rank-r LoRA of a matrix, for the Learn view's LoRA chapter. By Eckart–Young the rank-r matrix
// nearest to M (Frobenius norm) is U_r·S_r·V_rᵀ from the singular value decomposition, so the chapter can
// show B = U_r·S_r (d×r) and A = V_rᵀ (r×k) as "the LoRA a perfect training run would find".
//
// One-sided Jacobi (Hestenes): rotate pairs of columns until all are orthogonal; the column norms are the
// singular values. Plain, exact to rounding, and fast enough for the chapter's 64×64 matrices.

export interface Svd {
  /** d×n, column-major per singular vector: U[i][j] = row i of the j-th left singular vector */
  U: number[][];
  /** n singular values, descending */
  S: number[];
  /** k×n: V[i][j] = row i of the j-th right singular vector */
  V: number[][];
}

/** SVD of a d×k matrix given as rows (d ≥ 1, k ≥ 1). n = min(d, k) singular triples, largest first. */
export function svd(M: readonly (readonly number[])[]): Svd {
  const d = M.length;
  const k = M[0]?.length ?? 0;
  if (!d || !k || M.some((r) => r.length !== k)) throw new Error('svd: M must be a non-empty matrix with rows of equal length');
  // Work on the wide side's transpose so that the columns being orthogonalised are the shorter set.
  const tall = d >= k;
  const rows = tall ? d : k;
  const cols = tall ? k : d;
  // W: rows × cols (columns get rotated), V: cols × cols accumulates the rotations
  const W = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (tall ? M[i][j] : M[j][i])));
  const V: number[][] = Array.from({ length: cols }, (_, i) => Array.from({ length: cols }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let a = 0;
        let b = 0;
        let c = 0;
        for (let i = 0; i < rows; i++) {
          a += W[i][p] * W[i][p];
          b += W[i][q] * W[i][q];
          c += W[i][p] * W[i][q];
        }
        if (Math.abs(c) <= 1e-15 * Math.sqrt(a * b) || c === 0) continue;
        off = Math.max(off, Math.abs(c) / Math.sqrt(a * b));
        const zeta = (b - a) / (2 * c);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < rows; i++) {
          const x = W[i][p];
          const y = W[i][q];
          W[i][p] = cs * x - sn * y;
          W[i][q] = sn * x + cs * y;
        }
        for (let i = 0; i < cols; i++) {
          const x = V[i][p];
          const y = V[i][q];
          V[i][p] = cs * x - sn * y;
          V[i][q] = sn * x + cs * y;
        }
      }
    }
    if (off < 1e-13) break;
  }
  const norms = Array.from({ length: cols }, (_, j) => Math.sqrt(W.reduce((s, r) => s + r[j] * r[j], 0)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const S = order.map((j) => norms[j]);
  const left = W.map((r) => order.map((j) => (norms[j] > 0 ? r[j] / norms[j] : 0)));
  const right = V.map((r) => order.map((j) => r[j]));
  return tall ? { U: left, S, V: right } : { U: right, S, V: left };
}

/** The rank-r LoRA of M from its SVD: B = U_r·S_r (d×r), A = V_rᵀ (r×k), and B·A. */
export function lowRank(s: Svd, r: number): { B: number[][]; A: number[][]; BA: number[][] } {
  const n = s.S.length;
  const rr = Math.max(0, Math.min(n, Math.round(r)));
  const B = s.U.map((row) => row.slice(0, rr).map((u, j) => u * s.S[j]));
  const k = s.V.length;
  const A = Array.from({ length: rr }, (_, j) => Array.from({ length: k }, (_, c) => s.V[c][j]));
  const BA = B.map((brow) => Array.from({ length: k }, (_, c) => brow.reduce((acc, b, j) => acc + b * A[j][c], 0)));
  return { B, A, BA };
}

/** ‖M − R‖_F / ‖M‖_F: 0 = exact, 1 = as far as the zero matrix. */
export function relativeError(M: readonly (readonly number[])[], R: readonly (readonly number[])[]): number {
  let num = 0;
  let den = 0;
  M.forEach((row, i) =>
    row.forEach((m, j) => {
      num += (m - R[i][j]) ** 2;
      den += m * m;
    }),
  );
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/** Parameters of a full d×k update against a rank-r LoRA of it: d·k against r·(d + k). */
export function loraParamCount(d: number, k: number, r: number): { full: number; lora: number } {
  return { full: d * k, lora: r * (d + k) };
}
