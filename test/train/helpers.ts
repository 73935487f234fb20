// Shared by the training tests: finite differences, error measures, f64 random data and the GPU setup.
import { gpuKernels } from '../helpers/gpu';
import { TrainKernels } from '../../src/train/kernels';
import { mulberry32 } from '../../src/model/sampling';

type Vec = ArrayLike<number>;

/** max |a − b| / max |b|: errors relative to the reference's scale (b is the reference) */
export function relErr(a: Vec, b: Vec): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 1e-12, e = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / scale;
}

/** Deterministic uniform(-scale, scale) f64 values. */
export function rand64(n: number, seed: number, scale = 1): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/**
 * Central differences (L(x + h·e_i) − L(x − h·e_i)) / 2h for every i of x (x is restored). In f64 with
 * h = 1e-5 the error is ~h²·L''' + 1e-16·|L|/h, far below the 1e-6 the tests ask for.
 */
export function numericGrad(L: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const up = L();
    x[i] = x0 - h;
    const down = L();
    x[i] = x0;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Σ R ⊙ y: the scalar whose gradient w.r.t. y is R, so a backward fed dY = R is checkable by differences */
export function dot(R: Vec, y: Vec): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += R[i] * y[i];
  return s;
}

export const f32 = (x: Vec) => Float32Array.from(x);

/** The forward kernels (test/helpers/gpu.ts) plus the training kernels on the same device. */
export async function gpuTrain() {
  const g = await gpuKernels();
  return { ...g, tk: new TrainKernels(g.k) };
}
