// Sampling on the CPU from last-position logits: greedy, or temperature → top-k → top-p with a
// seeded generator, so a run with the same seed replays exactly.

/** mulberry32: small, fast, good enough for sampling; state is one u32. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export interface SampleOptions {
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
}

export function sample(logits: Float32Array, o: SampleOptions, rand: () => number): number {
  if (o.greedy || o.temperature <= 0) return argmax(logits);
  const idx = topK(logits, o.topK);
  return draw(idx, idx.map((i) => logits[i]), o, rand);
}

/**
 * The indices of the k largest logits (k ≤ 0: all of them), larger first and equal ones by lower index: the order
 * the GPU's topk.wgsl gives too.
 */
export function topK(logits: ArrayLike<number>, kWanted: number): number[] {
  const V = logits.length;
  const k = kWanted > 0 ? Math.min(kWanted, V) : V;
  // Partial selection of the k largest (k is small; a full sort of 150k logits per token is wasteful).
  let idx: number[];
  if (k < V) {
    idx = [];
    for (let i = 0; i < V; i++) {
      if (idx.length < k) {
        idx.push(i);
        if (idx.length === k) idx.sort((a, b) => logits[b] - logits[a]);
      } else if (logits[i] > logits[idx[k - 1]]) {
        let j = k - 1;
        while (j > 0 && logits[idx[j - 1]] < logits[i]) j--;
        idx.splice(j, 0, i);
        idx.pop();
      }
    }
    idx.sort((a, b) => logits[b] - logits[a]);
  } else {
    idx = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  }
  return idx;
}

/**
 * The seeded draw from candidates idx (in topK's order) with logits vals: softmax at the temperature, then top-p
 * (the smallest prefix whose mass reaches topP), then one uniform from rand.
 */
export function draw(idx: ArrayLike<number>, vals: ArrayLike<number>, o: Pick<SampleOptions, 'temperature' | 'topP'>, rand: () => number): number {
  const p = weights(vals, o.temperature);
  const z = p.reduce((a, b) => a + b, 0);
  let keep = p.length;
  if (o.topP < 1) {
    let c = 0;
    for (let i = 0; i < p.length; i++) {
      c += p[i] / z;
      if (c >= o.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  return pick(idx, p, keep, rand);
}

/** softmax's unnormalised weights at the temperature, relative to the first (largest) value */
function weights(vals: ArrayLike<number>, temperature: number): number[] {
  const m = vals[0];
  return Array.from(vals, (v) => Math.exp((v - m) / temperature));
}

/** one uniform from rand, over the first `keep` weights */
function pick(idx: ArrayLike<number>, p: number[], keep: number, rand: () => number): number {
  const zk = p.slice(0, keep).reduce((a, b) => a + b, 0);
  let r = rand() * zk;
  for (let i = 0; i < keep; i++) {
    r -= p[i];
    if (r <= 0) return idx[i];
  }
  return idx[keep - 1];
}

/**
 * How far the GPU's f32 Z (nucleus.wgsl: exp and a tree sum in f32) may stand from the CPU path's f64 sum, relative:
 * ten times the largest seen on SwiftShader and lavapipe (test/kernels/kernels.test.ts bounds it at 1e-5 there).
 */
export const NUCLEUS_Z_TOLERANCE = 1e-4;

/**
 * Top-p without top-k from the GPU's candidates (nucleus.wgsl: a top set by value, in any order, holding at least
 * topP of the mass) and its Z, the whole vocabulary's mass in f32. The cut is the CPU path's (draw over all logits)
 * wherever an error of NUCLEUS_Z_TOLERANCE in Z cannot move it; there the token is drawn with the CPU path's own
 * pick, and otherwise null comes back, with rand untouched, so the caller samples the logits on the CPU instead.
 */
export function drawNucleus(idx: ArrayLike<number>, vals: ArrayLike<number>, Z: number, o: Pick<SampleOptions, 'temperature' | 'topP'>, rand: () => number): number | null {
  if (!(o.topP < 1) || !(Z >= 1) || !Number.isFinite(Z)) return null;
  const order = Array.from({ length: idx.length }, (_, j) => j).sort((a, b) => (vals[b] === vals[a] ? idx[a] - idx[b] : vals[b] - vals[a]));
  const sIdx = order.map((j) => idx[j]), sVals = order.map((j) => vals[j]);
  if (!sVals.every(Number.isFinite)) return null;
  const p = weights(sVals, o.temperature);
  const lo = 1 - NUCLEUS_Z_TOLERANCE, hi = 1 + NUCLEUS_Z_TOLERANCE;
  let c = 0;
  for (let i = 0; i < p.length; i++) {
    const before = c;
    c += p[i];
    if (c / Z >= o.topP) {
      // the CPU path cuts here too if the true Z lies anywhere in Z·[lo, hi]
      return (c / (Z * hi) >= o.topP && before / (Z * lo) < o.topP) ? pick(sIdx, p, i + 1, rand) : null;
    }
  }
  return null;
}
