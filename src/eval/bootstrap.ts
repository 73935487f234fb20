// Seeded percentile bootstrap over test answers: the interval a number on n answers carries. The answers are
// resampled with replacement B times; each statistic is recomputed on every resample, and its 2.5th and 97.5th
// percentiles (for 95%) are the interval. Seeded, so a results file and its table always show the same interval.
import { mulberry32 } from '../model/sampling';

export interface BootstrapOptions {
  /** resamples (default 1000) */
  B?: number;
  /** default 1 */
  seed?: number;
  /** default 0.95 */
  level?: number;
}

/** [lo, hi] of each statistic that `stat` returns for a resample of the indices 0..n-1. */
export function bootstrapIntervals(n: number, stat: (idx: Int32Array) => number[], o: BootstrapOptions = {}): [number, number][] {
  const B = o.B ?? 1000, level = o.level ?? 0.95;
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrap needs at least one answer, got n = ${n}`);
  const rand = mulberry32(o.seed ?? 1);
  const draws: number[][] = [];
  const idx = new Int32Array(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    stat(idx).forEach((v, j) => (draws[j] ??= []).push(v));
  }
  return draws.map((d) => {
    const s = d.filter(Number.isFinite).sort((a, b) => a - b);
    if (!s.length) return [NaN, NaN];
    return [quantile(s, (1 - level) / 2), quantile(s, 1 - (1 - level) / 2)];
  });
}

/** the q-quantile of sorted values: the smallest value with at least a q share of the values at or below it */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
