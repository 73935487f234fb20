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
