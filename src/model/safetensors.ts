// A small safetensors reader and writer (no maintained npm one exists).
// Layout: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}},
// then the raw little-endian row-major bytes; offsets are relative to 8 + N.
import { f16Bits, f16Value } from './f16';

/** The dtypes we decode; a checkpoint may hold others (masks, int buffers) in tensors the model never reads. */
export type DType = 'F32' | 'F16' | 'BF16';
const BYTES: Record<string, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};
export const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16'];

export interface TensorInfo {
  name: string;
  /** any safetensors dtype; only F32, F16 and BF16 can be decoded */
  dtype: string;
  shape: number[];
  /** absolute byte offsets into the file */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsFile {
  file: string;
  bytes: Uint8Array;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

export function parseSafetensors(buf: ArrayBuffer | Uint8Array, file = 'model.safetensors'): SafetensorsFile {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (bytes.byteLength < 8) throw new SafetensorsError(file, `file is ${bytes.byteLength} bytes, too short to hold a header (truncated download?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.byteLength) {
    throw new SafetensorsError(file, `header length ${n} runs past the end of the ${bytes.byteLength}-byte file (truncated or not a safetensors file)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(file, 'header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      // the format requires a string → string map; anything else is a corrupt or hand-edited header
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(file, `__metadata__ must be an object of strings, got ${JSON.stringify(raw)}`);
      for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__ "${k}" is ${JSON.stringify(v)}, not a string (the safetensors format allows only strings there)`);
      metadata = raw as Record<string, string>;
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError(file, `tensor "${name}" has an entry ${JSON.stringify(raw)}, not {dtype, shape, data_offsets}`);
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t.dtype !== 'string' || !(t.dtype in BYTES)) {
      throw new SafetensorsError(file, `tensor "${name}" has unknown dtype ${JSON.stringify(t.dtype)}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor "${name}" has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new SafetensorsError(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [b, e] = off as [number, number];
    const numel = (t.shape as number[]).reduce((a, d) => a * d, 1);
    const want = numel * BYTES[t.dtype];
    if (e < b || e - b !== want) {
      throw new SafetensorsError(file, `tensor "${name}" (${t.dtype} ${JSON.stringify(t.shape)}) needs ${want} bytes but data_offsets [${b}, ${e}] give ${e - b}`);
    }
    if (e > dataLen) {
      throw new SafetensorsError(file, `tensor "${name}" ends at byte ${e} of the data section, past its end at ${dataLen} (truncated file or lying header)`);
    }
    tensors.set(name, { name, dtype: t.dtype, shape: t.shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  // the format packs tensors without overlaps: two tensors sharing bytes is a corrupt header
  const spans = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end) throw new SafetensorsError(file, `tensors "${spans[i - 1].name}" and "${spans[i].name}" overlap in the data section (corrupt header)`);
  }
  return { file, bytes, tensors, metadata };
}

/** Decode a tensor to f32 (BF16 and F16 are widened exactly). */
export function tensorToF32(f: SafetensorsFile, info: TensorInfo): Float32Array {
  if (!FLOAT_DTYPES.includes(info.dtype)) {
    throw new SafetensorsError(f.file, `tensor "${info.name}" has dtype "${info.dtype}"; supported dtypes are F32, F16 and BF16`);
  }
  const n = (info.end - info.begin) / BYTES[info.dtype];
  const out = new Float32Array(n);
  const src = f.bytes;
  const base = info.begin;
  if (info.dtype === 'F32') {
    new Uint8Array(out.buffer).set(src.subarray(base, info.end));
  } else if (info.dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = (src[base + 2 * i] | (src[base + 2 * i + 1] << 8)) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = f16Value(src[base + 2 * i] | (src[base + 2 * i + 1] << 8));
  }
  return out;
}

export interface WriteTensor {
  shape: number[];
  /** F64 tensors (a checkpoint's optimizer moments) take a Float64Array, written exactly */
  data: Float32Array | Float64Array;
  dtype?: DType | 'F64';
}

/** Decode an F64 tensor exactly (training checkpoints keep the CPU optimizer's f64 moments). */
export function tensorToF64(f: SafetensorsFile, info: TensorInfo): Float64Array {
  if (info.dtype !== 'F64') throw new SafetensorsError(f.file, `tensor "${info.name}" has dtype "${info.dtype}", not F64`);
  return new Float64Array(f.bytes.slice(info.begin, info.end).buffer);
}

function f32ToBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}

/** Serialize tensors (in insertion order) to a safetensors file. */
export function writeSafetensors(tensors: Record<string, WriteTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const dtype = t.dtype ?? 'F32';
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) throw new Error(`writeSafetensors: ${name} shape ${t.shape} has ${numel} elements, data has ${t.data.length}`);
    const len = numel * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' '; // keep data 8-byte aligned, as the reference writer does
  const hdr = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hdr.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hdr.length), true);
  out.set(hdr, 8);
  let p = 8 + hdr.length;
  for (const [, t] of entries) {
    const dtype = t.dtype ?? 'F32';
    if (dtype === 'F32' || dtype === 'F64') {
      const typed = dtype === 'F32' ? (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)) : t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
      out.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), p);
      p += typed.byteLength;
    } else if (dtype === 'BF16') {
      for (let i = 0; i < t.data.length; i++, p += 2) {
        const h = f32ToBf16(t.data[i]);
        out[p] = h & 0xff;
        out[p + 1] = h >> 8;
      }
    } else {
      for (let i = 0; i < t.data.length; i++, p += 2) {
        const h = f16Bits(t.data[i]);
        out[p] = h & 0xff;
        out[p + 1] = h >> 8;
      }
    }
  }
  return out;
}

