// Reading a checkpoint (single-file or sharded safetensors) into GPU buffers, with every tensor checked by
// name and shape against the config before anything is uploaded, and every value checked finite on the way.
// The weight matrices are stored in f16 (2 bytes, packed in u32 pairs; the default), f32, or group-wise 8- or 4-bit
// integers (quant.ts); norms and biases, a few KiB, stay f32. BF16 and F32 checkpoints are converted on load (f16.ts
// rounds to nearest even).
import type { ModelConfig } from './config';
import { FLOAT_DTYPES, parseSafetensors, tensorToF32, SafetensorsError, type SafetensorsFile, type TensorInfo } from './safetensors';
import type { ModelFiles, Progress } from './sources';
import { GPULimitError } from '../gpu/device';
import { storage } from '../gpu/buffers';
import type { WeightDtype } from '../gpu/kernels';
import { NonFiniteError, packF16 } from './f16';
import { QK, quantBytes, quantize } from './quant';

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** A [rows, cols] matrix, split into row chunks when one binding cannot hold it (embeddings, lm_head). */
export interface Matrix {
  rows: number;
  cols: number;
  /** how this matrix is stored (tableDtype of the model's choice) */
  dtype: WeightDtype;
  chunks: { rowStart: number; rowCount: number; buf: GPUBuffer }[];
}

export interface LayerWeights {
  /** how the matrices (Wqkv, Wo, Wgate, Wup, Wdown) are stored; norms and biases are f32 */
  dtype: WeightDtype;
  inputNorm: GPUBuffer;
  /** q, k, v projections stacked into one [qDim + 2·kvDim, H] matrix: one matmul instead of three */
  Wqkv: GPUBuffer;
  bqkv: GPUBuffer | undefined;
  /** Qwen3 q_norm then k_norm, [2, headDim] */
  qkNorm: GPUBuffer | undefined;
  Wo: GPUBuffer;
  bo: GPUBuffer | undefined;
  postNorm: GPUBuffer;
  Wgate: GPUBuffer;
  Wup: GPUBuffer;
  Wdown: GPUBuffer;
}

export interface Weights {
  /** the dtype the model was loaded in: its layers' matrices; embed and lmHead say their own (tableDtype) */
  dtype: WeightDtype;
  embed: Matrix;
  layers: LayerWeights[];
  finalNorm: GPUBuffer;
  lmHead: Matrix;
  numParams: number;
  gpuBytes: number;
}

/** Every tensor the config implies, with its expected shape. */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hiddenSize, D = c.headDim, q = c.numHeads * D, kv = c.numKVHeads * D, I = c.intermediateSize;
  m.set('model.embed_tokens.weight', [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(p + 'input_layernorm.weight', [H]);
    m.set(p + 'self_attn.q_proj.weight', [q, H]);
    m.set(p + 'self_attn.k_proj.weight', [kv, H]);
    m.set(p + 'self_attn.v_proj.weight', [kv, H]);
    if (c.attentionBias) {
      m.set(p + 'self_attn.q_proj.bias', [q]);
      m.set(p + 'self_attn.k_proj.bias', [kv]);
      m.set(p + 'self_attn.v_proj.bias', [kv]);
    }
    if (c.qkNorm) {
      m.set(p + 'self_attn.q_norm.weight', [D]);
      m.set(p + 'self_attn.k_norm.weight', [D]);
    }
    m.set(p + 'self_attn.o_proj.weight', [H, q]);
    if (c.oProjBias) m.set(p + 'self_attn.o_proj.bias', [H]);
    m.set(p + 'post_attention_layernorm.weight', [H]);
    m.set(p + 'mlp.gate_proj.weight', [I, H]);
    m.set(p + 'mlp.up_proj.weight', [I, H]);
    m.set(p + 'mlp.down_proj.weight', [H, I]);
  }
  m.set('model.norm.weight', [H]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, H]);
  return m;
}

export async function readCheckpoint(
  files: ModelFiles,
  onProgress?: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<Map<string, { file: SafetensorsFile; info: TensorInfo }>> {
  let names = ['model.safetensors'];
  if (await files.has('model.safetensors.index.json')) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await files.readText('model.safetensors.index.json'));
    } catch (e) {
      throw new WeightsError(`model.safetensors.index.json is not valid JSON (${(e as Error).message})`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') throw new WeightsError('model.safetensors.index.json has no weight_map');
    names = [...new Set(Object.values(index.weight_map))];
  }
  const all = new Map<string, { file: SafetensorsFile; info: TensorInfo }>();
  for (const name of names) {
    const bytes = await files.readBytes(name, onProgress, signal);
    const f = parseSafetensors(bytes, name);
    for (const [t, info] of f.tensors) all.set(t, { file: f, info });
  }
  return all;
}

function mib(n: number) {
  return n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * The dtype of the token table and lm_head: one step finer than the layers under q4 (q8), as llama.cpp keeps its
 * output tensor finer. Every logit is a dot product with one of its rows: on the embedded default the 4-bit table
 * alone moved the logits by 0.71 of q4's 0.84 (the 4-bit layers alone 0.04), and q4 with this table moves them 0.09.
 */
export function tableDtype(dtype: WeightDtype): WeightDtype {
  return dtype === 'q4' ? 'q8' : dtype;
}

/** GPU bytes that n weights of a matrix take when stored as dtype (with f16's and the blocks' padding) */
export function weightBytes(n: number, dtype: WeightDtype): number {
  return dtype === 'f32' ? 4 * n : dtype === 'f16' ? 8 * Math.ceil(n / 4) : quantBytes(n, dtype);
}

/**
 * Refuse before any download a model with a tensor that one storage binding cannot hold and that we do
 * not split (layer weights; embeddings and lm_head are split into row chunks), and report the f32 size.
 */
export function checkFitsAdapter(c: ModelConfig, maxBinding: number, dtype: WeightDtype = 'f16'): { bytes: number } {
  const H = c.hiddenSize, D = c.headDim, I = c.intermediateSize;
  const w = (n: number) => weightBytes(n, dtype);
  const qkv = w((c.numHeads + 2 * c.numKVHeads) * D * H);
  const largest = Math.max(qkv, w(I * H), w(c.numHeads * D * H));
  const perLayer = qkv + w(c.numHeads * D * H) + 3 * w(I * H) + 2 * H * 4;
  const bytes = c.numLayers * perLayer + weightBytes(c.vocabSize * H, tableDtype(dtype)) * (c.tieWordEmbeddings ? 1 : 2);
  if (largest > maxBinding) {
    throw new GPULimitError(
      `a layer weight of this model is ${mib(largest)} in ${dtype}, more than this adapter's largest storage binding (${mib(maxBinding)}): the model is too large for this adapter (it needs about ${mib(bytes)} of GPU memory in all)`,
    );
  }
  return { bytes };
}

/** Every tensor the config needs is there with the right shape (before anything touches the GPU). */
export function checkCheckpoint(c: ModelConfig, ckpt: Map<string, { file: SafetensorsFile; info: TensorInfo }>): void {
  for (const [name, shape] of expectedTensors(c)) {
    const t = ckpt.get(name);
    if (!t) throw new WeightsError(`tensor "${name}" is missing from the checkpoint (config says ${c.architecture} with ${c.numLayers} layers)`);
    if (!FLOAT_DTYPES.includes(t.info.dtype)) {
      throw new WeightsError(`${t.file.file}: tensor "${name}" has dtype "${t.info.dtype}"; supported dtypes are F32, F16 and BF16`);
    }
    if (t.info.shape.join(',') !== shape.join(',')) {
      throw new WeightsError(`tensor "${name}" has shape [${t.info.shape}] but config.json implies [${shape}]`);
    }
  }
}

/**
 * Check names and shapes, then upload. Tensors are decoded one at a time to bound CPU memory. checkValues runs
 * first (the runtime calls it before letting the loaded model go).
 */
/** The raw bits of a tensor's elements: u32 for F32, u16 for F16 and BF16 (copied when the file leaves them unaligned). */
function rawBits(file: SafetensorsFile, info: TensorInfo): Uint32Array | Uint16Array {
  const size = info.dtype === 'F32' ? 4 : 2;
  const at = file.bytes.byteOffset + info.begin;
  const n = (info.end - info.begin) / size;
  const buf = at % size ? file.bytes.slice(info.begin, info.end).buffer : file.bytes.buffer;
  const off = at % size ? 0 : at;
  return size === 4 ? new Uint32Array(buf, off, n) : new Uint16Array(buf, off, n);
}

/**
 * Every value the model will read is finite, and, for f16 weights, inside f16's range: checked on the raw bits
 * (no decode), before anything is uploaded, so a corrupt file is refused by name while the loaded model stays.
 * NaN or an infinity in a weight makes generation run on garbage; a value past ±65504 would become inf in f16.
 */
export function checkValues(c: ModelConfig, ckpt: Map<string, { file: SafetensorsFile; info: TensorInfo }>, dtype: WeightDtype = 'f16'): void {
  const matrices = new Set(['q_proj.weight', 'k_proj.weight', 'v_proj.weight', 'o_proj.weight', 'gate_proj.weight', 'up_proj.weight', 'down_proj.weight', 'embed_tokens.weight', 'lm_head.weight']);
  for (const name of expectedTensors(c).keys()) {
    const { file, info } = ckpt.get(name)!;
    const bits = rawBits(file, info);
    // exponent all ones: inf or NaN; |x| ≥ 65520 rounds to inf in f16 (f32 bits 0x477ff000, bf16 0x4780 rounds there too)
    const f16 = dtype === 'f16' && matrices.has(name.split('.').slice(-2).join('.'));
    const [expMask, big] = info.dtype === 'F32' ? [0x7f800000, 0x477ff000] : info.dtype === 'BF16' ? [0x7f80, 0x4780] : [0x7c00, Infinity];
    const abs = info.dtype === 'F32' ? 0x7fffffff : 0x7fff;
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      const nonFinite = (b & expMask) === expMask;
      if (!nonFinite && !(f16 && (b & abs) >= big)) continue;
      const x = info.dtype === 'F32' ? new Float32Array(new Uint32Array([b]).buffer)[0] : info.dtype === 'BF16' ? new Float32Array(new Uint32Array([b << 16]).buffer)[0] : b & 0x3ff ? NaN : b & 0x8000 ? -Infinity : Infinity;
      const cols = info.shape.length === 2 ? info.shape[1] : 0;
      const at = cols ? `[${Math.floor(i / cols)}, ${i % cols}]` : `[${i}]`;
      if (nonFinite) throw new WeightsError(`${file.file}: tensor "${name}" holds ${x} at ${at}: the checkpoint is corrupt (a model with NaN or infinite weights generates garbage)`);
      throw new WeightsError(`${file.file}: tensor "${name}" holds ${x} at ${at}, beyond f16's range (±65504): load the model with f32 weights (--weights f32)`);
    }
  }
}

export function uploadWeights(
  device: GPUDevice,
  c: ModelConfig,
  ckpt: Map<string, { file: SafetensorsFile; info: TensorInfo }>,
  /** pretend the adapter's binding limit is this small (tests of the split and refuse paths) */
  maxBindingBytes?: number,
  dtype: WeightDtype = 'f16',
): Weights {
  checkCheckpoint(c, ckpt);
  const want = expectedTensors(c);
  const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, maxBindingBytes ?? Infinity);
  let gpuBytes = 0;
  let numParams = 0;
  const f32 = (name: string) => {
    const t = ckpt.get(name)!;
    return tensorToF32(t.file, t.info);
  };
  const upload = (data: Float32Array | Uint32Array, label: string) => {
    if (data.byteLength > maxBinding) {
      throw new GPULimitError(`${label} is ${mib(data.byteLength)}, more than this adapter's largest storage binding (${mib(maxBinding)}): the model is too large for this adapter`);
    }
    gpuBytes += data.byteLength;
    return storage(device, data, label);
  };
  /** a weight matrix in the chosen dtype */
  const weight = (data: Float32Array, label: string, as: WeightDtype = dtype) => {
    if (as === 'f32') return upload(data, label);
    try {
      return upload(as === 'f16' ? packF16(data, label) : quantize(data, as, label), label);
    } catch (e) {
      throw e instanceof NonFiniteError ? new WeightsError(e.message) : e;
    }
  };
  const one = (name: string) => {
    const d = f32(name);
    numParams += d.length;
    return upload(d, name);
  };
  const matrixOf = (name: string) => {
    const d = f32(name);
    numParams += d.length;
    return weight(d, name);
  };
  const matrix = (name: string, count: boolean): Matrix => {
    const [rows, cols] = want.get(name)!;
    const data = f32(name);
    const as = tableDtype(dtype);
    if (count) numParams += data.length;
    // Chunks also stay under maxBufferSize and 256 MiB: one huge mapped-at-creation buffer can fail in a browser.
    const chunkBytes = Math.min(maxBinding, device.limits.maxBufferSize, 256 * 2 ** 20);
    // f16 chunks are padded to 4 elements (packF16), quantised ones to a block: keep a chunk's padded size under the limit too
    const perWeight = weightBytes(QK, as) / QK;
    const rowsPerChunk = Math.max(1, Math.floor((chunkBytes - (as === 'f32' || as === 'f16' ? 8 : weightBytes(QK, as))) / (cols * perWeight)));
    const chunks: Matrix['chunks'] = [];
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - r);
      chunks.push({ rowStart: r, rowCount: n, buf: weight(data.subarray(r * cols, (r + n) * cols), `${name}[${r}:${r + n}]`, as) });
    }
    return { rows, cols, dtype: as, chunks };
  };
  const cat = (names: string[]) => {
    const parts = names.map(f32);
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    numParams += out.length;
    return out;
  };

  const embed = matrix('model.embed_tokens.weight', true);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    const a = p + 'self_attn.';
    layers.push({
      dtype,
      inputNorm: one(p + 'input_layernorm.weight'),
      Wqkv: weight(cat([a + 'q_proj.weight', a + 'k_proj.weight', a + 'v_proj.weight']), a + 'qkv'),
      bqkv: c.attentionBias ? upload(cat([a + 'q_proj.bias', a + 'k_proj.bias', a + 'v_proj.bias']), a + 'qkv.bias') : undefined,
      qkNorm: c.qkNorm ? upload(cat([a + 'q_norm.weight', a + 'k_norm.weight']), a + 'qk_norm') : undefined,
      Wo: matrixOf(a + 'o_proj.weight'),
      bo: c.oProjBias ? one(a + 'o_proj.bias') : undefined,
      postNorm: one(p + 'post_attention_layernorm.weight'),
      Wgate: matrixOf(p + 'mlp.gate_proj.weight'),
      Wup: matrixOf(p + 'mlp.up_proj.weight'),
      Wdown: matrixOf(p + 'mlp.down_proj.weight'),
    });
  }
  const finalNorm = one('model.norm.weight');
  const lmHead = c.tieWordEmbeddings ? embed : matrix('lm_head.weight', true);
  return { dtype, embed, layers, finalNorm, lmHead, numParams, gpuBytes };
}

export { SafetensorsError };
