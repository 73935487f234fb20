// The routing toy of the Learn view: N experts, top-k gating, expert load and the load-balancing loss,
// on words of a sentence the user types. A word's router logits come from a seeded projection of a
// hash of the word (a stand-in for a hidden state), so the same word always routes the same way.
import { hashSeed, normal, stream } from '../data/rng';

export function softmax(x: readonly number[], temperature = 1): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp((v - m) / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Indices of the k largest entries (ties: the lower index first). */
export function topK(x: readonly number[], k: number): number[] {
  return x
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, Math.max(1, Math.min(k, x.length)))
    .map(([, i]) => i);
}

/**
 * Sparse gates as CUMA's Eq. 4: softmax over the top-k logits only, 0 elsewhere. k = N is dense softmax
 * routing (every expert on every token).
 */
export function topKGates(logits: readonly number[], k: number): number[] {
  const keep = topK(logits, k);
  const sub = softmax(keep.map((i) => logits[i]));
  const g = new Array<number>(logits.length).fill(0);
  keep.forEach((i, j) => (g[i] = sub[j]));
  return g;
}

/** Router logits of a word for N experts: a seeded 16-d "hidden state" of the word through a seeded N×16 router. */
export function wordLogits(word: string, N: number, seed = 1): number[] {
  const h = stream(hashSeed(seed, 'word'), word.toLowerCase());
  const x = Array.from({ length: 16 }, () => normal(h));
  const w = stream(seed, `router-${N}`);
  return Array.from({ length: N }, () => {
    let s = 0;
    for (let i = 0; i < 16; i++) s += normal(w) * x[i];
    return s / 2;
  });
}

export interface LoadStats {
  /** f_i: share of the T·k routing slots that went to expert i (sums to 1) */
  f: number[];
  /** P_i: mean dense softmax probability of expert i over the tokens */
  P: number[];
  /** λ-free load-balancing loss N·Σ_i f_i·P_i (Switch Transformer, Mixtral): 1 when perfectly balanced, up to N when one expert takes all */
  loss: number;
}

/** Expert load of T tokens' logits under top-k routing. */
export function loadStats(logits: readonly (readonly number[])[], k: number): LoadStats {
  const N = logits[0]?.length ?? 0;
  const f = new Array<number>(N).fill(0);
  const P = new Array<number>(N).fill(0);
  const T = logits.length;
  for (const l of logits) {
    for (const i of topK(l, k)) f[i] += 1 / (T * Math.min(k, N));
    softmax(l).forEach((p, i) => (P[i] += p / T));
  }
  return { f, P, loss: N * f.reduce((a, fi, i) => a + fi * P[i], 0) };
}

/** The words of a sentence, as the toy routes them. */
export function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu)?.slice(0, 24) ?? [];
}
