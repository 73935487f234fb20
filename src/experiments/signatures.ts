// Per-country signatures of a conditioned adapter, the points of the Atlas view's t-SNE:
//   CUMA (Eq. 23):  ḡ_c = mean over the country's profiles, the prompt's tokens and the layers of the
//                   router's gate vector (N numbers); perLayer keeps the [L][N] means before the layer mean.
//   Zhyper:         z̄_c = mean over the country's profiles of z = H(c) for every (layer, module),
//                   concatenated (L·|targets|·r numbers); perLayer[l] is layer l's part.
// Both also report the silhouette of the cultural zones in signature space (cosine-free, Euclidean),
// the number the issue asks for: > 0 when countries of one zone sit closer to each other than to others.
import type { Runtime } from '../model/runtime';
import type { Adapter } from '../adapters/types';
import { Hypernet } from '../adapters/zhyper';
import { meanSignature, routingSignature, silhouette, type RoutingSignature } from '../eval';

export interface CountrySignature {
  country: string;
  zone: string;
  /** the signature vector (ḡ_c or z̄_c) */
  vector: number[];
  /** per layer: [L][N] mean gates, or layer l's concatenated z */
  perLayer: number[][];
  /** how many profiles were averaged */
  profiles: number;
}

export interface SignatureSet {
  kind: 'routing' | 'z';
  countries: CountrySignature[];
  /** silhouette of the zones over the countries' vectors; null with fewer than 2 zones */
  silhouette: number | null;
}

/** A country's profiles as condition embeddings (c / e_d), with its zone. */
export interface CountryConditions {
  country: string;
  zone: string;
  conditions: Float32Array[];
}

function zoneSilhouette(cs: CountrySignature[]): number | null {
  // defined for 2 ≤ zones ≤ countries − 1 (with one country per zone every point is its own cluster)
  const zones = new Set(cs.map((c) => c.zone)).size;
  if (zones < 2 || zones > cs.length - 1) return null;
  return silhouette(cs.map((c) => c.vector), cs.map((c) => c.zone));
}

/** Zhyper's z̄_c for each country (CPU only: the hypernetwork as trained so far). */
export function zSignatures(adapter: Adapter, numLayers: number, countries: readonly CountryConditions[]): SignatureSet {
  const H = new Hypernet(adapter);
  const targets = adapter.spec.targets;
  const out = countries.map((cc): CountrySignature => {
    const perLayer: number[][] = Array.from({ length: numLayers }, () => []);
    cc.conditions.forEach((c, i) => {
      const z = H.all(c, numLayers);
      for (let l = 0; l < numLayers; l++) {
        const row = targets.flatMap((t) => Array.from(z[l][t]));
        if (i === 0) perLayer[l] = row.map((v) => v / cc.conditions.length);
        else row.forEach((v, j) => (perLayer[l][j] += v / cc.conditions.length));
      }
    });
    return { country: cc.country, zone: cc.zone, vector: perLayer.flat(), perLayer, profiles: cc.conditions.length };
  });
  return { kind: 'z', countries: out, silhouette: zoneSilhouette(out) };
}

/** A country's profiles as prompts (token ids) and router conditions (e_d; null for a semantic-only router). */
export interface CountryInputs {
  country: string;
  zone: string;
  inputs: { ids: number[]; condition: Float32Array | null }[];
}

/**
 * CUMA's ḡ_c for each country: each profile's e_d conditions the attached adapter, its prompt runs
 * through the model, and the gates of all its tokens and layers are averaged. The KV cache is reset
 * afterwards.
 */
export async function routingSignatures(rt: Runtime, countries: readonly CountryInputs[]): Promise<SignatureSet> {
  const model = rt.model;
  if (!model) throw new Error('no model is loaded');
  const out: CountrySignature[] = [];
  for (const cc of countries) {
    const sigs: RoutingSignature[] = [];
    for (const { ids, condition } of cc.inputs) {
      rt.setCondition(condition);
      model.reset();
      await model.forward(ids);
      const g = await rt.readGates();
      sigs.push(routingSignature({ E: g.E, layers: g.gates }));
    }
    const m = meanSignature(sigs);
    out.push({ country: cc.country, zone: cc.zone, vector: m.mean, perLayer: m.perLayer, profiles: sigs.length });
  }
  model.reset();
  return { kind: 'routing', countries: out, silhouette: zoneSilhouette(out) };
}

/** One country's profiles as text, with its zone (every participant of the world, distinct texts). */
export interface CountryProfiles {
  country: string;
  zone: string;
  texts: string[];
}

/**
 * Signatures of a kept adapter over countries' profiles: Zhyper's z̄_c on the CPU, CUMA's ḡ_c through the
 * model with the adapter attached (each profile's e_d, on the prompt `ids`). Used by the shipped defaults'
 * Atlas (scripts/default-signatures.ts); the adapter is taken off afterwards.
 */
export async function adapterSignatures(
  rt: Runtime,
  embed: (texts: string[]) => Promise<Float32Array[]>,
  adapter: Adapter,
  countries: readonly CountryProfiles[],
  ids: number[],
): Promise<SignatureSet> {
  const conds = new Map<string, Float32Array>();
  const texts = [...new Set(countries.flatMap((c) => c.texts))];
  for (let i = 0; i < texts.length; i += 64) {
    const chunk = texts.slice(i, i + 64);
    (await embed(chunk)).forEach((v, j) => conds.set(chunk[j], v));
  }
  if (adapter.spec.method === 'zhyper') return zSignatures(adapter, rt.dims().numLayers, countries.map((c) => ({ country: c.country, zone: c.zone, conditions: c.texts.map((t) => conds.get(t)!) })));
  if (adapter.spec.method !== 'cuma') throw new Error(`${adapter.spec.method} has no per-country signature`);
  rt.attachAdapter(adapter);
  try {
    const semantic = !!adapter.spec.cuma?.semanticOnly;
    return await routingSignatures(rt, countries.map((c) => ({ country: c.country, zone: c.zone, inputs: c.texts.map((t) => ({ ids, condition: semantic ? null : conds.get(t)! })) })));
  } finally {
    rt.attachAdapter(null);
  }
}
