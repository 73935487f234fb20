// How well points (e.g. countries' routing signatures) separate into labelled groups (e.g. the
// Inglehart–Welzel cultural zones).
import { fail, finiteVector } from './validate';

function checkPoints(fn: string, points: readonly (readonly number[])[], labels: readonly (string | number)[]): number[][] {
  if (!Array.isArray(points) || !Array.isArray(labels)) fail(fn, 'points and labels must be arrays');
  if (points.length !== labels.length) fail(fn, `${points.length} points but ${labels.length} labels`);
  const X = points.map((p, i) => finiteVector(fn, `points[${i}]`, p));
  const d = X.length > 0 ? X[0].length : 0;
  X.forEach((p, i) => {
    if (p.length !== d) fail(fn, `points[${i}] has ${p.length} coordinates but points[0] has ${d}`);
  });
  labels.forEach((l, i) => {
    if (!(typeof l === 'string' || (typeof l === 'number' && Number.isFinite(l)))) fail(fn, `labels[${i}] = ${String(l)} is not a string or finite number`);
  });
  const nLabels = new Set(labels).size;
  if (nLabels < 2 || nLabels > X.length - 1) {
    fail(fn, `needs 2 ≤ number of clusters ≤ number of points − 1 (got ${nLabels} clusters for ${X.length} points)`);
  }
  return X;
}

function dist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const t = a[i] - b[i];
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * Silhouette of each point, in [−1, 1] (higher: the point sits well inside its own cluster), with
 * Euclidean distance, as scikit-learn's `silhouette_samples`:
 *   a(i) = mean distance from i to the other points of its cluster,
 *   b(i) = smallest mean distance from i to the points of another cluster,
 *   s(i) = (b − a) / max(a, b);  s(i) = 0 for a point alone in its cluster, and 0 when a = b = 0.
 * Labels are compared with ===, so 1 and '1' are different clusters. Throws unless the number of
 * clusters is between 2 and n − 1, on length mismatches and non-finite coordinates.
 */
export function silhouetteSamples(points: readonly (readonly number[])[], labels: readonly (string | number)[]): number[] {
  const X = checkPoints('silhouette', points, labels);
  const n = X.length;
  const clusters = new Map<string | number, number[]>();
  labels.forEach((l, i) => {
    const m = clusters.get(l);
    if (m) m.push(i);
    else clusters.set(l, [i]);
  });
  const D = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) D[i][j] = D[j][i] = dist(X[i], X[j]);
  return X.map((_, i) => {
    const own = clusters.get(labels[i])!;
    if (own.length === 1) return 0;
    let a = 0;
    for (const j of own) a += D[i][j];
    a /= own.length - 1;
    let b = Infinity;
    for (const [l, members] of clusters) {
      if (l === labels[i]) continue;
      let s = 0;
      for (const j of members) s += D[i][j];
      b = Math.min(b, s / members.length);
    }
    const denom = Math.max(a, b);
    return denom === 0 ? 0 : (b - a) / denom;
  });
}

/**
 * Mean silhouette over all points (scikit-learn's `silhouette_score`, Euclidean), in [−1, 1].
 * Higher means better-separated clusters: near 1 tight, well-apart groups; near 0 overlapping
 * groups; negative, points closer to another group than to their own. See `silhouetteSamples` for
 * the conventions (singletons score 0) and the errors.
 */
export function silhouette(points: readonly (readonly number[])[], labels: readonly (string | number)[]): number {
  const s = silhouetteSamples(points, labels);
  return s.reduce((t, x) => t + x, 0) / s.length;
}
