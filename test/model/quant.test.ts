// Group-wise 8- and 4-bit weights on the CPU (src/model/quant.ts): the layout the kernels read, the rounding, the
// error bound, padding, all-zero blocks and non-finite values. Every kernel's reading of it: test/kernels/f16.test.ts.
import { describe, it, expect } from 'vitest';
import { QK, QUANT, dequantize, quantBytes, quantize, type QuantDtype } from '../../src/model/quant';
import { weightBytes } from '../../src/model/weights';

const f32bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];

describe('quantize / dequantize', () => {
  it('q8: bytes in order, two\'s complement, then the scale max|w|/127', () => {
    const w = new Float32Array(QK);
    w[0] = 1.27; w[1] = -1.27; w[2] = 0.01; w[3] = -0.006; w[5] = 0.635;
    const p = quantize(w, 'q8', 'w');
    expect(p.length).toBe(9);
    const d = Math.fround(1.27 / 127);
    expect(p[8]).toBe(f32bits(d));
    expect(p[0] & 0xff).toBe(127);
    expect((p[0] >>> 8) & 0xff).toBe(0x81); // −127
    expect((p[0] >>> 16) & 0xff).toBe(1);
    expect(p[0] >>> 24).toBe(0xff); // −1 (−0.006 / 0.01 rounds to −1)
    expect((p[1] >>> 8) & 0xff).toBe(Math.round(0.635 / d));
    const back = dequantize(p, QK, 'q8');
    expect(back[0]).toBe(Math.fround(127 * d));
    expect(back[1]).toBe(Math.fround(-127 * d));
    expect(back[4]).toBe(0);
  });

  it('q4: nibbles holding q + 8, eight to a word, then the scale −m/8 (m the weight of largest magnitude)', () => {
    const w = Float32Array.from({ length: QK }, (_, i) => ((i % 15) - 7) / 4); // −7/4 … 7/4
    w[9] = -2; // m: stored as −8·d
    const p = quantize(w, 'q4', 'w');
    expect(p.length).toBe(5);
    expect(p[4]).toBe(f32bits(0.25));
    for (let j = 0; j < QK; j++) expect((p[j >> 3] >>> ((j & 7) * 4)) & 15, `nibble ${j}`).toBe(w[j] * 4 + 8);
    expect(Array.from(dequantize(p, QK, 'q4'))).toEqual(Array.from(w));
  });

  for (const dtype of ['q8', 'q4'] as QuantDtype[]) {
    it(`${dtype}: each weight within half a step of its block's scale (a step where q4 clamps at +7), at odd lengths (last block zero-padded)`, () => {
      for (const n of [1, 31, 33, 100, 1027]) {
        const w = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * (1 + (i % 7)) * (i % 64 < 32 ? 1e-3 : 1));
        const p = quantize(w, dtype, 'w');
        expect(p.length * 4).toBe(quantBytes(n, dtype));
        expect(weightBytes(n, dtype)).toBe(quantBytes(n, dtype));
        const back = dequantize(p, n, dtype);
        for (let b = 0; b * QK < n; b++) {
          const block = w.subarray(b * QK, Math.min(n, (b + 1) * QK));
          const amax = Math.max(...Array.from(block, Math.abs));
          const d = amax / QUANT[dtype].levels;
          for (let j = 0; j < block.length; j++) {
            const err = Math.abs(back[b * QK + j] - block[j]);
            const clamped = dtype === 'q4' && Math.abs(block[j]) > 7.5 * d; // the opposite sign of m: 8 levels one way, 7 the other
            const bound = (clamped ? d : d / 2) + 1e-7 * Math.abs(block[j]);
            if (err > bound) throw new Error(`${dtype} n=${n} block ${b} weight ${j}: error ${err} > ${bound}`);
          }
          // the largest weight of a block is stored exactly at ±qmax
          const k = block.findIndex((v) => Math.abs(v) === amax);
          expect(Math.abs(Math.abs(back[b * QK + k]) - amax)).toBeLessThanOrEqual(2 ** -22 * amax);
        }
      }
    });

    it(`${dtype}: an all-zero block has scale 0 and reads back zeros; a non-finite weight is refused by name`, () => {
      const w = new Float32Array(2 * QK);
      w[QK + 3] = 0.5;
      const p = quantize(w, dtype, 'w');
      expect(p[QUANT[dtype].words - 1]).toBe(0);
      const back = dequantize(p, w.length, dtype);
      expect(back.subarray(0, QK).every((v) => v === 0)).toBe(true);
      expect(back[QK + 3]).toBe(0.5);
      const bad = new Float32Array(40);
      bad[37] = NaN;
      expect(() => quantize(bad, dtype, 'model.layers.0.mlp.up_proj.weight')).toThrow(/up_proj\.weight holds NaN at index 37: a non-finite weight cannot be quantised/);
    });
  }
});
