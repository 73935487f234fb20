// Seeded randomness for the synthetic world: mulberry32 (src/model/sampling.ts) streams, one per
// purpose, so that e.g. drawing more participants does not change which questions each one answered.
import { mulberry32 } from '../model/sampling';

export type Rand = () => number;

/** FNV-1a over the label's UTF-16 units, mixed with the seed: a u32 per (seed, label). */
export function hashSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3 fmix32) so that nearby labels give unrelated streams
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** An independent mulberry32 stream for (seed, label). */
export function stream(seed: number, label: string): Rand {
  return mulberry32(hashSeed(seed, label));
}

/** Index drawn from unnormalized non-negative weights. */
export function pick(rand: Rand, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) throw new Error('pick: weights must have a positive sum');
  let r = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  // rounding: the last index with positive weight
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return weights.length - 1;
}

/** Standard normal (Box–Muller). */
export function normal(rand: Rand): number {
  let u = rand();
  while (u <= 0) u = rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates, in place; returns the array. */
export function shuffle<T>(rand: Rand, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
  return xs;
}
