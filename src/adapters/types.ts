// What an adapter is, independent of the GPU: a spec plus named f32 tensors.
//
// Symbols as in the papers:
//   x      input of an adapted projection W (shape [K]),  y = W·x + ΔW·x  (W is [N, K])
//   A, B   LoRA down [r, K] and up [N, r] matrices; s the scale (α/r, or α/√r with rsLoRA)
//   z / Z  Zhyper's per-layer, per-module condition vector (diag, r numbers) or square r×r matrix,
//          made by the hypernetwork H(c ‖ e_type ‖ e_layer); ΔW = s·B·diag(z)·A   (or s·B·Z·A)
//   e_d    CUMA's demographic embedding; the router reads [h ⊕ e_d] per token and gives gates g
//          over N experts, of which the top-k are non-zero;  ΔW·x = s·Σ_{i∈top-k} g_i·B_i·A_i·x
//   c      a condition embedding from a ConditionEncoder (Zhyper's c, CUMA's e_d)
//
// Tensors live in one flat map with the names below, so files, training and the GPU upload all agree:
//   layers.{l}.{t}.A        [r, K]         lora, zhyper               (t a Target)
//   layers.{l}.{t}.B        [N, r]         lora, zhyper
//   layers.{l}.{t}.A        [E_A, r, K]    cuma (E_A = 1 with HydraLoRA's shared A, else N experts)
//   layers.{l}.{t}.B        [N_exp, N, r]  cuma
//   layers.{l}.router.W1    [R, H + D_c]   cuma: first router Linear on [h ⊕ e_d] (R = router hidden)
//   layers.{l}.router.b1    [R]
//   layers.{l}.router.W2    [N_exp, R]
//   layers.{l}.router.b2    [N_exp]
//   hyper.*                 zhyper hypernetwork (see zhyper.ts)

export const TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type Target = (typeof TARGETS)[number];

/** Hugging Face module name of each target (PEFT target_modules). */
export const TARGET_MODULE: Record<Target, string> = {
  q: 'self_attn.q_proj',
  k: 'self_attn.k_proj',
  v: 'self_attn.v_proj',
  o: 'self_attn.o_proj',
  gate: 'mlp.gate_proj',
  up: 'mlp.up_proj',
  down: 'mlp.down_proj',
};

export type Method = 'lora' | 'zhyper' | 'cuma';

export interface ZhyperSpec {
  /** 'diag': z has r numbers per module (ΔW = s·B·diag(z)·A); 'square': Z is r×r */
  variant: 'diag' | 'square';
  /** condition embedding width (the encoder's output) */
  condDim: number;
  /** width of the projected condition (64 in the authors' code) */
  projDim: number;
  /** width of the layer-depth and module-type embeddings (32 each) */
  embDim: number;
  /** width of the MLP trunk's hidden layers (512) */
  hidden: number;
  /**
   * the trunk: 'atlas' (Linear → SiLU → Linear mixer and blocks, one Linear out; files written before this
   * field) or 'code' as the authors' code (LayerNorm on the layer and type embeddings, SiLU after every
   * second Linear, an output block LN → Linear → SiLU → Linear(hidden → hidden) → SiLU)
   */
  trunk?: 'atlas' | 'code';
  /** the condition as the encoder gives it ('raw', the default), or normalize(c)·√condDim as the code */
  condScale?: 'raw' | 'sqrt-d';
}

export interface CumaSpec {
  experts: number;
  topK: number;
  /** 'eq4': softmax over the top-k logits (the paper's Eq. 4); 'double': softmax, keep top-k, softmax again (the reference code) */
  gating: 'eq4' | 'double';
  /** HydraLoRA: one A shared by all experts, N B's */
  sharedA: boolean;
  /** semantic-only routing: the router reads h alone (no e_d) */
  semanticOnly: boolean;
  /** router hidden width (256) */
  routerHidden: number;
  /** e_d width (the encoder's output) */
  condDim: number;
}

export interface AdapterSpec {
  method: Method;
  r: number;
  alpha: number;
  /** s = α/√r instead of α/r */
  rsLora: boolean;
  targets: Target[];
  zhyper?: ZhyperSpec;
  cuma?: CumaSpec;
  /** id of the ConditionEncoder the adapter was made with (its c / e_d space) */
  encoderId?: string;
  /**
   * the prompt it was trained on: 'code' is the code recipe's (CUMA's profile sentence as the system prompt
   * and the text embedded for c / e_d, the one-line question, the letter right after the assistant marker;
   * session.ts codePromptIds); absent or 'atlas': ours (multipleChoiceBody, "Answer:")
   */
  prompt?: 'atlas' | 'code';
  /** the backbone it belongs to: a label and a hash of its config (see backboneHash) */
  backbone?: { id: string; configHash: string };
}

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface Adapter {
  spec: AdapterSpec;
  tensors: Map<string, Tensor>;
}

/** LoRA scale s. */
export function loraScale(spec: Pick<AdapterSpec, 'r' | 'alpha' | 'rsLora'>): number {
  return spec.rsLora ? spec.alpha / Math.sqrt(spec.r) : spec.alpha / spec.r;
}

/** The backbone shapes an adapter depends on. */
export interface BackboneDims {
  numLayers: number;
  hiddenSize: number;
  intermediateSize: number;
  /** numHeads × headDim */
  qDim: number;
  /** numKVHeads × headDim */
  kvDim: number;
}

/** [N (out), K (in)] of a target projection. */
export function targetShape(t: Target, d: BackboneDims): [number, number] {
  const H = d.hiddenSize, I = d.intermediateSize;
  switch (t) {
    case 'q': return [d.qDim, H];
    case 'k': return [d.kvDim, H];
    case 'v': return [d.kvDim, H];
    case 'o': return [H, d.qDim];
    case 'gate': return [I, H];
    case 'up': return [I, H];
    case 'down': return [H, I];
  }
}

export function tensorName(layer: number, t: Target | 'router', part: string): string {
  return `layers.${layer}.${t}.${part}`;
}

/** Number of numbers an adapter holds (all of them are trainable). */
export function countParams(a: Adapter): number {
  let n = 0;
  for (const t of a.tensors.values()) n += t.data.length;
  return n;
}
