// Stored weight formats: f16's CPU conversion (round to nearest even, subnormals, overflow, NaN), and every kernel
// that reads a weight matrix in each stored form (f16, f16 through shader-f16, q8, q4) against its f32 form on the
// values that form holds. The arithmetic is f32 in all, so each pair must agree bit for bit; a difference would be a
// wrong unpack (order, sign, subnormals, a block's scale). Shapes are odd on purpose: K odd, K not a multiple of 8,
// rows whose packed pairs and 32-weight blocks straddle two rows. quantize itself: test/model/quant.test.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { gpuKernels, rand, maxRelErr } from '../helpers/gpu';
import * as ref from '../reference/kernels';
import { f16Bits, f16Value, packF16 } from '../../src/model/f16';
import { TrainKernels } from '../../src/train/kernels';
import { withWeights } from '../../src/gpu/shaders';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import type { Dispatch, LoraBinding, WeightDtype } from '../../src/gpu/kernels';
import { dequantize, quantize, type QuantDtype } from '../../src/model/quant';

let g: Awaited<ReturnType<typeof gpuKernels>>;
let tk: TrainKernels;
beforeAll(async () => {
  g = await gpuKernels();
  tk = new TrainKernels(g.k);
});

describe('f16Bits: f32 to binary16, round to nearest even', () => {
  it('known values, ties, subnormals, overflow, signed zero, inf and NaN', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e9, 0x7c00],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -10, 0x3c01], // ties to even, both ways
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -25, 0x0002], [-(2 ** -24), 0x8001],
      [2 ** -26, 0], [(1023 / 1024) * 2 ** -14, 0x03ff], [0, 0], [-0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [x, h] of cases) expect(f16Bits(x), `${x}`).toBe(h);
    expect(f16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(f16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('every finite f16 value converts back to its own bits', () => {
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaNs
      if (f16Bits(f16Value(h)) !== h) throw new Error(`bits ${h.toString(16)} → ${f16Value(h)} → ${f16Bits(f16Value(h)).toString(16)}`);
    }
  });

  it('packF16 packs element 2i in the low half, pads to 4 elements, and refuses a value past f16 range by name', () => {
    const p = packF16(Float32Array.from([1, -2, 0.5]), 'w');
    expect(Array.from(p)).toEqual([0xc0003c00, 0x00003800]);
    expect(() => packF16(Float32Array.from([1, 70000]), 'model.layers.0.mlp.up_proj.weight')).toThrow(/up_proj\.weight holds 70000 at index 1, beyond f16's range.*--weights f32/);
  });
});

/** weights with the awkward values: subnormals, the largest finite, negative zero, and values that round */
function weights(n: number, seed: number): Float32Array {
  const w = rand(n, seed);
  const special = [3e-7, -6e-8, 2 ** -24, 6.1e-5, 65504, -65504, -0, 1 + 2 ** -11, 1e-9];
  for (let i = 0; i < special.length && i * 7 < n; i++) w[i * 7] = special[i];
  return w;
}
const rounded = (w: Float32Array) => Float32Array.from(w, (v) => f16Value(f16Bits(v)));

/** A stored weight format: how it packs a matrix, and the f32 values its kernels read back. */
interface Format {
  dtype: WeightDtype;
  f16?: 'unpack' | 'native';
  pack: (w: Float32Array) => Uint32Array;
  values: (w: Float32Array) => Float32Array;
}
const F16: Format = { dtype: 'f16', f16: 'unpack', pack: (w) => packF16(w, 'test'), values: rounded };
const quant = (dtype: QuantDtype): Format => ({ dtype, pack: (w) => quantize(w, dtype, 'test'), values: (w) => dequantize(quantize(w, dtype, 'test'), w.length, dtype) });
/** f16 (and f16 through shader-f16 where the adapter has it: lavapipe), then the group-wise 8- and 4-bit forms */
const formats = (): Format[] => [F16, ...(g.dev.features.has('shader-f16') ? [{ ...F16, f16: 'native' as const }] : []), quant('q8'), quant('q4')];

/**
 * For each stored format, run one dispatch built for f32 on the values that format holds (f16-rounded, or
 * dequantised) and one built for the format itself, and require them equal bit for bit: the arithmetic is f32 in
 * both, so a difference is a wrong unpack (order, sign, subnormals, a block's scale). Returns f16's pair.
 */
async function both(build: (W: (w: Float32Array) => GPUBuffer, dtype: WeightDtype) => { op: Dispatch; out: GPUBuffer; n: number; T: number; pos0?: number }, only: Format[] = formats()) {
  const run = async (dtype: WeightDtype, f16: 'unpack' | 'native', W: (w: Float32Array) => GPUBuffer) => {
    g.k.variants = { ...g.k.variants, f16 };
    const { op, out, n, T, pos0 } = build(W, dtype);
    g.setStep(T, pos0 ?? 0);
    g.k.run([op], T);
    return g.read(out, n);
  };
  let pair: [Float32Array, Float32Array] | undefined;
  for (const f of only) {
    const a = await run('f32', 'unpack', (w) => g.buf(f.values(w)));
    const h = await run(f.dtype, f.f16 ?? 'unpack', (w) => g.buf(f.pack(w)));
    expect(h, `${f.dtype}${f.f16 === 'native' ? ' through shader-f16' : ''} against f32 on its values`).toEqual(a);
    pair ??= [a, h];
  }
  g.k.variants = { ...g.k.variants, f16: 'unpack' };
  return pair!;
}

describe('every weight-reading kernel in f16, q8 and q4 equals its f32 form on the values stored (bitwise)', () => {
  const shapes: [number, number, number][] = [[1, 7, 13], [5, 33, 17], [3, 65, 12], [9, 10, 20], [2, 3, 1]];
  for (const [T, N, K] of shapes) {
    it(`matmul, matvec (and vec4 / coalesced / subgroup where K % 4 == 0): T=${T} N=${N} K=${K}`, async () => {
      const X = rand(T * K, 1), Wf = weights(N * K, 2), b = rand(N, 3);
      const want = ref.linearRef(X, rounded(Wf), T, N, K, b);
      const kernels: ((W: GPUBuffer, dtype: WeightDtype, y: GPUBuffer) => Dispatch)[] = [
        (W, wDtype, y) => g.k.matmul(g.step, { N, K, x: g.buf(X), W, bias: g.buf(b), y, wDtype }),
        (W, wDtype, y) => g.k.matvec({ N, K, x: g.buf(X.slice((T - 1) * K)), W, bias: g.buf(b), y, wDtype }),
        ...(K % 4
          ? []
          : [
              (W: GPUBuffer, wDtype: WeightDtype, y: GPUBuffer) => g.k.matmulVec4(g.step, { N, K, x: g.buf(X), W, bias: g.buf(b), y, wDtype }),
              (W: GPUBuffer, wDtype: WeightDtype, y: GPUBuffer) => g.k.matvecVec4({ N, K, x: g.buf(X.slice((T - 1) * K)), W, bias: g.buf(b), y, wDtype }),
              (W: GPUBuffer, wDtype: WeightDtype, y: GPUBuffer) => g.k.matvecCoalesced({ N, K, x: g.buf(X.slice((T - 1) * K)), W, bias: g.buf(b), y, wDtype }),
              (W: GPUBuffer, wDtype: WeightDtype, y: GPUBuffer) => g.k.matvecSubgroup({ N, K, x: g.buf(X.slice((T - 1) * K)), W, bias: g.buf(b), y, wDtype }),
            ]),
      ];
      for (const [i, make] of kernels.entries()) {
        const rows = i === 0 || i === 2 ? T : 1;
        const [a, h] = await both((W, dtype) => {
          const out = g.buf(rows * N);
          return { op: make(W(Wf), dtype, out), out, n: rows * N, T };
        });
        expect(h, `kernel ${i}`).toEqual(a);
        expect(maxRelErr(a, want.slice((T - rows) * N)), `kernel ${i} against the reference`).toBeLessThan(1e-5);
      }
    });
  }

  it('a weight that is inf in f16 reads as inf (the loader refuses such files; the unpack must not hide them)', async () => {
    const N = 3, K = 8, W = rand(N * K, 4);
    W[K + 2] = 70000; // rounds to inf: row 1 becomes ±inf or NaN in both forms
    const x = rand(K, 5);
    const [a, h] = await both((Wb, wDtype) => {
      const out = g.buf(N);
      const raw = wDtype === 'f16' ? (() => { const p = new Uint16Array(Math.ceil((N * K) / 4) * 4); W.forEach((v, i) => (p[i] = f16Bits(v))); return g.buf(new Uint32Array(p.buffer)); })() : Wb(W);
      return { op: g.k.matvecVec4({ N, K, x: g.buf(x), W: raw, y: out, wDtype }), out, n: N, T: 1 };
    }, [F16]);
    expect(Number.isFinite(h[1])).toBe(false);
    expect(h).toEqual(a);
  });

  for (const [T, I, K] of [[3, 11, 9], [4, 21, 16], [1, 5, 12]]) {
    it(`gate_up_silu (and vec4 where K % 4 == 0): T=${T} I=${I} K=${K}`, async () => {
      const X = rand(T * K, 6), Wg = weights(I * K, 7), Wu = weights(I * K, 8);
      for (const vec4 of K % 4 ? [false] : [false, true]) {
        const [a, h] = await both((W, wDtype) => {
          const out = g.buf(T * I);
          const o = { I, K, x: g.buf(X), Wg: W(Wg), Wu: W(Wu), out, wDtype };
          return { op: vec4 ? g.k.gateUpSiluVec4(g.step, o) : g.k.gateUpSilu(g.step, o), out, n: T * I, T };
        });
        expect(h, `vec4=${vec4}`).toEqual(a);
      }
    });
  }

  for (const [H, D, nQ, nKV, I] of [[12, 6, 3, 1, 7], [20, 4, 2, 2, 33]]) {
    it(`decode's norm-fused kernels, all three forms: rmsnorm_qkv_rope H=${H} D=${D} heads=${nQ}+${nKV}, rmsnorm_gate_up_silu I=${I}`, async () => {
      const N = (nQ + 2 * nKV) * D, kvDim = nKV * D;
      const x = rand(H, 18, 2), normW = rand(H, 19), Wqkv = weights(N * H, 20), Wg = weights(I * H, 21), Wu = weights(I * H, 22);
      const cosSin = g.buf(new Float32Array(4 * D).map((_, i) => Math.cos(i)));
      for (const form of ['vec4', 'coalesced', 'subgroup'] as const) {
        const [a, h] = await both((W, wDtype) => {
          const out = g.buf(N + 2 * 2 * kvDim); // q, then a 2-position k cache, then v's
          const kc = g.buf(2 * kvDim), vc = g.buf(2 * kvDim);
          const op = g.k.rmsnormQkvRope(g.step, { H, headDim: D, nQHeads: nQ, nKVHeads: nKV, eps: 1e-6, x: g.buf(x), normW: g.buf(normW), W: W(Wqkv), cosSin, q: out, kCache: kc, vCache: vc, wDtype, form });
          return { op, out, n: nQ * D, T: 1 };
        });
        expect(h, `rmsnorm_qkv_rope ${form}`).toEqual(a);
        const [ga, gh] = await both((W, wDtype) => {
          const out = g.buf(I);
          return { op: g.k.rmsnormGateUpSilu({ I, K: H, eps: 1e-6, x: g.buf(x), normW: g.buf(normW), Wg: W(Wg), Wu: W(Wu), act: out, wDtype, form }), out, n: I, T: 1 };
        });
        expect(gh, `rmsnorm_gate_up_silu ${form}`).toEqual(ga);
        expect(maxRelErr(ga, ref.normSiluGateRef(x, normW, rounded(Wg), rounded(Wu), I, H))).toBeLessThan(1e-5);
      }
    });
  }

  it('attention_o (each head\'s share of Wo): H=13 heads=3+1 D=8', async () => {
    const H = 13, D = 8, nQ = 3, nKV = 1, ld = (nQ + 2 * nKV) * D, pos = 2;
    const qkv = rand(ld, 23), kc = rand((pos + 1) * nKV * D, 24), vc = rand((pos + 1) * nKV * D, 25), Wo = weights(H * nQ * D, 26);
    const [a, h] = await both((W, wDtype) => {
      const out = g.buf(nQ * H);
      return { op: g.k.attentionO(g.step, { H, headDim: D, nHeads: nQ, nKVHeads: nKV, ldQKV: ld, qkv: g.buf(qkv), kCache: g.buf(kc), vCache: g.buf(vc), Wo: W(Wo), part: out, wDtype }), out, n: nQ * H, T: 1, pos0: pos };
    });
    expect(h).toEqual(a);
  });

  for (const [V, H, T] of [[9, 7, 4], [13, 16, 5]]) {
    it(`embedding gather: V=${V} H=${H} (odd H straddles packed pairs)`, async () => {
      const table = weights(V * H, 9);
      const ids = Uint32Array.from({ length: T }, (_, i) => (i * 5 + 2) % V);
      const [a, h] = await both((W, wDtype) => {
        const out = g.buf(T * H);
        return { op: g.k.embedding(g.step, { H, rowStart: 0, rowCount: V, ids: g.buf(ids), table: W(table), out, wDtype }), out, n: T * H, T };
      });
      expect(h).toEqual(a);
      expect(a).toEqual(ref.embeddingRef(rounded(table), ids, H));
    });
  }

  for (const [T, N, K] of [[3, 9, 13], [5, 12, 20], [2, 7, 8]]) {
    it(`linear_backward_input (and vec4 where K % 4 == 0): T=${T} N=${N} K=${K}`, async () => {
      const dY = rand(T * N, 10), W = weights(N * K, 11);
      for (const vec4 of K % 4 ? [false] : [false, true]) {
        const [a, h] = await both((Wb, wDtype) => {
          const dX = g.buf(T * K);
          return { op: tk.linearBackwardInput(g.step, { N, K, vec4, dY: g.buf(dY), W: Wb(W), dX, wDtype }), out: dX, n: T * K, T };
        });
        expect(h, `vec4=${vec4}`).toEqual(a);
      }
    });
  }

  it('the adapted projections (fused decode and prefill, split decode in both forms) read W in f16 too', async () => {
    const N = 44, K = 20, r = 4, T = 5;
    const l: ref.LoraRef = { mode: 1, r, E: 1, EA: 1, segs: [{ start: 3, len: 30 }], scale: 1.3, A: rand(r * K, 12, 0.3), B: rand(30 * r, 13, 0.3), cond: rand(r, 14) };
    const X = rand(T * K, 15), W = weights(N * K, 16), U = rand(r, 17);
    const lora = (): LoraBinding => ({ mode: 1, r, E: 1, EA: 1, segs: l.segs, scale: l.scale, A: g.buf(l.A), B: g.buf(l.B), cond: g.buf(l.cond) });
    for (const kind of ['matvec', 'matmul', 'up', 'up-subgroup'] as const) {
      const [a, h] = await both((Wb, wDtype) => {
        const rows = kind === 'matmul' ? T : 1;
        const out = g.buf(rows * N);
        const o = { N, K, x: g.buf(kind === 'matmul' ? X : X.slice(0, K)), W: Wb(W), y: out, lora: lora(), wDtype };
        const op = kind === 'matvec' ? g.k.loraMatvecVec4(g.step, o) : kind === 'matmul' ? g.k.loraMatmulVec4(g.step, o) : kind === 'up' ? g.k.loraMatvecUpVec4(g.step, { ...o, U: g.buf(U) }) : g.k.loraMatvecUpSubgroup(g.step, { ...o, U: g.buf(U) });
        return { op, out, n: rows * N, T: rows };
      });
      expect(h, kind).toEqual(a);
    }
  });
});

describe('the weight formats a kernel is compiled in', () => {
  const lib = loadShaderLibrary();
  it('f32 reads W[i]; f16 unpacks u32 pairs; f16-native enables f16 and widens array<f16>', () => {
    expect(withWeights(lib.matvec_vec4, 'f32')).toMatch(/W: array<vec4<f32>>;.*\nfn load_W\(i: u32\) -> vec4<f32> \{ return W\[i\]; \}/);
    expect(withWeights(lib.matvec_vec4, 'f16')).toMatch(/W: array<vec2<u32>>;.*\nfn load_W\(i: u32\) -> vec4<f32> \{ let u = W\[i\]; return vec4<f32>\(unpack2x16float\(u\.x\), unpack2x16float\(u\.y\)\); \}/);
    expect(withWeights(lib.matvec, 'f16')).toMatch(/W: array<u32>;.*\nfn load_W\(i: u32\) -> f32 \{ return unpack2x16float\(W\[i >> 1u\]\)\[i & 1u\]; \}/);
    const native = withWeights(lib.gate_up_silu_vec4, 'f16-native');
    expect(native.startsWith('enable f16;\n')).toBe(true);
    expect(native).toMatch(/Wg: array<vec4<f16>>;/);
    expect(native).toMatch(/Wu: array<vec4<f16>>;/);
  });

  it('a kernel without a weight binding has no f16 form, and says so', () => {
    expect(() => g.k.pipeline('rmsnorm', 'f16')).toThrow(/rmsnorm\.wgsl reads no weight matrix/);
  });

  it('f16 weights are read through shader-f16 only where the variant says so and the device has the feature', () => {
    const has = g.dev.features.has('shader-f16');
    g.k.variants = { ...g.k.variants, f16: 'native' };
    expect(g.k.weightFormat('f16')).toBe(has ? 'f16-native' : 'f16');
    g.k.variants = { ...g.k.variants, f16: 'unpack' };
    expect(g.k.weightFormat('f16')).toBe('f16');
    expect(g.k.weightFormat('f32')).toBe('f32');
    expect(g.k.weightFormat('q8')).toBe('q8');
    expect(g.k.weightFormat('q4')).toBe('q4');
  });

  it('q8 and q4 read u32 blocks through their loaders, in the vec4 and the element forms', () => {
    expect(withWeights(lib.matvec_vec4, 'q8')).toMatch(/W: array<u32>;.*\nfn load_W\(i: u32\) -> vec4<f32> \{ let b = \(i >> 3u\) \* 9u;/);
    expect(withWeights(lib.matvec, 'q8')).toMatch(/W: array<u32>;.*\nfn load_W\(i: u32\) -> f32 \{ let b = \(i >> 5u\) \* 9u;/);
    expect(withWeights(lib.matvec_vec4, 'q4')).toMatch(/fn load_W\(i: u32\) -> vec4<f32> \{ let b = \(i >> 3u\) \* 5u;/);
    expect(withWeights(lib.gate_up_silu_vec4, 'q4')).toMatch(/fn load_Wg[^\n]*\n[^]*fn load_Wu/);
    expect(withWeights(lib.matvec_vec4, 'q8').startsWith('enable f16;')).toBe(false);
  });
});
