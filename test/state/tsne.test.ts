// The Atlas's t-SNE: separates clusters, warm-starts from a previous layout (points stay near where they
// were when the data barely changes), copes with tiny and identical signatures, and refuses < 4 points.
import { describe, it, expect } from 'vitest';
import { MIN_TSNE_POINTS, normalizedDistances, perplexityFor, runTsne } from '../../src/worker/tsne-core';
import { resolveSelection, signatureVectors, zoneSilhouette } from '../../src/state/atlas';
import { newRun, buildConfig, defaultForm } from '../../src/state/runlog';
import type { SignatureSet } from '../../src/experiments/signatures';

/** two tight groups of 5, far apart (scaled down to 1e-4: z signatures early in training) */
function twoGroups(scale = 1e-4): { ids: string[]; vectors: number[][] } {
  const ids: string[] = [];
  const vectors: number[][] = [];
  for (let g = 0; g < 2; g++)
    for (let i = 0; i < 5; i++) {
      ids.push(`c${g}${i}`);
      vectors.push([g * 10 + Math.sin(i) * 0.3, g * -10 + Math.cos(i) * 0.3, i * 0.1].map((v) => v * scale));
    }
  return { ids, vectors };
}
const dist = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const meanWithin = (pts: [number, number][], lo: number, hi: number) => {
  let s = 0, n = 0;
  for (let i = lo; i < hi; i++)
    for (let j = i + 1; j < hi; j++) {
      s += dist(pts[i], pts[j]);
      n++;
    }
  return s / n;
};

describe('runTsne', () => {
  it('keeps groups apart, even when the signatures differ by 1e-4', () => {
    const r = runTsne({ ...twoGroups(), seed: 3 });
    expect(r.warm).toBe(false);
    expect(r.points).toHaveLength(10);
    const within = (meanWithin(r.points, 0, 5) + meanWithin(r.points, 5, 10)) / 2;
    let between = 0;
    for (let i = 0; i < 5; i++) for (let j = 5; j < 10; j++) between += dist(r.points[i], r.points[j]) / 25;
    expect(between).toBeGreaterThan(2 * within);
  });

  it('is deterministic for a seed, and a warm start moves points little when the data barely changes', () => {
    const d = twoGroups();
    const a = runTsne({ ...d, seed: 5 });
    expect(runTsne({ ...d, seed: 5 }).points).toEqual(a.points);
    const init = Object.fromEntries(a.ids.map((id, i) => [id, a.points[i]]));
    const nudged = d.vectors.map((v) => v.map((x) => x * 1.01));
    const b = runTsne({ ids: d.ids, vectors: nudged, init, seed: 5 });
    expect(b.warm).toBe(true);
    expect(b.iterations).toBeLessThan(a.iterations);
    const spread = meanWithin(a.points, 0, 10);
    const moved = a.points.reduce((s, p, i) => s + dist(p, b.points[i]), 0) / 10;
    expect(moved).toBeLessThan(0.25 * spread);
    // a new country starts near the others
    const c = runTsne({ ids: [...d.ids, 'new'], vectors: [...nudged, nudged[0]], init, seed: 5 });
    expect(c.warm).toBe(true);
    expect(c.points).toHaveLength(11);
  });

  it('handles identical signatures and refuses too few points', () => {
    const same = runTsne({ ids: ['a', 'b', 'c', 'd'], vectors: [[1, 1], [1, 1], [1, 1], [1, 1]] });
    expect(same.degenerate).toBe(true);
    expect(same.points.every((p) => p.every(Number.isFinite))).toBe(true);
    expect(() => runTsne({ ids: ['a', 'b', 'c'], vectors: [[0], [1], [2]] })).toThrow(/at least 4 points/);
    expect(MIN_TSNE_POINTS).toBe(4);
    expect(perplexityFor(8)).toBeCloseTo(7 / 3);
    expect(perplexityFor(200)).toBe(30);
    expect(normalizedDistances([[0], [1], [2]]).D[0][2]).toBeCloseTo(2); // squared distances 1, 4, 1 over their mean 2
  });
});

describe('Atlas selection', () => {
  const set = (kind: 'z' | 'routing'): SignatureSet => ({
    kind,
    countries: ['A', 'B', 'C', 'D'].map((c, i) => ({ country: c, zone: i < 2 ? 'Confucian' : 'Latin America', vector: [i < 2 ? 0 : 1], perLayer: [[i < 2 ? 0 : 1], [i]], profiles: 1 })),
    silhouette: 0.5,
  });
  it('picks the kind and method the user asked for when the run has them, else the newest', () => {
    const run = { ...newRun('r', buildConfig(defaultForm()), { encoderId: 'e', model: null }) };
    expect(resolveSelection(run, { kind: null, method: null })).toBeNull();
    run.signatures = { 'zhyper-diag': { method: 'zhyper-diag', step: 1, set: set('z'), updates: 1 }, cuma: { method: 'cuma', step: 1, set: set('routing'), updates: 1 } };
    expect(resolveSelection(run, { kind: null, method: null })).toMatchObject({ kind: 'routing', method: 'cuma', kinds: ['z', 'routing'] });
    expect(resolveSelection(run, { kind: 'z', method: null })).toMatchObject({ kind: 'z', method: 'zhyper-diag' });
    expect(resolveSelection(run, { kind: 'routing', method: 'zhyper-diag' })).toMatchObject({ kind: 'routing', method: 'cuma' });
  });
  it('flattens per-layer vectors and recomputes the silhouette for per-layer routing', () => {
    expect(signatureVectors(set('routing'), true)[3]).toEqual([1, 3]);
    expect(zoneSilhouette(set('z'), true)).toBe(0.5);
    const s = zoneSilhouette(set('routing'), true);
    expect(s).not.toBe(0.5);
    expect(s).toBeGreaterThan(-1);
  });
});
