import { describe, expect, it } from 'vitest';
import {
  accountingTable,
  APP_TRUNK,
  cumaParts,
  DEFAULT_ACCOUNTING,
  loraParts,
  MISTRAL_7B_DIMS,
  REFERENCE_TRUNK,
  t2lParts,
  zhyperHypernetParts,
  type AccountingOptions,
} from '../../src/adapters/accounting';
import { zhyperTensorShapes } from '../../src/adapters/zhyper';
import type { BackboneDims } from '../../src/adapters/types';

const sum = (ps: { params: number }[]) => ps.reduce((a, p) => a + p.params, 0);

// Small enough to count by hand: every number below is worked out in its comment.
const TINY: BackboneDims = { numLayers: 2, hiddenSize: 4, intermediateSize: 6, qDim: 4, kvDim: 2 };
const TINY_OPTS: AccountingOptions = {
  r: 2,
  targets: ['q', 'v'],
  zhyper: { condDim: 3, projDim: 2, embDim: 1, hidden: 5 }, // trunk input width 2 + 2·1 = 4
  cuma: { experts: 3, sharedA: true, semanticOnly: false, routerHidden: 5, condDim: 3 },
  ...REFERENCE_TRUNK,
};

describe('parameter accounting by hand (tiny backbone)', () => {
  it('dense LoRA', () => {
    // q: 2·(4 + 4) = 16 per layer, v: 2·(4 + 2) = 12 per layer, 2 layers
    expect(loraParts(TINY, 2, ['q', 'v']).map((p) => p.params)).toEqual([32, 24]);
  });

  it('Zhyper and T2L as the authors coded them', () => {
    // condition 3·2 + 2 + LN 4 = 12; layer emb 2·1 + LN 2 = 4; type emb 2·1 + LN 2 = 4;
    // mixer (4·5 + 5) + (5·4 + 4) = 49; 2 blocks × (LN 8 + 49) = 114; output LN 8 + 25 + (5·5 + 5) = 63
    const trunk = 12 + 4 + 4 + 49 + 114 + 63;
    expect(trunk).toBe(246);
    expect(sum(zhyperHypernetParts(TINY, TINY_OPTS, 'diag'))).toBe(trunk + 2 * (5 * 2 + 2)); // heads 5→r, biased (Z6)
    expect(sum(zhyperHypernetParts(TINY, TINY_OPTS, 'square'))).toBe(trunk + 2 * (5 * 4 + 4)); // heads 5→r²
    expect(sum(t2lParts(TINY, TINY_OPTS))).toBe(trunk + (5 * 16 + 16) + (5 * 12 + 12)); // heads 5→r(K+N)
    const t = accountingTable(TINY, TINY_OPTS);
    const row = (m: string) => t.rows.find((r) => r.method.startsWith(m))!;
    expect(row('Zhyper (diag)').params).toBe(270 + 56);
    expect(row('Zhyper (square)').params).toBe(294 + 56);
    expect(row('T2L').params).toBe(414);
    expect(row('LoRA').params).toBe(56);
    expect(t.t2lOverZhyperHypernet.diag).toBeCloseTo(414 / 270, 12);
    // B alone: q 4·2 + v 2·2 = 12 per layer, 2 layers
    expect(t.t2lOverZhyperHypernetAndB.diag).toBeCloseTo(414 / (270 + 24), 12);
    expect(t.t2lOverZhyperTotal.square).toBeCloseTo(414 / 350, 12);
    for (const r of t.rows) expect(r.params).toBe(sum(r.breakdown));
  });

  it('this app’s hypernetwork equals the hyper.* tensors zhyper.ts declares', () => {
    const opts = { ...TINY_OPTS, ...APP_TRUNK };
    // no embedding LayerNorms (2 + 2), one output Linear (LN 8 + 25), heads with bias
    expect(sum(zhyperHypernetParts(TINY, opts, 'diag'))).toBe(12 + 2 + 2 + 49 + 114 + 33 + 2 * (5 * 2 + 2));
    for (const [dims, o] of [[TINY, opts], [MISTRAL_7B_DIMS, { ...DEFAULT_ACCOUNTING, ...APP_TRUNK }]] as const) {
      for (const variant of ['diag', 'square'] as const) {
        const spec = { method: 'zhyper' as const, r: o.r, alpha: 16, rsLora: true, targets: o.targets, zhyper: { variant, ...o.zhyper } };
        let n = 0;
        for (const shape of zhyperTensorShapes(spec, dims).values()) n += shape.reduce((a, b) => a * b, 1);
        expect(sum(zhyperHypernetParts(dims, o, variant))).toBe(n);
      }
    }
  });

  it('the code trunk of zhyper.ts equals the reference count', () => {
    for (const variant of ['diag', 'square'] as const) {
      const o = { ...DEFAULT_ACCOUNTING, ...REFERENCE_TRUNK };
      const spec = { method: 'zhyper' as const, r: o.r, alpha: 16, rsLora: true, targets: o.targets, zhyper: { variant, ...o.zhyper, trunk: 'code' as const } };
      let n = 0;
      for (const shape of zhyperTensorShapes(spec, MISTRAL_7B_DIMS).values()) n += shape.reduce((a, b) => a * b, 1);
      expect(sum(zhyperHypernetParts(MISTRAL_7B_DIMS, o, variant))).toBe(n);
    }
  });

  it('CUMA', () => {
    // router in 4 + 3 = 7: (7·5 + 5) + (5·3 + 3) = 58 per layer;
    // shared A: q 2·4 + 3·4·2 = 32, v 2·4 + 3·2·2 = 20 per layer
    expect(cumaParts(TINY, TINY_OPTS).map((p) => p.params)).toEqual([116, 64, 40]);
    // independent A, semantic-only: router (4·5 + 5) + 18 = 43; q 3·2·8 = 48, v 3·2·6 = 36 per layer
    const indep = { ...TINY_OPTS, cuma: { ...TINY_OPTS.cuma, sharedA: false, semanticOnly: true } };
    expect(cumaParts(TINY, indep).map((p) => p.params)).toEqual([86, 96, 72]);
  });
});

describe('Mistral-7B (the Zhyper paper’s comparison)', () => {
  const t = accountingTable(MISTRAL_7B_DIMS);
  const row = (m: string) => t.rows.find((r) => r.method.startsWith(m))!;

  it('counts each method', () => {
    expect(MISTRAL_7B_DIMS).toEqual({ numLayers: 32, hiddenSize: 4096, intermediateSize: 14336, qDim: 4096, kvDim: 1024 });
    // q: 8·(4096 + 4096) = 65,536, v: 8·(4096 + 1024) = 40,960 per layer, × 32
    expect(row('LoRA').params).toBe(3_407_872);
    // trunk 791,552 + heads (512 + 1)·65,536 + (512 + 1)·40,960: T2L's "L" is ~55M
    expect(row('T2L').params).toBe(55_424_000);
    expect(row('Zhyper (diag)').params).toBe(799_760 + 3_407_872);
    expect(row('Zhyper (square)').params).toBe(857_216 + 3_407_872);
    // routers 32 × ((5120·256 + 256) + (256·8 + 8)); experts q 32 × (8·4096 + 8·4096·8), v 32 × (8·4096 + 8·1024·8)
    expect(row('CUMA').params).toBe(42_017_024 + 9_437_184 + 3_145_728);
  });

  it('gives the honest T2L / Zhyper ratios: 69× the hypernetwork, the paper’s 26× with B, 13× with all it trains', () => {
    // hypernetwork against hypernetwork: 65-69×
    expect(t.t2lOverZhyperHypernet.diag).toBeCloseTo(69.30, 2);
    expect(t.t2lOverZhyperHypernet.square).toBeCloseTo(64.66, 2);
    // the paper's "up to 26×": Zhyper charged for its hypernetwork and the per-layer B alone (A not counted)
    const bOnly = 32 * (4096 * 8 + 1024 * 8);
    expect(bOnly).toBe(1_310_720);
    expect(t.t2lOverZhyperHypernetAndB.diag).toBeCloseTo(55_424_000 / (799_760 + bOnly), 12);
    expect(t.t2lOverZhyperHypernetAndB.diag).toBeCloseTo(26.26, 2);
    expect(t.t2lOverZhyperHypernetAndB.square).toBeCloseTo(25.57, 2);
    // all trainables (Zhyper's per-layer A and B train too, in the authors' code): ~13×
    expect(t.t2lOverZhyperTotal.diag).toBeCloseTo(13.17, 2);
    expect(t.t2lOverZhyperTotal.square).toBeCloseTo(12.99, 2);
  });
});
