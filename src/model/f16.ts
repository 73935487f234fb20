// IEEE binary16 on the CPU: the conversion that stores a checkpoint's weights as f16 on the GPU (weights.ts).
// Rounding is to nearest, ties to even, like the hardware's.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bits nearest to x: subnormals kept, |x| past 65504 (after rounding) becomes ±inf, NaN stays NaN. */
export function f16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // a subnormal f16 is m·2^-24: shift the full 24-bit significand right by 14 - e, rounding the bits shifted out
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    const kept = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (kept + (rest > half || (rest === half && kept & 1) ? 1 : 0));
  }
  const h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // a carry out of the mantissa bumps the exponent, and out of the largest finite value gives inf: both right
  return sign | (h + (rest > 0x1000 || (rest === 0x1000 && h & 1) ? 1 : 0));
}

const table = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** The value of f16 bits h. */
export function f16Value(h: number): number {
  return table[h & 0xffff];
}

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/**
 * x as f16, packed two to a u32 (element 2i in the low half, as unpack2x16float reads it), zero-padded to a
 * multiple of 4 elements so a vec4 read of the last row stays inside the buffer. Refuses a value that only
 * f32 holds: past f16's range (it would become inf), naming the tensor and the way out.
 */
export function packF16(x: Float32Array, what: string): Uint32Array {
  const out = new Uint32Array(Math.ceil(x.length / 4) * 2);
  const h = new Uint16Array(out.buffer);
  for (let i = 0; i < x.length; i++) {
    const b = f16Bits(x[i]);
    if ((b & 0x7c00) === 0x7c00 && Number.isFinite(x[i])) {
      throw new NonFiniteError(`${what} holds ${x[i]} at index ${i}, beyond f16's range (±65504): load the model with f32 weights (--weights f32)`);
    }
    h[i] = b;
  }
  return out;
}
