// The matrices the LoRA chapter approximates: a block of a real weight of the embedded model, or a
// picture drawn from a formula (so it is the same on every machine, with no canvas and no fonts).
import { parseSafetensors, tensorToF32 } from '../model/safetensors';

export const BLOCK = 64;

/** A 64×64 picture (a face in a frame), values in [0, 1]: a little structure and a few sharp edges. */
export function picture(n = BLOCK): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      const y = (i + 0.5) / n - 0.5;
      const x = (j + 0.5) / n - 0.5;
      const r = Math.hypot(x, y);
      let v = 0.15 + 0.2 * (x + 0.5); // a soft horizontal gradient
      if (Math.abs(r - 0.36) < 0.035) v = 1; // the face's outline
      if (Math.hypot(x + 0.13, y + 0.1) < 0.05 || Math.hypot(x - 0.13, y + 0.1) < 0.05) v = 1; // eyes
      if (Math.abs(Math.hypot(x, y + 0.02) - 0.2) < 0.025 && y > 0.06) v = 1; // smile
      if (Math.abs(x) > 0.47 || Math.abs(y) > 0.47) v = 0.85; // frame
      return v;
    }),
  );
}

export const WEIGHT_NAME = 'model.layers.0.self_attn.q_proj.weight';

/** The top-left 64×64 block of layer 0's q_proj in the embedded default (its safetensors file, parsed here). */
export async function modelWeightBlock(baseUrl: string, name = WEIGHT_NAME, n = BLOCK): Promise<number[][]> {
  const res = await fetch(`${baseUrl}models/default/model.safetensors`);
  if (!res.ok) throw new Error(`the embedded model's weights could not be read (HTTP ${res.status})`);
  const f = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
  const info = f.tensors.get(name);
  if (!info || info.shape.length !== 2) throw new Error(`the embedded model has no 2-D tensor ${name}`);
  const x = tensorToF32(f, info);
  const cols = info.shape[1];
  const rows = Math.min(n, info.shape[0]);
  const k = Math.min(n, cols);
  return Array.from({ length: rows }, (_, i) => Array.from({ length: k }, (_, j) => x[i * cols + j]));
}
