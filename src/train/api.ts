// What a caller gives the trainer and gets back: one training sequence, the options, one step's result.
import type { LrSchedule } from './optim';

/** One training sequence. */
export interface TrainExample {
  /** the tokens, starting at position 0 (at most the model's maxChunk) */
  ids: number[];
  /** rows t whose NEXT token is scored: the logits after ids[0..t] against targets[i] */
  answerPositions: number[];
  targets: number[];
  /** Zhyper's c or CUMA's e_d: the condition embedding (the encoder's output for this sequence's persona) */
  condition?: Float32Array;
}

export interface TrainOptions {
  /** learning rate: a constant, or a schedule of the 1-based step (warmupCosine in optim.ts) */
  lr: number | LrSchedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** decoupled weight decay on every trained tensor (torch.optim.AdamW's default 0.01) */
  weightDecay?: number;
  /** global gradient-norm clipping (1.0 as in most LoRA recipes); 0 = off */
  maxGradNorm?: number;
  /** label smoothing ε of the cross-entropy (Zhyper's code uses 0.1) */
  labelSmoothing?: number;
  /** CUMA's load balance: 'dense' (Mixtral's form, the default) or 'sparse' (the CUMA code's: f = count/(T·k), P the mean final gate) */
  loadBalanceForm?: 'dense' | 'sparse';
  /** most answer tokens in one sequence (sizes the [rows, V] logits buffer; default 32) */
  maxAnswerTokens?: number;
  /** false: adapted projections run as base + lora_down + lora_up (the unfused path) */
  fused?: boolean;
  /** CUMA: the load-balancing weight λ of λ·Σ_layers N·Σ_i f_i·P_i (0.01 in the authors' code; 0 = off) */
  loadBalance?: number;
  /**
   * true: every layer keeps its activations from the forward for the backward; false: one set of buffers,
   * each layer's forward recomputed from its input before its backward (a third more work, L times less
   * memory). Default: keep them when they take at most KEEP_ACTIVATIONS_BYTES.
   */
  keepActivations?: boolean;
}

/** keepActivations' default limit: every layer's activations at maxChunk tokens */
export const KEEP_ACTIVATIONS_BYTES = 256 * 2 ** 20;

export interface StepResult {
  /** the optimizer step just taken (1-based) */
  step: number;
  /** mean cross-entropy over the batch's answer tokens, before the update */
  loss: number;
  /** CUMA: λ·(the load-balancing loss summed over layers, mean over sequences); 0 otherwise */
  aux: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  lr: number;
  /** answer tokens in the batch */
  tokens: number;
}

/** A step whose loss, gradient norm or learning rate is NaN or infinite: nothing was updated. */
export class NonFiniteStepError extends Error {
  override name = 'NonFiniteStepError';
}
