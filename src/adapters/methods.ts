// The methods, named once: the catalogue every view, the runner, the CLI and the kernels read.
//   id         the experiments' name (results files, `--methods`, Table 1's rows)
//   preset     the app's name for the same adapter (share links and saved scenes carry it, so it stays:
//              'zhyper' is Zhyper diag); null for persona prompting, which trains nothing
//   name       Table 1's label;  label: the adapter picker's
//   condition  whether it reads a condition vector (Zhyper's c, CUMA's e_d) besides the prompt
//   kernel     how its adapted projections run (LORA_MODE, src/gpu/kernels.ts)
//   startSpec  the adapter it starts from (create.ts defaultSpec of its preset)
import type { LORA_MODE } from '../gpu/kernels';
import { defaultSpec } from './create';
import type { AdapterSpec } from './types';

export const METHOD_IDS = ['persona-prompting', 'lora', 'zhyper-diag', 'zhyper-square', 'cuma-semantic', 'cuma', 'cuma-soft'] as const;
export type MethodId = (typeof METHOD_IDS)[number];
export type MethodPreset = 'lora' | 'zhyper' | 'zhyper-square' | 'cuma' | 'cuma-soft' | 'cuma-semantic';

export interface MethodInfo {
  id: MethodId;
  preset: MethodPreset | null;
  name: string;
  label: string;
  condition: boolean;
  kernel: keyof typeof LORA_MODE | null;
}

export const CATALOGUE: Record<MethodId, MethodInfo> = {
  'persona-prompting': { id: 'persona-prompting', preset: null, name: 'Persona prompting', label: 'Persona prompting (no adapter)', condition: false, kernel: null },
  lora: { id: 'lora', preset: 'lora', name: 'LoRA (dense)', label: 'Dense LoRA (no condition)', condition: false, kernel: 'plain' },
  'zhyper-diag': { id: 'zhyper-diag', preset: 'zhyper', name: 'Zhyper (diag)', label: 'Zhyper diag (z ∈ ℝʳ)', condition: true, kernel: 'zDiag' },
  'zhyper-square': { id: 'zhyper-square', preset: 'zhyper-square', name: 'Zhyper (square)', label: 'Zhyper square (Z ∈ ℝʳˣʳ)', condition: true, kernel: 'zSquare' },
  'cuma-semantic': { id: 'cuma-semantic', preset: 'cuma-semantic', name: 'Semantic-only MoE', label: 'CUMA semantic-only router (no e_d)', condition: false, kernel: 'gatedExperts' },
  cuma: { id: 'cuma', preset: 'cuma', name: 'CUMA (top-2 of 8)', label: 'CUMA top-2 of 8 experts', condition: true, kernel: 'gatedExperts' },
  'cuma-soft': { id: 'cuma-soft', preset: 'cuma-soft', name: 'CUMA soft routing', label: 'CUMA soft routing (k = N)', condition: true, kernel: 'gatedExperts' },
};

/** The presets the adapter picker offers, in the catalogue's order. */
export const PRESETS: MethodPreset[] = METHOD_IDS.map((m) => CATALOGUE[m].preset).filter((p): p is MethodPreset => p !== null);

/** The method an app preset names. */
export function methodOfPreset(p: MethodPreset): MethodId {
  return METHOD_IDS.find((m) => CATALOGUE[m].preset === p)!;
}

/** The adapter a method starts from (null: persona prompting trains nothing). */
export function startSpec(m: MethodId, condDim: number): AdapterSpec | null {
  const p = CATALOGUE[m].preset;
  return p ? defaultSpec(p, condDim) : null;
}
