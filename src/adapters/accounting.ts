// Trainable-parameter counts of each conditioning method on a backbone, from the architectures the
// authors' code builds (see /work/shared/notes/methods.md):
//
//   LoRA (dense)   Σ_layers Σ_targets r·(K + N)
//   Zhyper         hypernetwork H(c ‖ e_layer ‖ e_type) → z (r numbers, diag) or Z (r², square) per module,
//                  plus the per-layer trainable A, B (shared across conditions, not across layers)
//   T2L ("L")      the same trunk, but each head emits the full A and B: r·(K + N) numbers per module
//   CUMA           per layer a router Linear(H + D_c → R) → Linear(R → N_exp) and the experts' A, B
//
// Hypernetwork trunk, as in the Zhyper repository's hyper_modulator.py (in = projDim + 2·embDim):
//   condition projection  Linear(condDim → projDim) + LayerNorm(projDim)
//   layer embedding       Embedding(numLayers, embDim) + LayerNorm(embDim)
//   module-type embedding Embedding(#targets, embDim) + LayerNorm(embDim)
//   mixer                 Linear(in → hidden) → Linear(hidden → in)
//   2 residual blocks     LayerNorm(in) → Linear(in → hidden) → Linear(hidden → in)
//   output block          LayerNorm(in) → Linear(in → hidden) → Linear(hidden → hidden)
//   heads                 one Linear(hidden → out) per target type, biased (the SFT runs' factory ignores the
//                         head_use_bias flag: methods.md, Z6)
// zhyper.ts builds this trunk as its 'code' trunk; its 'atlas' trunk (APP_TRUNK) has no LayerNorm after the two
// embeddings and one Linear in the output block. The paper comparison uses the reference.

import type { BackboneDims, CumaSpec, Target, ZhyperSpec } from './types';
import { targetShape, TARGET_MODULE } from './types';

/** Mistral-7B(-Instruct-v0.2): the backbone of the Zhyper paper's parameter comparison. */
export const MISTRAL_7B_DIMS: BackboneDims = {
  numLayers: 32,
  hiddenSize: 4096,
  intermediateSize: 14336,
  qDim: 32 * 128,
  kvDim: 8 * 128,
};

export type HyperDims = Omit<ZhyperSpec, 'variant'>;

/** Zhyper's defaults: gte-large-en-v1.5 conditions (1024), projection 64, embeddings 32, trunk 512. */
export const ZHYPER_PAPER_DIMS: HyperDims = { condDim: 1024, projDim: 64, embDim: 32, hidden: 512 };

/** CUMA as shipped: 8 experts, shared A (HydraLoRA), router hidden 256, Qwen3-Embedding-0.6B e_d (1024). */
export const CUMA_DEFAULTS: Pick<CumaSpec, 'experts' | 'sharedA' | 'semanticOnly' | 'routerHidden' | 'condDim'> = {
  experts: 8,
  sharedA: true,
  semanticOnly: false,
  routerHidden: 256,
  condDim: 1024,
};

export interface AccountingOptions {
  r: number;
  targets: Target[];
  zhyper: HyperDims;
  cuma: Pick<CumaSpec, 'experts' | 'sharedA' | 'semanticOnly' | 'routerHidden' | 'condDim'>;
  /** bias on each hypernetwork head */
  headBias: boolean;
  /** 'two': the output block as coded by the authors (in → hidden → hidden); 'one': in → hidden */
  outputBlock: 'two' | 'one';
  /** LayerNorm after the layer and module-type embeddings */
  embeddingNorms: boolean;
}

export type TrunkOptions = Pick<AccountingOptions, 'headBias' | 'outputBlock' | 'embeddingNorms'>;
/** The authors' code as the SFT runs build it: biased heads (the factory ignores head_use_bias), two output Linears, embedding LayerNorms. */
export const REFERENCE_TRUNK: TrunkOptions = { headBias: true, outputBlock: 'two', embeddingNorms: true };
/** This app's 'atlas' hypernetwork (zhyper.ts; its 'code' trunk is REFERENCE_TRUNK). */
export const APP_TRUNK: TrunkOptions = { headBias: true, outputBlock: 'one', embeddingNorms: false };

export const DEFAULT_ACCOUNTING: AccountingOptions = {
  r: 8,
  targets: ['q', 'v'],
  zhyper: ZHYPER_PAPER_DIMS,
  cuma: CUMA_DEFAULTS,
  ...REFERENCE_TRUNK,
};

export interface Part {
  name: string;
  params: number;
}

export interface AccountingRow {
  method: string;
  params: number;
  breakdown: Part[];
}

export interface AccountingTable {
  rows: AccountingRow[];
  /** T2L's hypernetwork over Zhyper's hypernetwork alone (both variants) */
  t2lOverZhyperHypernet: { diag: number; square: number };
  /** T2L over Zhyper's hypernetwork + the per-layer B alone: the paper's "up to 26×" counts this (A not counted) */
  t2lOverZhyperHypernetAndB: { diag: number; square: number };
  /** T2L's trainables over all of Zhyper's (hypernetwork + per-layer A, B): what the code trains, ~13× */
  t2lOverZhyperTotal: { diag: number; square: number };
}

const linear = (i: number, o: number, bias = true) => i * o + (bias ? o : 0);
const layerNorm = (d: number) => 2 * d;
const sum = (parts: Part[]) => parts.reduce((a, p) => a + p.params, 0);
const mod = (t: Target) => TARGET_MODULE[t].split('.').pop() as string;

/** Dense LoRA: r·(K + N) per target per layer. */
export function loraParts(dims: BackboneDims, r: number, targets: Target[]): Part[] {
  return targets.map((t) => {
    const [N, K] = targetShape(t, dims);
    return { name: `${mod(t)} A [${r}×${K}] + B [${N}×${r}] × ${dims.numLayers} layers`, params: dims.numLayers * r * (K + N) };
  });
}

/** The hypernetwork trunk shared by Zhyper and T2L (everything before the heads). */
export function hyperTrunkParts(dims: BackboneDims, nTargets: number, h: HyperDims, t: TrunkOptions = REFERENCE_TRUNK): Part[] {
  const inp = h.projDim + 2 * h.embDim;
  const H = h.hidden;
  const block = layerNorm(inp) + linear(inp, H) + linear(H, inp);
  const embLn = t.embeddingNorms ? layerNorm(h.embDim) : 0;
  const lnName = t.embeddingNorms ? ' + LayerNorm' : '';
  return [
    { name: `condition projection: Linear(${h.condDim}→${h.projDim}) + LayerNorm`, params: linear(h.condDim, h.projDim) + layerNorm(h.projDim) },
    { name: `layer embedding: ${dims.numLayers}×${h.embDim}${lnName}`, params: dims.numLayers * h.embDim + embLn },
    { name: `module-type embedding: ${nTargets}×${h.embDim}${lnName}`, params: nTargets * h.embDim + embLn },
    { name: `mixer: ${inp}→${H}→${inp}`, params: linear(inp, H) + linear(H, inp) },
    { name: `2 residual blocks: LayerNorm + ${inp}→${H}→${inp}`, params: 2 * block },
    t.outputBlock === 'two'
      ? { name: `output block: LayerNorm + ${inp}→${H}→${H}`, params: layerNorm(inp) + linear(inp, H) + linear(H, H) }
      : { name: `output block: LayerNorm + ${inp}→${H}`, params: layerNorm(inp) + linear(inp, H) },
  ];
}

/** Zhyper's hypernetwork (trunk + one z head per target). */
export function zhyperHypernetParts(dims: BackboneDims, o: AccountingOptions, variant: ZhyperSpec['variant']): Part[] {
  const out = variant === 'diag' ? o.r : o.r * o.r;
  return [
    ...hyperTrunkParts(dims, o.targets.length, o.zhyper, o),
    {
      name: `${o.targets.length} heads: Linear(${o.zhyper.hidden}→${out}) (${variant} z)`,
      params: o.targets.length * linear(o.zhyper.hidden, out, o.headBias),
    },
  ];
}

/** T2L "L": the same trunk, heads emitting r·(K + N) per module. */
export function t2lParts(dims: BackboneDims, o: AccountingOptions): Part[] {
  return [
    ...hyperTrunkParts(dims, o.targets.length, o.zhyper, o),
    ...o.targets.map((t) => {
      const [N, K] = targetShape(t, dims);
      const out = o.r * (K + N);
      return { name: `${mod(t)} head: Linear(${o.zhyper.hidden}→${out}) (full A and B)`, params: linear(o.zhyper.hidden, out, o.headBias) };
    }),
  ];
}

/** CUMA: per-layer routers and experts. */
export function cumaParts(dims: BackboneDims, o: AccountingOptions): Part[] {
  const c = o.cuma;
  const L = dims.numLayers;
  const routerIn = dims.hiddenSize + (c.semanticOnly ? 0 : c.condDim);
  const parts: Part[] = [
    {
      name: `routers: Linear(${routerIn}→${c.routerHidden}) + Linear(${c.routerHidden}→${c.experts}) × ${L} layers`,
      params: L * (linear(routerIn, c.routerHidden) + linear(c.routerHidden, c.experts)),
    },
  ];
  for (const t of o.targets) {
    const [N, K] = targetShape(t, dims);
    const perLayer = c.sharedA ? o.r * K + c.experts * N * o.r : c.experts * o.r * (K + N);
    parts.push({
      name: `${mod(t)} experts (${c.sharedA ? 'shared A' : 'own A each'}, ${c.experts} B) × ${L} layers`,
      params: L * perLayer,
    });
  }
  return parts;
}

export function accountingTable(dims: BackboneDims, opts: Partial<AccountingOptions> = {}): AccountingTable {
  const o: AccountingOptions = { ...DEFAULT_ACCOUNTING, ...opts };
  const ab = loraParts(dims, o.r, o.targets);
  const abTotal = sum(ab);
  const bTotal = o.targets.reduce((a, t) => a + dims.numLayers * o.r * targetShape(t, dims)[0], 0);
  const abPart: Part = { name: `per-layer A, B (${o.targets.map(mod).join(', ')}, r = ${o.r}, ${dims.numLayers} layers)`, params: abTotal };
  const zd = zhyperHypernetParts(dims, o, 'diag');
  const zs = zhyperHypernetParts(dims, o, 'square');
  const t2l = t2lParts(dims, o);
  const cuma = cumaParts(dims, o);
  const row = (method: string, breakdown: Part[]): AccountingRow => ({ method, params: sum(breakdown), breakdown });
  const t2lTotal = sum(t2l);
  return {
    rows: [
      row('LoRA (dense)', ab),
      row('Zhyper (diag)', [...zd, abPart]),
      row('Zhyper (square)', [...zs, abPart]),
      row('T2L (L)', t2l),
      row(`CUMA (${o.cuma.experts} experts, ${o.cuma.sharedA ? 'shared A' : 'independent A'})`, cuma),
    ],
    t2lOverZhyperHypernet: { diag: t2lTotal / sum(zd), square: t2lTotal / sum(zs) },
    t2lOverZhyperHypernetAndB: { diag: t2lTotal / (sum(zd) + bTotal), square: t2lTotal / (sum(zs) + bTotal) },
    t2lOverZhyperTotal: { diag: t2lTotal / (sum(zd) + abTotal), square: t2lTotal / (sum(zs) + abTotal) },
  };
}
