// The runtime's public surface: what the worker exposes to the page and the CLI calls directly.
import type { AdapterInfo } from '../gpu/device';
import type { KernelVariants } from '../gpu/variants';
import type { WeightDtype } from '../gpu/kernels';
import type { WeightFormat } from '../gpu/shaders';

export interface LoadProgress {
  phase: 'download' | 'upload' | 'tokenizer' | 'ready';
  file: string;
  loaded: number;
  total: number;
}

export interface ModelSummary {
  label: string;
  architecture: string;
  numParams: number;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  /** tokenizer_config has a chat template (instruct model) */
  hasChatTemplate: boolean;
  gpuBytes: number;
  /** how the weight matrices are stored (f16 by default) and read on this device (f16 through shader-f16, or unpacked) */
  weights: WeightDtype;
  weightFormat: WeightFormat;
}

/**
 * The ways a model's weight matrices can be stored on the GPU, as a user picks them (the Model view, the CLI's
 * --weights). The figures are measured on the embedded default (README, Supported models).
 */
export const WEIGHT_CHOICES: readonly { id: WeightDtype; label: string; memory: string; detail: string }[] = [
  { id: 'f16', label: 'f16', memory: 'half the memory of f32', detail: 'the same answers as f32 (the default)' },
  { id: 'q8', label: '8-bit', memory: '0.28× the memory of f32', detail: 'a scale per 32 weights; logits move by about 0.06' },
  { id: 'q4', label: '4-bit', memory: 'about 0.2× the memory of f32', detail: 'a scale per 32 weights, the token table in 8-bit; logits move by about 0.1' },
  { id: 'f32', label: 'f32', memory: 'twice the memory of f16', detail: 'the reference arithmetic' },
];

export interface GenerateOptions {
  maxTokens: number;
  /** greedy = argmax; otherwise temperature / top-k / top-p sampling from a seeded generator */
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** apply the tokenizer's chat template to a text prompt */
  chat: boolean;
}

export const DEFAULT_GENERATE: GenerateOptions = { maxTokens: 64, greedy: false, temperature: 0.8, topK: 40, topP: 0.95, seed: 42, chat: true };

export interface TokenEvent {
  id: number;
  /** the whole generated text so far (decoded together, so multi-byte characters come out whole) */
  text: string;
  count: number;
  tokensPerSecond: number;
}

export interface GenerationResult {
  promptIds: number[];
  ids: number[];
  text: string;
  stopReason: 'eos' | 'max_tokens' | 'cancelled' | 'context_full';
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export type { AdapterInfo, KernelVariants };
