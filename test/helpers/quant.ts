// Test models whose weights are what a quantised load stores (src/model/quant.ts), for references that must read
// exactly the values the q8 / q4 kernels compute with.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, tensorToF32, writeSafetensors, type WriteTensor } from '../../src/model/safetensors';
import { dequantize, quantize, type QuantDtype } from '../../src/model/quant';
import { tableDtype } from '../../src/model/weights';

/**
 * A copy of a fixture whose weight matrices hold the values q8 or q4 stores for them (q|k|v quantised together, as
 * the loader stacks them; the token table and lm_head in tableDtype), written as F32: the reference then reads exactly
 * what the quantised model computes with.
 */
export function dequantisedCopy(src: string, name: string, dtype: QuantDtype): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'atlas-q-')), name);
  cpSync(src, dir, { recursive: true });
  const f = parseSafetensors(readFileSync(join(dir, 'model.safetensors')));
  const t: Record<string, WriteTensor> = {};
  for (const [n, info] of f.tensors) t[n] = { shape: info.shape, data: tensorToF32(f, info) };
  const round = (x: Float32Array, as: QuantDtype = dtype) => dequantize(quantize(x, as, 'test'), x.length, as);
  const table = tableDtype(dtype) as QuantDtype;
  for (const n of Object.keys(t)) {
    if (t[n].shape.length !== 2 || /\.(q|k|v)_proj\.weight$/.test(n)) continue;
    t[n].data = round(t[n].data as Float32Array, /embed_tokens|lm_head/.test(n) ? table : dtype);
  }
  for (let l = 0; t[`model.layers.${l}.self_attn.q_proj.weight`]; l++) {
    const parts = ['q', 'k', 'v'].map((x) => t[`model.layers.${l}.self_attn.${x}_proj.weight`]);
    const all = round(Float32Array.from(parts.flatMap((p) => Array.from(p.data as Float32Array))));
    let o = 0;
    for (const p of parts) {
      const n = (p.data as Float32Array).length;
      p.data = all.slice(o, o + n);
      o += n;
    }
  }
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
  return dir;
}

