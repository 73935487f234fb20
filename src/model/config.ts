// config.json of a Hugging Face decoder → the one shape our runtime understands.
// Llama, Qwen2 and Qwen3 differ only in: q/k/v biases (Qwen2), q/k RMSNorm per head (Qwen3),
// explicit head_dim (Qwen3), and Llama-3's rope scaling.

export type Arch = 'llama' | 'qwen2' | 'qwen3';

export interface RopeScaling {
  /** Llama-3 frequency-dependent scaling (rope_type "llama3"). */
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  arch: Arch;
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKVHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2, or Llama with attention_bias). */
  attentionBias: boolean;
  /** o_proj carries a bias too (Llama / Qwen3 with attention_bias; Qwen2's o_proj never has one). */
  oProjBias: boolean;
  /** per-head RMSNorm on q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ARCHS: Record<string, Arch> = {
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

// A field that is absent takes its documented default; a field that is present must be valid: null, a string, a
// negative or fractional size is refused by name, never read as the default (that would run a different model).
const given = (raw: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(raw, key);

function int(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = given(raw, key) ? raw[key] : fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigError(`config.json: "${key}" must be a positive integer, got ${given(raw, key) ? JSON.stringify(raw[key]) : 'nothing'}`);
  }
  return v;
}

function num(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = given(raw, key) ? raw[key] : fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(`config.json: "${key}" must be a positive number, got ${JSON.stringify(raw[key])}`);
  }
  return v;
}

function bool(raw: Record<string, unknown>, key: string): boolean {
  const v = raw[key];
  if (v !== undefined && typeof v !== 'boolean') throw new ConfigError(`config.json: "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v === true;
}

/** a token id field: absent or null means none; anything else must be a non-negative integer (or a list of them) */
function ids(raw: Record<string, unknown>, key: string): number[] {
  const v = raw[key];
  if (v == null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new ConfigError(`config.json: "${key}" must be a token id (a non-negative integer) or a list of them, got ${JSON.stringify(v)}`);
  return list as number[];
}

export function parseConfig(text: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('config.json is not a JSON object');
  const architecture = Array.isArray(raw.architectures) ? String(raw.architectures[0]) : String(raw.model_type ?? 'unknown');
  const arch = ARCHS[architecture] ?? ({ llama: 'llama', qwen2: 'qwen2', qwen3: 'qwen3' } as Record<string, Arch>)[String(raw.model_type)];
  if (!arch) {
    throw new ConfigError(
      `unsupported model architecture "${architecture}": Adapter Atlas runs LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM`,
    );
  }
  const hiddenSize = int(raw, 'hidden_size');
  const numHeads = int(raw, 'num_attention_heads');
  const numKVHeads = int(raw, 'num_key_value_heads', numHeads);
  if (numHeads % numKVHeads) throw new ConfigError(`config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKVHeads}`);
  // head_dim: null is what some exporters write for "derive it", as transformers does
  const headDim = raw.head_dim != null ? int(raw, 'head_dim') : hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || headDim % 2) throw new ConfigError(`config.json: head_dim ${headDim} must be an even integer`);

  let ropeScaling: RopeScaling | null = null;
  // transformers ≥ 5 writes rope_parameters {rope_type, rope_theta, ...} instead of rope_scaling
  const rp = raw.rope_parameters as Record<string, unknown> | undefined;
  const rs = (raw.rope_scaling ?? (rp && rp.rope_type !== undefined && rp.rope_type !== 'default' ? rp : null)) as Record<string, unknown> | null;
  if (rs) {
    const type = rs.rope_type ?? rs.type;
    if (type === 'llama3') {
      ropeScaling = {
        type: 'llama3',
        factor: num(rs, 'factor', 8),
        lowFreqFactor: num(rs, 'low_freq_factor', 1),
        highFreqFactor: num(rs, 'high_freq_factor', 4),
        originalMaxPositionEmbeddings: int(rs, 'original_max_position_embeddings', 8192),
      };
    } else if (type !== 'default') {
      throw new ConfigError(`config.json: rope_scaling type ${JSON.stringify(type)} is not supported (only "llama3")`);
    }
  }
  if (bool(raw, 'mlp_bias')) throw new ConfigError('config.json: mlp_bias is true; MLP biases are not supported yet');
  const act = raw.hidden_act ?? raw.hidden_activation ?? 'silu';
  if (act !== 'silu') throw new ConfigError(`config.json: hidden_act "${String(act)}" is not supported (only "silu")`);
  const ropeTheta = num(
    raw,
    'rope_theta',
    typeof (raw.rope_parameters as Record<string, unknown> | undefined)?.rope_theta === 'number'
      ? ((raw.rope_parameters as Record<string, number>).rope_theta)
      : 10000,
  );
  const vocabSize = int(raw, 'vocab_size');
  const bos = ids(raw, 'bos_token_id');
  const eos = ids(raw, 'eos_token_id');
  for (const [key, list] of [['bos_token_id', bos], ['eos_token_id', eos]] as const) {
    for (const id of list) if (id >= vocabSize) throw new ConfigError(`config.json: "${key}" ${id} is outside the vocabulary (vocab_size ${vocabSize})`);
  }
  if (bos.length > 1) throw new ConfigError(`config.json: "bos_token_id" must be one id, got ${JSON.stringify(raw.bos_token_id)}`);
  return {
    arch,
    architecture,
    vocabSize,
    hiddenSize,
    intermediateSize: int(raw, 'intermediate_size'),
    numLayers: int(raw, 'num_hidden_layers'),
    numHeads,
    numKVHeads,
    headDim,
    rmsNormEps: num(raw, 'rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling,
    tieWordEmbeddings: bool(raw, 'tie_word_embeddings'), // HF's default for all three is false
    attentionBias: arch === 'qwen2' || bool(raw, 'attention_bias'),
    oProjBias: arch !== 'qwen2' && bool(raw, 'attention_bias'),
    qkNorm: arch === 'qwen3',
    maxPositionEmbeddings: int(raw, 'max_position_embeddings', 2048),
    bosTokenId: bos[0] ?? null,
    eosTokenIds: eos,
  };
}

/**
 * Inverse RoPE frequencies, one per pair (headDim/2), with Llama-3 scaling applied on the CPU
 * so the kernel stays a plain rotation.
 */
export function ropeInvFreq(cfg: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const half = cfg.headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    let f = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
    const s = cfg.ropeScaling;
    if (s) {
      const lowWl = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
      const highWl = s.originalMaxPositionEmbeddings / s.highFreqFactor;
      const wl = (2 * Math.PI) / f;
      if (wl > lowWl) f = f / s.factor;
      else if (wl >= highWl) {
        const smooth = (s.originalMaxPositionEmbeddings / wl - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        f = (1 - smooth) * (f / s.factor) + smooth * f;
      }
    }
    out[i] = f;
  }
  return out;
}

/** (cos, sin) of pos·invFreq[i] for pos < maxPos, interleaved, in double precision then rounded. */
export function ropeTable(invFreq: Float32Array, maxPos: number): Float32Array {
  const half = invFreq.length;
  const out = new Float32Array(maxPos * half * 2);
  for (let p = 0; p < maxPos; p++)
    for (let i = 0; i < half; i++) {
      const a = p * invFreq[i];
      out[2 * (p * half + i)] = Math.cos(a);
      out[2 * (p * half + i) + 1] = Math.sin(a);
    }
  return out;
}
