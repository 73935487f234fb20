// CUMA routing analysis: which LoRA experts the router activates, per group and per country.
// Gates are the router's output probabilities (non-negative; sparse under top-k gating).
import { fail, finiteVector, positiveInt, type Vec } from './validate';

/**
 * Indices of the k largest entries of v, largest first. Ties go to the lower index, so the result
 * is deterministic (an all-zero vector gives 0..k−1). Throws unless 1 ≤ k ≤ v.length.
 */
export function topKIndices(v: Vec, k: number): number[] {
  const x = finiteVector('topKIndices', 'v', v);
  positiveInt('topKIndices', 'k', k);
  if (k > x.length) fail('topKIndices', `k = ${k} exceeds the vector length ${x.length}`);
  const idx = x.map((_, i) => i);
  idx.sort((a, b) => x[b] - x[a] || a - b);
  return idx.slice(0, k);
}

/** One gate vector (a single query) or one gate vector per query: [Q][E]. */
export type GateRows = Vec | readonly Vec[];

function asRows(fn: string, name: string, g: GateRows): number[][] {
  if (g == null || typeof g.length !== 'number') fail(fn, `${name} is not an array`);
  const first = g.length > 0 ? (g as ArrayLike<unknown>)[0] : undefined;
  const rows: Vec[] = typeof first === 'number' ? [g as Vec] : Array.from(g as readonly Vec[]);
  if (rows.length === 0) fail(fn, `${name} has no queries`);
  return rows.map((r, q) => {
    const v = finiteVector(fn, `${name}[${q}]`, r);
    for (let e = 0; e < v.length; e++) if (v[e] < 0) fail(fn, `${name}[${q}][${e}] = ${v[e]} is negative (gates are probabilities)`);
    return v;
  });
}

/** The experts a gate vector activates: its top-k entries that are > 0. */
function activated(v: readonly number[], k: number): Set<number> {
  return new Set(topKIndices(v, k).filter((e) => v[e] > 0));
}

/**
 * Per-query routing overlap (see `routingOverlap`): |Act_k(A_q) ∩ Act_k(B_q)| / k for each query q.
 */
export function routingOverlapPerQuery(gatesA: GateRows, gatesB: GateRows, k: number): number[] {
  const fn = 'routingOverlap';
  const A = asRows(fn, 'gatesA', gatesA);
  const B = asRows(fn, 'gatesB', gatesB);
  positiveInt(fn, 'k', k);
  if (A.length !== B.length) fail(fn, `gatesA has ${A.length} queries but gatesB has ${B.length}`);
  return A.map((a, q) => {
    const b = B[q];
    if (a.length !== b.length) fail(fn, `query ${q}: gatesA has ${a.length} experts but gatesB has ${b.length}`);
    if (k > a.length) fail(fn, `k = ${k} exceeds the number of experts ${a.length}`);
    const sa = activated(a, k);
    let shared = 0;
    for (const e of activated(b, k)) if (sa.has(e)) shared++;
    return shared / k;
  });
}

/**
 * Routing overlap: the share of experts two groups activate for the same query, in [0, 1], averaged
 * over queries. Higher means the two groups are routed more alike (1: the same k experts on every
 * query; 0: disjoint experts). A useful reading: low overlap between culturally distant groups and
 * high overlap within a cultural zone show the router separating cultures.
 *
 * Definition. gatesA[q] and gatesB[q] are each group's gate vector (E experts) for query q: the
 * router's gate probabilities averaged over the query's tokens, layers and the group's profiles
 * (e.g. `meanSignature(...).mean` over the group's `routingSignature`s for that query). A group
 * activates Act_k(g) = the k largest entries of g that are > 0 (ties to the lower expert index; an
 * expert with mean gate 0 is never active, so an all-zero vector activates none). Then
 *
 *   overlap = (1/Q) Σ_q |Act_k(gatesA[q]) ∩ Act_k(gatesB[q])| / k.
 *
 * A single flat vector (number[] or Float32Array) is one query. Throws on different query counts or
 * expert counts, k outside 1..E, negative or non-finite gates, and no queries.
 *
 * Example (E = 4, k = 2): A = [.4,.3,.2,.1] → {0,1}; B = [.1,.3,.4,.2] → {2,1}: overlap 1/2.
 */
export function routingOverlap(gatesA: GateRows, gatesB: GateRows, k: number): number {
  const per = routingOverlapPerQuery(gatesA, gatesB, k);
  return per.reduce((s, x) => s + x, 0) / per.length;
}

/** CUMA gates of one prompt: per layer the flat [T·E] gate vectors of its T tokens (ScoreResult.gates). */
export interface Gates {
  E: number;
  layers: readonly Vec[];
}

/** A routing signature: mean gate vector over tokens and layers (and profiles, for a country). */
export interface RoutingSignature {
  E: number;
  /** E numbers: the mean gate of each expert over all tokens and layers (CUMA Eq. 23's ḡ) */
  mean: number[];
  /** [L][E]: the mean gate of each expert over the tokens, per layer */
  perLayer: number[][];
}

/**
 * Routing signature of one prompt answered by one profile (the inner part of CUMA Eq. 23):
 * perLayer[l][e] = (1/T) Σ_t g_l(x_t)[e], mean[e] = (1/L) Σ_l perLayer[l][e], i.e. the mean over
 * all tokens and layers since every layer sees the same T tokens. Each entry is an average gate
 * probability in [0, 1]; under top-k gating mean sums to ≈ 1 (each token's gates sum to 1). Higher
 * mean[e] means the profile relies more on expert e. Throws on E < 1, no layers, no tokens, a layer
 * whose length is not T·E for the same T as layer 0, and non-finite or negative gates.
 */
export function routingSignature(gates: Gates): RoutingSignature {
  const fn = 'routingSignature';
  if (gates == null || typeof gates !== 'object') fail(fn, 'gates must be { E, layers }');
  const { E, layers } = gates;
  positiveInt(fn, 'E', E);
  if (!Array.isArray(layers) || layers.length === 0) fail(fn, 'gates.layers is empty (no layers)');
  const L = layers.length;
  const len0 = layers[0]?.length;
  if (typeof len0 !== 'number' || len0 === 0) fail(fn, 'layer 0 has no tokens');
  if (len0 % E !== 0) fail(fn, `layer 0 has ${len0} gates, not a multiple of E = ${E}`);
  const T = len0 / E;
  const perLayer: number[][] = [];
  for (let l = 0; l < L; l++) {
    const g = finiteVector(fn, `layers[${l}]`, layers[l]);
    if (g.length !== T * E) fail(fn, `layer ${l} has ${g.length} gates but layer 0 has ${T * E} (T = ${T}, E = ${E})`);
    const m = new Array<number>(E).fill(0);
    for (let t = 0; t < T; t++) {
      for (let e = 0; e < E; e++) {
        const x = g[t * E + e];
        if (x < 0) fail(fn, `layers[${l}][${t * E + e}] = ${x} is negative (gates are probabilities)`);
        m[e] += x;
      }
    }
    perLayer.push(m.map((s) => s / T));
  }
  const mean = new Array<number>(E).fill(0);
  for (const row of perLayer) for (let e = 0; e < E; e++) mean[e] += row[e] / L;
  return { E, mean, perLayer };
}

/**
 * A country's routing signature (CUMA Eq. 23): the element-wise mean of its profiles' signatures,
 * each profile weighted equally (ḡ_c = 1/|D_c| Σ_d …), for both `mean` and `perLayer`. Same reading
 * as `routingSignature`. Throws on an empty list or signatures with different E or layer counts.
 */
export function meanSignature(list: readonly RoutingSignature[]): RoutingSignature {
  const fn = 'meanSignature';
  if (!Array.isArray(list) || list.length === 0) fail(fn, 'no signatures (the list is empty)');
  const { E } = list[0];
  const L = list[0].perLayer.length;
  const mean = new Array<number>(E).fill(0);
  const perLayer = Array.from({ length: L }, () => new Array<number>(E).fill(0));
  const n = list.length;
  list.forEach((s, i) => {
    if (s.E !== E || s.mean.length !== E) fail(fn, `signature ${i} has E = ${s.E} (${s.mean.length} numbers) but signature 0 has E = ${E}`);
    if (s.perLayer.length !== L) fail(fn, `signature ${i} has ${s.perLayer.length} layers but signature 0 has ${L}`);
    const m = finiteVector(fn, `list[${i}].mean`, s.mean);
    for (let e = 0; e < E; e++) mean[e] += m[e] / n;
    for (let l = 0; l < L; l++) {
      const row = finiteVector(fn, `list[${i}].perLayer[${l}]`, s.perLayer[l]);
      if (row.length !== E) fail(fn, `list[${i}].perLayer[${l}] has ${row.length} numbers, not E = ${E}`);
      for (let e = 0; e < E; e++) perLayer[l][e] += row[e] / n;
    }
  });
  return { E, mean, perLayer };
}
