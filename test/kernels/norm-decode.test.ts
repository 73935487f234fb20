// Decode's fused kernels against their references, in their three forms (one thread per output, the emulators'; a
// workgroup per few outputs with coalesced reads; a subgroup per few outputs with subgroupAdd, a GPU's): rmsnorm_qkv_rope (the input norm, q|k|v, RoPE and the
// KV append in one dispatch) and rmsnorm_gate_up_silu (the post-attention norm and the gated MLP input). Shapes
// include odd head counts, head_dim/2 odd, an odd number of row pairs and of outputs (the coalesced forms' last
// workgroup computes one output twice and writes it once), and more rows than one workgroup.
import { describe, it, expect, beforeAll } from 'vitest';
import { gpuKernels, rand, maxRelErr } from '../helpers/gpu';
import * as ref from '../reference/kernels';
import { ropeInvFreq, ropeTable } from '../../src/model/config';

let g: Awaited<ReturnType<typeof gpuKernels>>;
beforeAll(async () => {
  g = await gpuKernels();
});

const FORMS = ['vec4', 'coalesced', 'subgroup'] as const;

describe('rmsnorm_qkv_rope (decode)', () => {
  for (const [H, D, nQ, nKV, pos, bias] of [
    [8, 4, 1, 1, 0, false],
    [36, 6, 3, 1, 2, true],
    [64, 32, 4, 2, 3, false],
    [132, 10, 5, 5, 7, true],
    [576, 64, 9, 3, 5, false],
  ] as [number, number, number, number, number, boolean][]) {
    for (const form of FORMS) {
      it(`H=${H} D=${D} heads=${nQ}+${nKV} pos=${pos} bias=${bias} (${form})`, async () => {
        const qDim = nQ * D, kvDim = nKV * D, N = qDim + 2 * kvDim, S = pos + 3;
        const x = rand(H, 31, 2), normW = rand(H, 32), W = rand(N * H, 33, 0.2), b = rand(N, 34);
        const invFreq = ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null });
        const k0 = rand(S * kvDim, 35), v0 = rand(S * kvDim, 36);
        const q = g.buf(new Float32Array(N)), kc = g.buf(k0), vc = g.buf(v0);
        g.setStep(1, pos);
        const d = g.k.rmsnormQkvRope(g.step, { H, headDim: D, nQHeads: nQ, nKVHeads: nKV, eps: 1e-6, x: g.buf(x), normW: g.buf(normW), W: g.buf(W), bias: bias ? g.buf(b) : null, cosSin: g.buf(ropeTable(invFreq, S)), q, kCache: kc, vCache: vc, form });
        expect(d.kernel).toBe(form === 'vec4' ? 'rmsnorm_qkv_rope' : `rmsnorm_qkv_rope_${form}`);
        g.k.run([d], 1);
        const want = ref.normQkvRopeRef(x, normW, W, bias ? b : undefined, H, D, nQ, nKV, pos, invFreq);
        const gotQ = await g.read(q, N), gotK = await g.read(kc, S * kvDim), gotV = await g.read(vc, S * kvDim);
        expect(maxRelErr(gotQ.slice(0, qDim), want.q)).toBeLessThan(1e-5);
        expect(maxRelErr(gotK.slice(pos * kvDim, (pos + 1) * kvDim), want.k)).toBeLessThan(1e-5);
        expect(maxRelErr(gotV.slice(pos * kvDim, (pos + 1) * kvDim), want.v)).toBeLessThan(1e-5);
        // nothing else is written: q's buffer past qDim, and every other position of the caches
        expect(gotQ.slice(qDim).every((v) => v === 0)).toBe(true);
        for (const [got, was] of [[gotK, k0], [gotV, v0]]) {
          expect(got.slice(0, pos * kvDim)).toEqual(was.slice(0, pos * kvDim));
          expect(got.slice((pos + 1) * kvDim)).toEqual(was.slice((pos + 1) * kvDim));
        }
      });
    }
  }
  it('refuses H not a multiple of 4 and an odd head_dim by name', () => {
    const o = { headDim: 4, nQHeads: 1, nKVHeads: 1, eps: 1e-6, x: g.buf(4), normW: g.buf(4), W: g.buf(4), cosSin: g.buf(4), q: g.buf(4), kCache: g.buf(4), vCache: g.buf(4) };
    expect(() => g.k.rmsnormQkvRope(g.step, { ...o, H: 6 })).toThrow(/rmsnorm_qkv_rope needs H % 4 == 0, got H = 6/);
    expect(() => g.k.rmsnormQkvRope(g.step, { ...o, H: 8, headDim: 5 })).toThrow(/even head_dim, got 5/);
  });
});

describe('rmsnorm_gate_up_silu (decode)', () => {
  for (const [I, K] of [[1, 4], [7, 36], [65, 132], [1536, 576]]) {
    for (const form of FORMS) {
      it(`I=${I} K=${K} (${form})`, async () => {
        const x = rand(K, 41, 2), normW = rand(K, 42), Wg = rand(I * K, 43, 0.3), Wu = rand(I * K, 44, 0.3);
        const act = g.buf(new Float32Array(I + 3));
        g.k.run([g.k.rmsnormGateUpSilu({ I, K, eps: 1e-6, x: g.buf(x), normW: g.buf(normW), Wg: g.buf(Wg), Wu: g.buf(Wu), act, form })], 1);
        const got = await g.read(act, I + 3);
        expect(maxRelErr(got.slice(0, I), ref.normSiluGateRef(x, normW, Wg, Wu, I, K))).toBeLessThan(1e-5);
        expect([...got.slice(I)]).toEqual([0, 0, 0]);
      });
    }
  }
});

describe('attention_o (decode: each head\'s attention and its share of the output projection)', () => {
  for (const [H, D, nQ, nKV, pos, bias] of [
    [8, 4, 1, 1, 0, false],
    [36, 12, 3, 1, 5, true],
    [70, 8, 6, 3, 2, false],
    [132, 64, 4, 2, 300, true], // 301 positions: two chunks of the online softmax
  ] as [number, number, number, number, number, boolean][]) {
    it(`H=${H} D=${D} heads=${nQ}+${nKV} pos=${pos} bias=${bias}`, async () => {
      const qDim = nQ * D, kvDim = nKV * D, ld = qDim + 2 * kvDim, S = pos + 1;
      const qkv = rand(ld, 51), kc = rand(S * kvDim, 52), vc = rand(S * kvDim, 53), Wo = rand(H * qDim, 54, 0.3), bo = rand(H, 55);
      const part = g.buf(new Float32Array(nQ * H + 5));
      g.setStep(1, pos);
      g.k.run([g.k.attentionO(g.step, { H, headDim: D, nHeads: nQ, nKVHeads: nKV, ldQKV: ld, qkv: g.buf(qkv), kCache: g.buf(kc), vCache: g.buf(vc), Wo: g.buf(Wo), bo: bias ? g.buf(bo) : null, part })], 1);
      const att = ref.attentionRef(qkv.slice(0, qDim), kc, vc, 1, pos, nQ, nKV, D);
      const got = await g.read(part, nQ * H + 5);
      for (let h = 0; h < nQ; h++) {
        const Wh = new Float32Array(H * D);
        for (let n = 0; n < H; n++) Wh.set(Wo.slice(n * qDim + h * D, n * qDim + (h + 1) * D), n * D);
        const want = ref.linearRef(att.slice(h * D, (h + 1) * D), Wh, 1, H, D, bias && h === 0 ? bo : undefined);
        expect(maxRelErr(got.slice(h * H, (h + 1) * H), want), `head ${h}`).toBeLessThan(1e-5);
      }
      expect([...got.slice(nQ * H)]).toEqual([0, 0, 0, 0, 0]);
    });
  }
  it('refuses a head_dim that is not a multiple of 4 by name', () => {
    const b = g.buf(4);
    expect(() => g.k.attentionO(g.step, { H: 4, headDim: 6, nHeads: 1, nKVHeads: 1, ldQKV: 18, qkv: b, kCache: b, vCache: b, Wo: b, part: g.buf(4) })).toThrow(/attention_o needs head_dim a multiple of 4 and ≤ 256, got 6/);
  });
});

describe('rmsnorm_gate_up_silu with the heads\' parts: x + Σ parts is normed, and r = Σ parts in head order', () => {
  for (const [I, K, nParts] of [[5, 8, 1], [33, 36, 3], [200, 576, 9], [9, 1032, 2]]) { // K = 1032: three tiles, the last short
    for (const form of FORMS) {
      it(`I=${I} K=${K} parts=${nParts} (${form})`, async () => {
        const x = rand(K, 61, 2), normW = rand(K, 62), Wg = rand(I * K, 63, 0.3), Wu = rand(I * K, 64, 0.3), parts = rand(nParts * K, 65);
        const act = g.buf(I), r = g.buf(K);
        g.k.run([g.k.rmsnormGateUpSilu({ I, K, eps: 1e-6, x: g.buf(x), normW: g.buf(normW), Wg: g.buf(Wg), Wu: g.buf(Wu), act, parts: { n: nParts, part: g.buf(parts), r }, form })], 1);
        const sum = new Float32Array(K);
        for (let k = 0; k < K; k++) {
          let d = parts[k];
          for (let h = 1; h < nParts; h++) d = Math.fround(d + parts[h * K + k]);
          sum[k] = d;
        }
        expect(await g.read(r, K)).toEqual(sum);
        const xm = x.map((v, k) => v + sum[k]);
        expect(maxRelErr(await g.read(act, I), ref.normSiluGateRef(xm, normW, Wg, Wu, I, K))).toBeLessThan(1e-5);
      });
    }
  }
});
