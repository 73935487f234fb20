// Export one condition's adapter as a plain LoRA in Hugging Face PEFT layout, so that
// `PeftModel.from_pretrained(base, dir)` in Python reproduces it without our code.
//
// Every method is materialized into factors A' [r', K], B' [N, r'] with ΔW = s·B'·A':
//   lora    A' = A, B' = B
//   zhyper  A' = diag(z)·A (z of length r) or Z·A (z of length r², row-major Z[i][j]), B' = B
//   cuma    r' = r·experts; rows i·r..(i+1)·r of A' are A_i (A_0 when A is shared), and
//           columns i·r..(i+1)·r of B' are ḡ_i·B_i, with ḡ the condition's mean gates.
// The CUMA export is NOT exact: the real router picks gates per token from [h ⊕ e_d]; a static LoRA
// can only carry their average over some prompt(s), i.e. the routed update averaged over tokens.

import { writeSafetensors } from '../model/safetensors';
import { adapterNumLayers } from './files';
import { loraScale, TARGET_MODULE, tensorName, type Adapter, type Target } from './types';

export interface PeftExportOptions {
  /** Hugging Face id (or path) of the base model, written to adapter_config.json */
  baseModelId: string;
  /** Zhyper: the condition's z (length r) or Z (length r², row-major) for one layer and target */
  zOf?: (layer: number, t: Target) => Float32Array;
  /** CUMA: the condition's mean gate vector ḡ (length experts) for one layer */
  meanGates?: (layer: number) => Float32Array;
}

export interface PeftFiles {
  'adapter_config.json': string;
  'adapter_model.safetensors': Uint8Array;
}

/** Materialized LoRA factors of one module: ΔW = scale·B·A. */
export interface LoraFactors {
  /** [rank, K] row-major */
  A: Float32Array;
  /** [N, rank] row-major */
  B: Float32Array;
  rank: number;
  K: number;
  N: number;
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`adapter is missing tensor ${what}`);
  return x;
}

/** A', B' of one layer and target for the condition given by opts (see the file header). */
export function materializeFactors(a: Adapter, layer: number, t: Target, opts: Omit<PeftExportOptions, 'baseModelId'> = {}): LoraFactors {
  const { spec } = a;
  const r = spec.r;
  const At = need(a.tensors.get(tensorName(layer, t, 'A')), tensorName(layer, t, 'A'));
  const Bt = need(a.tensors.get(tensorName(layer, t, 'B')), tensorName(layer, t, 'B'));
  if (spec.method === 'lora') {
    const [, K] = At.shape;
    const [N] = Bt.shape;
    return { A: At.data.slice(), B: Bt.data.slice(), rank: r, K, N };
  }
  if (spec.method === 'zhyper') {
    if (!opts.zOf) throw new Error('exporting a Zhyper adapter needs zOf: the condition\'s z for each layer and target');
    const [, K] = At.shape;
    const [N] = Bt.shape;
    const z = opts.zOf(layer, t);
    const A = new Float32Array(r * K);
    if (z.length === r) {
      for (let i = 0; i < r; i++) for (let k = 0; k < K; k++) A[i * K + k] = z[i] * At.data[i * K + k];
    } else if (z.length === r * r) {
      // Z·A in f64 so the export is as exact as the f32 inputs allow
      const row = new Float64Array(K);
      for (let i = 0; i < r; i++) {
        row.fill(0);
        for (let j = 0; j < r; j++) {
          const zij = z[i * r + j];
          if (zij === 0) continue;
          for (let k = 0; k < K; k++) row[k] += zij * At.data[j * K + k];
        }
        A.set(row, i * K);
      }
    } else {
      throw new Error(`zOf(${layer}, ${t}) gave ${z.length} numbers; a rank-${r} Zhyper adapter needs ${r} (diag) or ${r * r} (square)`);
    }
    return { A, B: Bt.data.slice(), rank: r, K, N };
  }
  const c = spec.cuma!;
  if (!opts.meanGates) throw new Error('exporting a CUMA adapter needs meanGates: the condition\'s mean gate vector for each layer');
  const g = opts.meanGates(layer);
  if (g.length !== c.experts) throw new Error(`meanGates(${layer}) gave ${g.length} numbers; the adapter has ${c.experts} experts`);
  const [, , K] = At.shape;
  const [, N] = Bt.shape;
  const E = c.experts;
  const R = r * E;
  const A = new Float32Array(R * K);
  const B = new Float32Array(N * R);
  for (let i = 0; i < E; i++) {
    const src = c.sharedA ? 0 : i;
    A.set(At.data.subarray(src * r * K, (src + 1) * r * K), i * r * K);
    const Bi = Bt.data.subarray(i * N * r, (i + 1) * N * r);
    for (let n = 0; n < N; n++) for (let j = 0; j < r; j++) B[n * R + i * r + j] = g[i] * Bi[n * r + j];
  }
  return { A, B, rank: R, K, N };
}

/** ΔW [N, K] (row-major) = s·B'·A' for one layer and target. */
export function materializeDelta(a: Adapter, layer: number, t: Target, opts: Omit<PeftExportOptions, 'baseModelId'> = {}): Float32Array {
  const f = materializeFactors(a, layer, t, opts);
  const s = loraScale(a.spec);
  const out = new Float32Array(f.N * f.K);
  const acc = new Float64Array(f.K);
  for (let n = 0; n < f.N; n++) {
    acc.fill(0);
    for (let j = 0; j < f.rank; j++) {
      const b = f.B[n * f.rank + j];
      if (b === 0) continue;
      const off = j * f.K;
      for (let k = 0; k < f.K; k++) acc[k] += b * f.A[off + k];
    }
    for (let k = 0; k < f.K; k++) out[n * f.K + k] = s * acc[k];
  }
  return out;
}

const peftModule = (t: Target) => TARGET_MODULE[t].split('.').pop() as string;

export function exportPeft(a: Adapter, opts: PeftExportOptions): PeftFiles {
  const { spec } = a;
  const layers = adapterNumLayers(a);
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let rank = spec.r;
  for (let l = 0; l < layers; l++) {
    for (const t of spec.targets) {
      const f = materializeFactors(a, l, t, opts);
      rank = f.rank;
      const prefix = `base_model.model.model.layers.${l}.${TARGET_MODULE[t]}`;
      tensors[`${prefix}.lora_A.weight`] = { shape: [f.rank, f.K], data: f.A };
      tensors[`${prefix}.lora_B.weight`] = { shape: [f.N, f.rank], data: f.B };
    }
  }
  // PEFT scales by lora_alpha / r (use_rslora off), so pick lora_alpha to land exactly on our s
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: opts.baseModelId,
    r: rank,
    lora_alpha: loraScale(spec) * rank,
    use_rslora: false,
    target_modules: spec.targets.map(peftModule),
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    use_dora: false,
  };
  return {
    'adapter_config.json': JSON.stringify(config, null, 2),
    'adapter_model.safetensors': writeSafetensorsF32(tensors, spec.method),
  };
}

function writeSafetensorsF32(tensors: Record<string, { shape: number[]; data: Float32Array }>, method: string): Uint8Array {
  // "format": "pt" is what PEFT's own save_pretrained writes; exported_from is informational
  return writeSafetensors(tensors, { format: 'pt', exported_from: `adapter-atlas ${method}` });
}
