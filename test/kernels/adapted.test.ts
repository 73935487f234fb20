// The adapted-projection kernels (fused decode/prefill, the unfused pair), the CUMA router and silu_mul
// against their TypeScript references, at shapes that do not divide the workgroup sizes, for every
// mode (plain LoRA, Zhyper diag z, Zhyper square Z, CUMA shared-A and independent experts) and k = 1..N.
import { describe, it, expect, beforeAll } from 'vitest';
import { gpuKernels, rand, maxRelErr } from '../helpers/gpu';
import * as ref from '../reference/kernels';
import type { LoraBinding } from '../../src/gpu/kernels';

let g: Awaited<ReturnType<typeof gpuKernels>>;
beforeAll(async () => {
  g = await gpuKernels();
});

interface Case {
  mode: 0 | 1 | 2 | 3;
  T: number;
  N: number;
  K: number;
  r: number;
  segs: { start: number; len: number }[];
  E?: number;
  EA?: number;
  k?: number;
  pos0?: number;
  bias?: boolean;
  acc?: boolean;
}

/** gates with exactly k non-zeros per position (positions 0..P-1), rows summing to 1 */
function makeGates(P: number, E: number, k: number, seed: number): Float32Array {
  const raw = rand(P * E, seed);
  const out = new Float32Array(P * E);
  for (let p = 0; p < P; p++) out.set(ref.topkGates(Array.from(raw.subarray(p * E, p * E + E)), k, 'eq4'), p * E);
  return out;
}

function makeCase(c: Case, seed: number) {
  const E = c.E ?? 1, EA = c.EA ?? 1, nSeg = c.segs.length;
  const lenSum = c.segs.reduce((a, s) => a + s.len, 0);
  const P = (c.pos0 ?? 0) + c.T;
  const cond = c.mode === 1 ? rand(nSeg * c.r, seed + 5) : c.mode === 2 ? rand(nSeg * c.r * c.r, seed + 5, 0.5) : c.mode === 3 ? makeGates(P, E, c.k ?? 2, seed + 5) : new Float32Array(4);
  const l: ref.LoraRef = { mode: c.mode, r: c.r, E, EA, segs: c.segs, scale: 1.7, A: rand(nSeg * EA * c.r * c.K, seed + 1, 0.3), B: rand(E * lenSum * c.r, seed + 2, 0.3), cond };
  return { l, X: rand(c.T * c.K, seed + 3), W: rand(c.N * c.K, seed + 4), b: rand(c.N, seed + 6), Y0: rand(c.T * c.N, seed + 7) };
}

function bind(l: ref.LoraRef): LoraBinding {
  return { mode: l.mode, r: l.r, E: l.E, EA: l.EA, segs: l.segs, scale: l.scale, A: g.buf(l.A), B: g.buf(l.B), cond: g.buf(l.cond) };
}

const CASES: Case[] = [
  // plain LoRA on one whole projection
  { mode: 0, T: 1, N: 97, K: 52, r: 8, segs: [{ start: 0, len: 97 }] },
  { mode: 0, T: 19, N: 97, K: 52, r: 3, segs: [{ start: 0, len: 97 }], bias: true },
  // Zhyper diag on q and v of a fused qkv (k rows between them unadapted)
  { mode: 1, T: 1, N: 160, K: 64, r: 8, segs: [{ start: 0, len: 96 }, { start: 128, len: 32 }], bias: true },
  { mode: 1, T: 33, N: 160, K: 64, r: 8, segs: [{ start: 0, len: 96 }, { start: 128, len: 32 }] },
  { mode: 1, T: 7, N: 75, K: 36, r: 5, segs: [{ start: 0, len: 25 }, { start: 25, len: 25 }, { start: 50, len: 25 }], acc: true },
  // Zhyper square Z
  { mode: 2, T: 1, N: 131, K: 68, r: 4, segs: [{ start: 3, len: 60 }, { start: 100, len: 31 }] },
  { mode: 2, T: 21, N: 131, K: 68, r: 8, segs: [{ start: 3, len: 60 }, { start: 100, len: 31 }], bias: true, acc: true },
  // CUMA: HydraLoRA shared A and independent experts, every k, gates read at pos0 + t
  ...[1, 2, 3, 4].flatMap((k): Case[] => [
    { mode: 3, T: 1, N: 99, K: 40, r: 4, E: 4, EA: 1, k, pos0: 5, segs: [{ start: 0, len: 40 }, { start: 70, len: 29 }] },
    { mode: 3, T: 1, N: 99, K: 40, r: 4, E: 4, EA: 4, k, pos0: 2, segs: [{ start: 10, len: 60 }] },
    { mode: 3, T: 18, N: 99, K: 40, r: 4, E: 4, EA: 4, k, pos0: 3, segs: [{ start: 0, len: 40 }, { start: 70, len: 29 }] },
  ]),
  { mode: 3, T: 17, N: 70, K: 44, r: 8, E: 8, EA: 1, k: 2, pos0: 1, segs: [{ start: 0, len: 70 }], bias: true },
  { mode: 3, T: 1, N: 70, K: 44, r: 8, E: 8, EA: 8, k: 8, segs: [{ start: 0, len: 70 }], acc: true },
];

const name = (c: Case) => `mode=${c.mode} T=${c.T} N=${c.N} K=${c.K} r=${c.r} segs=${c.segs.length}${c.E ? ` E=${c.E} EA=${c.EA} k=${c.k}` : ''}${c.bias ? ' bias' : ''}${c.acc ? ' accumulate' : ''}`;

describe('fused adapted projection (lora_matvec_vec4 for T=1, lora_matmul_vec4 otherwise)', () => {
  CASES.forEach((c, i) => {
    it(name(c), async () => {
      const { l, X, W, b, Y0 } = makeCase(c, 100 + i * 10);
      const want = ref.adaptedLinearRef(X, W, c.T, c.N, c.K, l, c.pos0 ?? 0, c.bias ? b : undefined);
      if (c.acc) for (let j = 0; j < want.length; j++) want[j] += Y0[j];
      const y = g.buf(c.acc ? Y0 : new Float32Array(c.T * c.N));
      const o = { N: c.N, K: c.K, x: g.buf(X), W: g.buf(W), bias: c.bias ? g.buf(b) : undefined, y, accumulate: c.acc, lora: bind(l) };
      g.setStep(c.T, c.pos0 ?? 0);
      g.k.run([c.T === 1 ? g.k.loraMatvecVec4(g.step, o) : g.k.loraMatmulVec4(g.step, o)], c.T);
      expect(maxRelErr(await g.read(y, c.T * c.N), want)).toBeLessThan(2e-5);
    });
  });

  it('base = false writes only the adapter term (the decode and prefill kernels agree)', async () => {
    const c: Case = { mode: 1, T: 5, N: 50, K: 24, r: 4, segs: [{ start: 10, len: 30 }] };
    const { l, X, W } = makeCase(c, 7);
    const want = ref.adaptedLinearRef(X, null, c.T, c.N, c.K, l);
    const y = g.buf(c.T * c.N);
    g.setStep(c.T);
    g.k.run([g.k.loraMatmulVec4(g.step, { N: c.N, K: c.K, x: g.buf(X), W: g.buf(W), y, base: false, lora: bind(l) })], c.T);
    expect(maxRelErr(await g.read(y, c.T * c.N), want)).toBeLessThan(2e-5);
    const y1 = g.buf(c.N);
    g.setStep(1);
    g.k.run([g.k.loraMatvecVec4(g.step, { N: c.N, K: c.K, x: g.buf(X.slice(0, c.K)), W: g.buf(W), y: y1, base: false, lora: bind(l) })], 1);
    expect(maxRelErr(await g.read(y1, c.N), want.slice(0, c.N))).toBeLessThan(2e-5);
  });

  it('refuses shapes its workgroup memory cannot hold', () => {
    const l = { mode: 0 as const, r: 64, E: 1, EA: 1, segs: [{ start: 0, len: 8 }, { start: 8, len: 8 }, { start: 16, len: 8 }], scale: 1, A: g.buf(4), B: g.buf(4), cond: g.buf(4) };
    expect(() => g.k.loraMatvecVec4(g.step, { N: 24, K: 8, x: g.buf(8), W: g.buf(8), y: g.buf(24), lora: l })).toThrow(/nSeg·EA·r <= 128/);
    expect(() => g.k.loraMatvecVec4(g.step, { N: 24, K: 9, x: g.buf(9), W: g.buf(9), y: g.buf(24), lora: { ...l, r: 2 } })).toThrow(/K % 4 == 0/);
  });
});

describe('unfused pair (matmul/matvec + lora_down + lora_up), any K', () => {
  const cases: Case[] = [
    { mode: 0, T: 1, N: 33, K: 17, r: 3, segs: [{ start: 0, len: 33 }] },
    { mode: 1, T: 9, N: 65, K: 37, r: 8, segs: [{ start: 0, len: 20 }, { start: 40, len: 25 }], bias: true },
    { mode: 2, T: 4, N: 40, K: 21, r: 64, segs: [{ start: 0, len: 40 }] },
    { mode: 3, T: 6, N: 45, K: 30, r: 4, E: 8, EA: 8, k: 3, pos0: 4, segs: [{ start: 0, len: 20 }, { start: 20, len: 25 }] },
  ];
  cases.forEach((c, i) => {
    it(name(c), async () => {
      const { l, X, W, b } = makeCase(c, 300 + i * 10);
      const want = ref.adaptedLinearRef(X, W, c.T, c.N, c.K, l, c.pos0 ?? 0, c.bias ? b : undefined);
      const R = c.segs.length * (c.EA ?? 1) * c.r;
      const y = g.buf(c.T * c.N), U = g.buf(c.T * R), x = g.buf(X), lora = bind(l);
      const lin = { N: c.N, K: c.K, x, W: g.buf(W), bias: c.bias ? g.buf(b) : undefined, y };
      g.setStep(c.T, c.pos0 ?? 0);
      g.k.run([c.T === 1 ? g.k.matvec(lin) : g.k.matmul(g.step, lin), g.k.loraDown(g.step, { K: c.K, lora, x, U }), g.k.loraUp(g.step, { N: c.N, lora, U, y })], c.T);
      expect(maxRelErr(await g.read(y, c.T * c.N), want)).toBeLessThan(2e-5);
    });
  });
});

describe('CUMA router', () => {
  for (const [T, H, R, E] of [[1, 64, 256, 8], [7, 37, 33, 4], [3, 70, 100, 8], [2, 16, 16, 16]]) {
    for (const gating of ['eq4', 'double'] as const) {
      for (const k of [1, 2, E]) {
        it(`T=${T} H=${H} R=${R} E=${E} k=${k} ${gating}`, async () => {
          const h = rand(T * H, 1), W1h = rand(R * H, 2, 0.3), c = rand(R, 3), W2 = rand(E * R, 4, 0.3), b2 = rand(E, 5);
          const pos0 = 3;
          const gates = g.buf((pos0 + T) * E);
          g.setStep(T, pos0);
          g.k.run([g.k.router(g.step, { H, R, E, k, gating, h: g.buf(h), W1h: g.buf(W1h), c: g.buf(c), W2: g.buf(W2), b2: g.buf(b2), gates })], T);
          const got = (await g.read(gates)).slice(pos0 * E, (pos0 + T) * E);
          const want = ref.routerRef(h, T, H, W1h, c, W2, b2, E, k, gating);
          expect(maxRelErr(got, want)).toBeLessThan(1e-5);
          for (let t = 0; t < T; t++) {
            const row = Array.from(got.slice(t * E, t * E + E));
            expect(row.filter((v) => v > 0).length).toBe(k);
            expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          }
        });
      }
    }
  }

  it('ties go to the lower expert index (all logits equal, and a tie at the k-th place)', async () => {
    const H = 8, R = 4, E = 6, T = 2;
    const h = rand(T * H, 9), W1h = rand(R * H, 10), c = new Float32Array(R);
    const W2 = new Float32Array(E * R); // logits = b2 exactly
    for (const [b2v, k, want] of [
      [[0, 0, 0, 0, 0, 0], 2, [0, 1]],
      [[0.5, 1, 0.5, 0.5, 2, 0], 3, [0, 1, 4]],
    ] as [number[], number, number[]][]) {
      const gates = g.buf(T * E);
      g.setStep(T);
      g.k.run([g.k.router(g.step, { H, R, E, k, gating: 'eq4', h: g.buf(h), W1h: g.buf(W1h), c: g.buf(c), W2: g.buf(W2), b2: g.buf(Float32Array.from(b2v)), gates })], T);
      const got = await g.read(gates, E);
      expect([...got].flatMap((v, i) => (v > 0 ? [i] : []))).toEqual(want);
      expect(maxRelErr(got, ref.topkGates(b2v, k, 'eq4'))).toBeLessThan(1e-6);
    }
  });
});

describe('silu_mul', () => {
  for (const [T, I] of [[1, 64], [5, 37], [3, 200]]) {
    it(`T=${T} I=${I}`, async () => {
      const gu = rand(T * 2 * I, 4, 30); // large |x| exercises the overflow-free sigmoid
      const out = g.buf(T * I);
      g.setStep(T);
      g.k.run([g.k.siluMul(g.step, { I, gu: g.buf(gu), out })], T);
      expect(maxRelErr(await g.read(out, T * I), ref.siluMulRef(gu, T, I))).toBeLessThan(1e-5);
    });
  }
});

describe('rmsnorm_router (input norm and CUMA router in one dispatch)', () => {
  for (const [T, H, R, E, k, gating] of [[1, 64, 256, 8, 2, 'eq4'], [9, 37, 33, 4, 1, 'double'], [3, 70, 100, 16, 16, 'eq4']] as [number, number, number, number, number, 'eq4' | 'double'][]) {
    it(`T=${T} H=${H} R=${R} E=${E} k=${k} ${gating}`, async () => {
      const x = rand(T * H, 1, 3), w = rand(H, 2), W1h = rand(R * H, 3, 0.3), c = rand(R, 4), W2 = rand(E * R, 5, 0.3), b2 = rand(E, 6);
      const pos0 = 2;
      const y = g.buf(T * H), gates = g.buf((pos0 + T) * E);
      g.setStep(T, pos0);
      g.k.run([g.k.rmsnormRouter(g.step, { dim: H, eps: 1e-5, x: g.buf(x), w: g.buf(w), y, R, E, k, gating, W1h: g.buf(W1h), c: g.buf(c), W2: g.buf(W2), b2: g.buf(b2), gates })], T);
      const h = ref.rmsnormRef(x, w, H, 1e-5);
      expect(maxRelErr(await g.read(y, T * H), h)).toBeLessThan(1e-5);
      const got = (await g.read(gates)).slice(pos0 * E, (pos0 + T) * E);
      expect(maxRelErr(got, ref.routerRef(h, T, H, W1h, c, W2, b2, E, k, gating))).toBeLessThan(1e-5);
    });
  }
});

describe('the router at decode spread over the device (router_hidden_subgroup, then router_gates)', () => {
  // R not a multiple of 4 (a partial last subgroup block), R of one row, H of one vec4 and H past a subgroup's
  // stride, E up to 64 with k = E, both gatings, a later position
  for (const [H, R, E, k, gating, pos0] of [[64, 256, 8, 2, 'eq4', 3], [4, 1, 1, 1, 'eq4', 0], [36, 33, 4, 1, 'double', 5], [260, 70, 16, 16, 'eq4', 1], [8, 6, 64, 3, 'double', 2]] as [number, number, number, number, 'eq4' | 'double', number][]) {
    it(`H=${H} R=${R} E=${E} k=${k} ${gating} pos0=${pos0}`, async () => {
      const x = rand(H, 1, 3), w = rand(H, 2), W1h = rand(R * H, 3, 0.3), c = rand(R, 4), W2 = rand(E * R, 5, 0.3), b2 = rand(E, 6);
      const y = g.buf(H), gates = g.buf((pos0 + 1) * E), a = g.buf(R);
      g.setStep(1, pos0);
      const ops = g.k.rmsnormRouterDecode(g.step, { dim: H, eps: 1e-5, x: g.buf(x), w: g.buf(w), y, R, E, k, gating, W1h: g.buf(W1h), c: g.buf(c), W2: g.buf(W2), b2: g.buf(b2), gates, a });
      expect(ops.map((d) => d.kernel)).toEqual(['router_hidden_subgroup', 'router_gates']);
      g.k.run(ops, 1);
      const h = ref.rmsnormRef(x, w, H, 1e-5);
      expect(maxRelErr(await g.read(y, H), h)).toBeLessThan(1e-5);
      const got = (await g.read(gates)).slice(pos0 * E, (pos0 + 1) * E);
      expect(maxRelErr(got, ref.routerRef(h, 1, H, W1h, c, W2, b2, E, k, gating))).toBeLessThan(1e-5);
    });
  }
  it('refuses H not a multiple of 4 and more experts than router_gates holds, by name', () => {
    const o = { dim: 6, eps: 1e-5, x: g.k.empty, w: g.k.empty, y: g.k.noOutput, R: 4, E: 2, k: 1, gating: 'eq4' as const, W1h: g.k.empty, c: g.k.empty, W2: g.k.empty, b2: g.k.empty, gates: g.k.noOutput, a: g.k.noOutput };
    expect(() => g.k.rmsnormRouterDecode(g.step, o)).toThrow(/H % 4/);
    expect(() => g.k.rmsnormRouterDecode(g.step, { ...o, dim: 8, E: 65, k: 1 })).toThrow(/65 experts/);
  });
});

describe('split decode path: lora_down then lora_matvec_up_vec4 (or its subgroup form)', () => {
  CASES.filter((c) => c.T === 1).forEach((c, i) => {
    for (const form of ['vec4', 'subgroup'] as const)
    it(`${name(c)} (${form})`, async () => {
      const up = form === 'vec4' ? g.k.loraMatvecUpVec4.bind(g.k) : g.k.loraMatvecUpSubgroup.bind(g.k);
      const { l, X, W, b, Y0 } = makeCase(c, 500 + i * 10);
      const want = ref.adaptedLinearRef(X, W, 1, c.N, c.K, l, c.pos0 ?? 0, c.bias ? b : undefined);
      if (c.acc) for (let j = 0; j < want.length; j++) want[j] += Y0[j];
      const R = c.segs.length * (c.EA ?? 1) * c.r;
      const y = g.buf(c.acc ? Y0 : new Float32Array(c.N)), U = g.buf(R), x = g.buf(X), lora = bind(l);
      g.setStep(1, c.pos0 ?? 0);
      g.k.run([g.k.loraDown(g.step, { K: c.K, lora, x, U }), up(g.step, { N: c.N, K: c.K, x, W: g.buf(W), bias: c.bias ? g.buf(b) : undefined, y, accumulate: c.acc, lora, U })], 1);
      expect(maxRelErr(await g.read(y, c.N), want)).toBeLessThan(2e-5);
    });
  });
});
