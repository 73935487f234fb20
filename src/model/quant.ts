// Group-wise integer weights, dequantised inside the kernels (issue 16's stretch): 8-bit (q8) and 4-bit (q4).
//
// A matrix is read as one flat array cut into blocks of QK = 32 weights (rows may straddle blocks: the kernels
// address weights by flat index, as they do for f16's packed pairs). Each block stores its 32 integers q_j and one
// f32 scale d, and weight j is q_j·d (as llama.cpp's q8_0 and q4_0):
//   q8: d = max_j |w_j| / 127,  q_j = round(w_j / d) ∈ [−127, 127]
//   q4: d = −m / 8 where m is the block's weight of largest magnitude (with its sign), q_j = round(w_j / d)
//       clamped to [−8, 7]: m itself is stored exactly as −8·d, and all 16 levels are used
// A block is 9 u32 (q8: 32 two's-complement bytes, then d) or 5 u32 (q4: 32 nibbles holding q + 8, then d): the scale
// sits beside its integers, so a kernel needs no second binding and a subgroup's reads of one block stay together.
// The GPU's dequantisation (shaders.ts withWeights) computes f32(q)·d, one correctly rounded product, so
// `dequantize` below gives the very values the kernels read.
import { NonFiniteError } from './f16';

export type QuantDtype = 'q8' | 'q4';

/** weights per block */
export const QK = 32;

/** bits a weight, the integers' range, what the largest magnitude maps to (q = −levels for q4), u32 a block */
export const QUANT: Record<QuantDtype, { bits: number; qmin: number; qmax: number; levels: number; words: number }> = {
  q8: { bits: 8, qmin: -127, qmax: 127, levels: 127, words: QK / 4 + 1 },
  q4: { bits: 4, qmin: -8, qmax: 7, levels: 8, words: QK / 8 + 1 },
};

/** GPU bytes that n weights take in this format (whole blocks) */
export function quantBytes(n: number, dtype: QuantDtype): number {
  return Math.ceil(n / QK) * QUANT[dtype].words * 4;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * x in blocks of QK (the last one zero-padded). Refuses a non-finite value by name: its block's scale would be
 * inf or NaN and every weight in the block garbage.
 */
export function quantize(x: Float32Array, dtype: QuantDtype, what: string): Uint32Array {
  const { bits, qmin, qmax, levels, words } = QUANT[dtype];
  const blocks = Math.ceil(x.length / QK);
  const out = new Uint32Array(blocks * words);
  const mask = (1 << bits) - 1;
  for (let b = 0; b < blocks; b++) {
    const start = b * QK, end = Math.min(start + QK, x.length);
    let m = 0;
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (!Number.isFinite(v)) throw new NonFiniteError(`${what} holds ${v} at index ${i}: a non-finite weight cannot be quantised (the checkpoint is corrupt)`);
      if (Math.abs(v) > Math.abs(m)) m = v;
    }
    const d = Math.fround(dtype === 'q8' ? Math.abs(m) / levels : -m / levels) || 0; // an all-zero block: +0, not −0
    const base = b * words;
    for (let i = start; i < end; i++) {
      const q = d === 0 ? 0 : Math.max(qmin, Math.min(qmax, Math.round(x[i] / d)));
      const j = i - start;
      // q8: byte j of the block (two's complement); q4: nibble j, holding q + 8 so it is never negative
      const u = dtype === 'q8' ? q & mask : (q + 8) & mask;
      out[base + Math.floor((j * bits) / 32)] |= u << ((j * bits) % 32);
    }
    scratch[0] = d;
    out[base + words - 1] = scratchBits[0];
  }
  return out;
}

/** The n weights a quantised array holds, as the kernels read them: f32(q)·d. */
export function dequantize(packed: Uint32Array, n: number, dtype: QuantDtype): Float32Array {
  const { bits, words } = QUANT[dtype];
  const out = new Float32Array(n);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / QK), j = i % QK, base = b * words;
    scratchBits[0] = packed[base + words - 1];
    const d = scratch[0];
    const u = (packed[base + Math.floor((j * bits) / 32)] >>> ((j * bits) % 32)) & mask;
    const q = dtype === 'q8' ? (u << 24) >> 24 : u - 8;
    out[i] = Math.fround(q * d);
  }
  return out;
}
