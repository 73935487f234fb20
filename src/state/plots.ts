// Shaping ScoreResult's z and gates into the matrices the heatmaps draw. Pure functions.
import type { ScoreResult } from '../adapters/session';

export type Matrix = number[][];

/** CUMA gates of one layer as tokens × experts (rows: the prompt's tokens in order). */
export function tokenExpertGates(gates: NonNullable<ScoreResult['gates']>, layer: number): Matrix {
  const flat = gates.layers[layer];
  if (!flat) return [];
  const E = gates.E;
  const T = Math.floor(flat.length / E);
  const out: Matrix = [];
  for (let t = 0; t < T; t++) out.push(flat.slice(t * E, t * E + E));
  return out;
}

/** CUMA gates averaged over the prompt's tokens: layers × experts. */
export function meanGates(gates: NonNullable<ScoreResult['gates']>): Matrix {
  const E = gates.E;
  return gates.layers.map((flat) => {
    const T = Math.floor(flat.length / E);
    const row = new Array<number>(E).fill(0);
    if (T === 0) return row;
    for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) row[e] += flat[t * E + e];
    return row.map((v) => v / T);
  });
}

/** Zhyper z of one target as layers × rank (square Z: layers × r² in row-major order). */
export function zMatrix(z: NonNullable<ScoreResult['z']>, targetIndex: number): Matrix {
  return z.values.map((byTarget) => [...(byTarget[targetIndex] ?? [])]);
}

/** a − b, element by element (shapes must agree; a missing cell counts as 0). */
export function diffMatrix(a: Matrix, b: Matrix): Matrix {
  return a.map((row, i) => row.map((v, j) => v - (b[i]?.[j] ?? 0)));
}

/** The largest |value|, for a colour scale centred on 0 (at least `floor`, so all-zero differences still draw). */
export function maxAbs(m: Matrix, floor = 1e-6): number {
  let best = floor;
  for (const row of m) for (const v of row) if (Math.abs(v) > best) best = Math.abs(v);
  return best;
}

/** Unique labels for a token axis (plotly merges equal category names): "3 · ␣the". */
export function tokenLabels(tokens: string[]): string[] {
  return tokens.map((t, i) => `${i} · ${t.replace(/\n/g, '↵').replace(/ /g, '␣') || '∅'}`);
}

/** Total variation distance between two distributions (0: the same, 1: disjoint). */
export function totalVariation(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) s += Math.abs((p[i] ?? 0) - (q[i] ?? 0));
  return s / 2;
}
