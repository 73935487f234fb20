// t-SNE of per-country signatures for the Atlas, on @keckelt/tsne (a TypeScript port of Karpathy's
// tsnejs: exact gradients, fine for the tens of points a world has). Two things it does not do and the
// Atlas needs:
//   - warm starts: a new set of signatures (one more training step) starts from the previous layout,
//     skipping early exaggeration, and runs a bounded number of iterations, so the points move rather
//     than jump (t-SNE is free to rotate and mirror; restarting from random would do that every update);
//   - scale: distances are normalized to mean 1 first (z signatures differ by ~1e-3 between countries at
//     the start of training, and the perplexity search starts at β = 1).
// No randomness from Math.random: the initial layout comes from a seeded generator.
import { TSNE } from '@keckelt/tsne';
import { mulberry32 } from '../model/sampling';

export interface TsneRequest {
  /** one id per point (country names): warm starts match points by id */
  ids: string[];
  vectors: number[][];
  /** the previous layout by id; ids not in it start near the others */
  init?: Record<string, [number, number]>;
  seed?: number;
  /** iterations without / with a warm start */
  coldIterations?: number;
  warmIterations?: number;
}

export interface TsneResult {
  ids: string[];
  points: [number, number][];
  iterations: number;
  warm: boolean;
  /** every vector is the same point: the layout means nothing */
  degenerate: boolean;
}

/** t-SNE needs more points than a handful: with fewer the Atlas shows a note instead. */
export const MIN_TSNE_POINTS = 4;

/** Karpathy's implementation: the fields a warm start sets. */
interface TsneInternals {
  Y: number[][];
  iter: number;
  initDataDist(D: number[][]): void;
  initSolution(): void;
  step(): number;
  getSolution(): number[][];
}

/** seeded uniform [0, 1) (seed 0 is read as 1, as before) */
const rng = (seed: number) => mulberry32(seed >>> 0 || 1);

/** Squared Euclidean distances scaled to mean 1 over distinct pairs (all-zero stays zero). */
export function normalizedDistances(vectors: number[][]): { D: number[][]; degenerate: boolean } {
  const n = vectors.length;
  const D = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = vectors[i], b = vectors[j];
      let d = 0;
      for (let k = 0; k < a.length; k++) {
        const t = a[k] - b[k];
        d += t * t;
      }
      D[i][j] = D[j][i] = d;
      sum += d;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const mean = pairs ? sum / pairs : 0;
  if (!(mean > 0) || !Number.isFinite(mean)) return { D, degenerate: true };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) D[i][j] /= mean;
  return { D, degenerate: false };
}

/** Perplexity for n points: about a third of the others, between 2 and 30. */
export function perplexityFor(n: number): number {
  return Math.max(2, Math.min(30, (n - 1) / 3));
}

/**
 * Lay out `vectors` in 2-D. `onFrame` sees the layout every `frameEvery` iterations (the Atlas
 * animates with it). Throws with fewer than MIN_TSNE_POINTS points or vectors of different lengths.
 */
export function runTsne(req: TsneRequest, onFrame?: (points: [number, number][], iteration: number) => void, frameEvery = 25): TsneResult {
  const n = req.vectors.length;
  if (n !== req.ids.length) throw new Error(`t-SNE: ${n} vectors but ${req.ids.length} ids`);
  if (n < MIN_TSNE_POINTS) throw new Error(`t-SNE needs at least ${MIN_TSNE_POINTS} points, got ${n}`);
  const dim = req.vectors[0].length;
  if (req.vectors.some((v) => v.length !== dim || v.some((x) => !Number.isFinite(x)))) throw new Error('t-SNE: the vectors must all have the same length and finite values');

  const { D, degenerate } = normalizedDistances(req.vectors);
  const t = new TSNE({ perplexity: perplexityFor(n), dim: 2, epsilon: 10 }) as unknown as TsneInternals;
  t.initDataDist(D);
  t.initSolution();

  const rand = rng(req.seed ?? 1);
  const gauss = () => {
    const u = Math.max(1e-12, rand());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const init = req.init ?? {};
  const known = req.ids.filter((id) => init[id]);
  // warm only when most points have a place already; else a fresh layout is better
  const warm = known.length >= Math.max(MIN_TSNE_POINTS, Math.ceil(n / 2));
  if (warm) {
    const cx = known.reduce((s, id) => s + init[id][0], 0) / known.length;
    const cy = known.reduce((s, id) => s + init[id][1], 0) / known.length;
    const spread = Math.sqrt(known.reduce((s, id) => s + (init[id][0] - cx) ** 2 + (init[id][1] - cy) ** 2, 0) / known.length) || 1;
    t.Y = req.ids.map((id) => (init[id] ? [init[id][0], init[id][1]] : [cx + 0.1 * spread * gauss(), cy + 0.1 * spread * gauss()]));
    // past the early exaggeration (first 100 iterations) and at the final momentum
    t.iter = 250;
  } else {
    t.Y = req.ids.map(() => [1e-4 * gauss(), 1e-4 * gauss()]);
  }
  const iterations = warm ? (req.warmIterations ?? 150) : (req.coldIterations ?? 500);
  for (let i = 1; i <= iterations; i++) {
    t.step();
    if (onFrame && i % frameEvery === 0 && i < iterations) onFrame(copy(t.getSolution()), i);
  }
  return { ids: [...req.ids], points: copy(t.getSolution()), iterations, warm, degenerate };
}

const copy = (Y: number[][]): [number, number][] => Y.map((p) => [p[0], p[1]]);
