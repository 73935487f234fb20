// Tiny random-initialised models in exact Hugging Face format, for tests and the app's embedded default.
//
//   npx tsx scripts/make-test-models.ts [outDir]               → outDir/{llama,llama3,qwen2,qwen3,llama-sharded}
//   npx tsx scripts/make-test-models.ts --default [outDir]     → the embedded default model in outDir
//                                                                (default public/models/default)
//
// Everything is deterministic (seeded mulberry32): running it twice writes identical bytes.
// Each folder holds config.json, model.safetensors (or shards + model.safetensors.index.json),
// tokenizer.json, tokenizer_config.json and generation_config.json, as `save_pretrained` writes them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { isMainModule } from './is-main';
import { join, resolve } from 'node:path';
import { writeSafetensors, type WriteTensor, type DType } from '../src/model/safetensors';

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers

import { mulberry32 } from '../src/model/sampling';
export { mulberry32 };

function gaussian(rng: () => number): () => number {
  return () => {
    // Box–Muller; 1 - u keeps the log argument in (0, 1]
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

// ---------------------------------------------------------------------------------------------
// Tokenizer: GPT-2 style byte-level BPE with a few English merges and ChatML special tokens

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upward. */
export function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const m = new Map<number, string>();
  bs.forEach((b, i) => m.set(b, String.fromCharCode(cs[i])));
  return m;
}

/** Merges in priority order; each side is a base symbol or the result of an earlier merge. */
const MERGES: [string, string][] = [
  ['Ġ', 't'], ['Ġ', 'a'], ['h', 'e'], ['i', 'n'], ['r', 'e'], ['o', 'n'], ['Ġt', 'he'], ['e', 'r'],
  ['Ġ', 's'], ['a', 't'], ['Ġ', 'w'], ['Ġ', 'o'], ['e', 'n'], ['Ġ', 'c'], ['i', 't'], ['i', 's'],
  ['a', 'n'], ['o', 'r'], ['e', 's'], ['Ġ', 'b'], ['e', 'd'], ['Ġ', 'f'], ['in', 'g'], ['Ġ', 'p'],
  ['o', 'u'], ['Ġa', 'n'], ['a', 'l'], ['a', 'r'], ['Ġt', 'o'], ['Ġ', 'm'], ['Ġo', 'f'], ['Ġ', 'i'],
  ['Ġ', 'd'], ['Ġ', 'h'], ['Ġan', 'd'], ['l', 'l'], ['l', 'e'], ['H', 'e'], ['He', 'll'], ['Hell', 'o'],
  ['Ġthe', 're'], ['Ġi', 'n'], ['Ġi', 's'], ['Ġ', 'y'], ['Ġy', 'ou'],
];

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

export const CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface TokenizerFiles {
  tokenizerJSON: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** number of ids the tokenizer can produce (base + merges + added tokens) */
  size: number;
  ids: { endoftext: number; imStart: number; imEnd: number };
}

/** `merges` defaults to the fixtures' ~45 English pairs; the default model passes whole-word merges. */
export function makeTokenizer(merges: [string, string][] = MERGES): TokenizerFiles {
  const b2u = bytesToUnicode();
  const vocab: Record<string, number> = {};
  let next = 0;
  // GPT-2 vocab order: the base symbols in bytes_to_unicode order ("!" = 0)
  for (const sym of b2u.values()) vocab[sym] = next++;
  for (const [a, b] of merges) {
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b}: a side is not in the vocab yet`);
    if (a + b in vocab) throw new Error(`merge ${a} ${b}: result already in the vocab`);
    vocab[a + b] = next++;
  }
  const added = SPECIAL_TOKENS.map((content) => ({
    id: next++,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizerJSON = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const added_tokens_decoder: Record<string, unknown> = {};
  for (const t of added) {
    const { id, ...rest } = t;
    added_tokens_decoder[String(id)] = { content: rest.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  const tokenizerConfig = {
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: '<|endoftext|>',
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 512,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: null,
  };
  return {
    tokenizerJSON,
    tokenizerConfig,
    size: next,
    ids: { endoftext: added[0].id, imStart: added[1].id, imEnd: added[2].id },
  };
}

// ---------------------------------------------------------------------------------------------
// Model specs

export type FixtureKind = 'llama' | 'llama3' | 'qwen2' | 'qwen3';
export const FIXTURE_KINDS: FixtureKind[] = ['llama', 'llama3', 'qwen2', 'qwen3'];
/** Folders written by writeAllFixtures (the four kinds plus the sharded copy of llama). */
export const FIXTURE_DIRS = [...FIXTURE_KINDS, 'llama-sharded'] as const;

export interface ModelSpec {
  arch: 'LlamaForCausalLM' | 'Qwen2ForCausalLM' | 'Qwen3ForCausalLM';
  seed: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Record<string, unknown> | null;
  tie: boolean;
  dtype: DType;
  /** eos_token_id in config.json: a list (Llama-3.1 style) or the single <|im_end|> id */
  eosList: boolean;
}

export const SPECS: Record<FixtureKind | 'default', ModelSpec> = {
  llama: {
    arch: 'LlamaForCausalLM', seed: 1001, hidden: 64, intermediate: 172, layers: 2, heads: 4, kvHeads: 2, headDim: 16,
    rmsNormEps: 1e-5, ropeTheta: 10000, ropeScaling: null, tie: false, dtype: 'F32', eosList: false,
  },
  llama3: {
    arch: 'LlamaForCausalLM', seed: 1002, hidden: 64, intermediate: 172, layers: 2, heads: 4, kvHeads: 2, headDim: 16,
    rmsNormEps: 1e-5, ropeTheta: 500000,
    ropeScaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 16, rope_type: 'llama3' },
    tie: true, dtype: 'BF16', eosList: true,
  },
  qwen2: {
    arch: 'Qwen2ForCausalLM', seed: 1003, hidden: 48, intermediate: 112, layers: 3, heads: 6, kvHeads: 2, headDim: 8,
    rmsNormEps: 1e-6, ropeTheta: 1000000, ropeScaling: null, tie: true, dtype: 'F16', eosList: false,
  },
  qwen3: {
    arch: 'Qwen3ForCausalLM', seed: 1004, hidden: 64, intermediate: 160, layers: 2, heads: 4, kvHeads: 2, headDim: 32,
    rmsNormEps: 1e-6, ropeTheta: 1000000, ropeScaling: null, tie: false, dtype: 'F32', eosList: false,
  },
  default: {
    arch: 'LlamaForCausalLM', seed: 2024, hidden: 128, intermediate: 344, layers: 4, heads: 4, kvHeads: 2, headDim: 32,
    rmsNormEps: 1e-5, ropeTheta: 10000, ropeScaling: null, tie: true, dtype: 'F32', eosList: false,
  },
};

const TORCH_DTYPE: Record<DType, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
const MAX_POS = 512;
// o_proj and down_proj write into the residual stream: a larger gain keeps the layers, not the input
// embedding, in charge of the output (std 1/sqrt(in), 0.06–0.125 at these sizes).
const OUT_GAIN = 1.0;
const TRANSFORMERS_VERSION = '4.51.3';

/** config.json with the fields (and key order) transformers' save_pretrained writes. */
/** `vocab` may exceed the tokenizer's size (real checkpoints pad it, e.g. Qwen's 151936). */
export function makeConfig(spec: ModelSpec, tok: TokenizerFiles, vocab = tok.size): Record<string, unknown> {
  const eos = spec.eosList ? [tok.ids.imEnd, tok.ids.endoftext] : tok.ids.imEnd;
  const common = {
    hidden_act: 'silu',
    hidden_size: spec.hidden,
    initializer_range: 0.02,
    intermediate_size: spec.intermediate,
    max_position_embeddings: MAX_POS,
  };
  if (spec.arch === 'LlamaForCausalLM') {
    return {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: tok.ids.endoftext,
      eos_token_id: eos,
      head_dim: spec.headDim,
      ...common,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: spec.heads,
      num_hidden_layers: spec.layers,
      num_key_value_heads: spec.kvHeads,
      pretraining_tp: 1,
      rms_norm_eps: spec.rmsNormEps,
      rope_scaling: spec.ropeScaling,
      rope_theta: spec.ropeTheta,
      tie_word_embeddings: spec.tie,
      torch_dtype: TORCH_DTYPE[spec.dtype],
      transformers_version: TRANSFORMERS_VERSION,
      use_cache: true,
      vocab_size: vocab,
    };
  }
  if (spec.arch === 'Qwen2ForCausalLM') {
    return {
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: tok.ids.endoftext,
      eos_token_id: eos,
      ...common,
      max_window_layers: spec.layers,
      model_type: 'qwen2',
      num_attention_heads: spec.heads,
      num_hidden_layers: spec.layers,
      num_key_value_heads: spec.kvHeads,
      rms_norm_eps: spec.rmsNormEps,
      rope_scaling: spec.ropeScaling,
      rope_theta: spec.ropeTheta,
      sliding_window: MAX_POS,
      tie_word_embeddings: spec.tie,
      torch_dtype: TORCH_DTYPE[spec.dtype],
      transformers_version: TRANSFORMERS_VERSION,
      use_cache: true,
      use_sliding_window: false,
      vocab_size: vocab,
    };
  }
  return {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: tok.ids.endoftext,
    eos_token_id: eos,
    head_dim: spec.headDim,
    ...common,
    max_window_layers: spec.layers,
    model_type: 'qwen3',
    num_attention_heads: spec.heads,
    num_hidden_layers: spec.layers,
    num_key_value_heads: spec.kvHeads,
    rms_norm_eps: spec.rmsNormEps,
    rope_scaling: spec.ropeScaling,
    rope_theta: spec.ropeTheta,
    sliding_window: null,
    tie_word_embeddings: spec.tie,
    torch_dtype: TORCH_DTYPE[spec.dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: vocab,
  };
}

export function makeGenerationConfig(tok: TokenizerFiles): Record<string, unknown> {
  return {
    bos_token_id: tok.ids.endoftext,
    do_sample: true,
    eos_token_id: [tok.ids.imEnd, tok.ids.endoftext],
    pad_token_id: tok.ids.endoftext,
    temperature: 0.7,
    top_k: 20,
    top_p: 0.8,
    transformers_version: TRANSFORMERS_VERSION,
  };
}

/** All weights of a spec, HF names, in the order HF's state_dict lists them. */
export function makeWeights(spec: ModelSpec, vocab: number): Record<string, WriteTensor> {
  const rng = mulberry32(spec.seed);
  const gauss = gaussian(rng);
  const dtype = spec.dtype;
  const normal = (shape: number[], std: number, mean = 0): WriteTensor => {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + std * gauss();
    return { shape, data, dtype };
  };
  // Projections: std gain/sqrt(in): 0.6 (0.045–0.09 here) by default; q/k 1.0 so attention scores have
  // std ~1 and are not flat; o/down OUT_GAIN; lm_head 1.5 so logits have std ~1.5.
  const proj = (out: number, inp: number, gain = 0.6) => normal([out, inp], gain / Math.sqrt(inp));
  const norm = (n: number) => {
    const t = normal([n], 0.1, 1);
    for (let i = 0; i < n; i++) t.data[i] = Math.min(1.3, Math.max(0.7, t.data[i]));
    return t;
  };
  const H = spec.hidden;
  const qDim = spec.heads * spec.headDim;
  const kvDim = spec.kvHeads * spec.headDim;
  const bias = spec.arch === 'Qwen2ForCausalLM';
  const qkNorm = spec.arch === 'Qwen3ForCausalLM';
  const w: Record<string, WriteTensor> = {};
  // Untied: std 0.5. Tied: the same matrix is the output head, and with a large embedding the final
  // hidden state stays close to the input token's row, so every position just predicts its own token.
  // A small tied embedding (as in real tied models) lets the layers decide the logits.
  w['model.embed_tokens.weight'] = normal([vocab, H], spec.tie ? 0.15 : 0.5);
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}`;
    w[`${p}.input_layernorm.weight`] = norm(H);
    w[`${p}.self_attn.q_proj.weight`] = proj(qDim, H, 1.0);
    if (bias) w[`${p}.self_attn.q_proj.bias`] = normal([qDim], 0.2);
    w[`${p}.self_attn.k_proj.weight`] = proj(kvDim, H, 1.0);
    if (bias) w[`${p}.self_attn.k_proj.bias`] = normal([kvDim], 0.2);
    w[`${p}.self_attn.v_proj.weight`] = proj(kvDim, H);
    if (bias) w[`${p}.self_attn.v_proj.bias`] = normal([kvDim], 0.2);
    w[`${p}.self_attn.o_proj.weight`] = proj(H, qDim, OUT_GAIN);
    if (qkNorm) {
      w[`${p}.self_attn.q_norm.weight`] = norm(spec.headDim);
      w[`${p}.self_attn.k_norm.weight`] = norm(spec.headDim);
    }
    w[`${p}.post_attention_layernorm.weight`] = norm(H);
    w[`${p}.mlp.gate_proj.weight`] = proj(spec.intermediate, H);
    w[`${p}.mlp.up_proj.weight`] = proj(spec.intermediate, H);
    w[`${p}.mlp.down_proj.weight`] = proj(H, spec.intermediate, OUT_GAIN);
  }
  w['model.norm.weight'] = norm(H);
  if (!spec.tie) w['lm_head.weight'] = proj(vocab, H, 1.5); // logits std ~1.5
  return w;
}

// ---------------------------------------------------------------------------------------------
// Writing

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

function writeCommon(dir: string, spec: ModelSpec, tok: TokenizerFiles) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), json(makeConfig(spec, tok)));
  writeFileSync(join(dir, 'generation_config.json'), json(makeGenerationConfig(tok)));
  writeFileSync(join(dir, 'tokenizer.json'), json(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), json(tok.tokenizerConfig));
}

function writeSpec(spec: ModelSpec, dir: string, shards = 1): string {
  const tok = makeTokenizer();
  const weights = makeWeights(spec, tok.size);
  writeCommon(dir, spec, tok);
  const meta = { format: 'pt' };
  if (shards === 1) {
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(weights, meta));
    return dir;
  }
  // Split by names in order, at roughly equal byte counts (as save_pretrained's max_shard_size does).
  const bytesOf = (t: WriteTensor) => t.data.length * (t.dtype === 'F32' || !t.dtype ? 4 : 2);
  const names = Object.keys(weights);
  const total = names.reduce((a, n) => a + bytesOf(weights[n]), 0);
  const groups: string[][] = Array.from({ length: shards }, () => []);
  let acc = 0;
  for (const n of names) {
    const g = Math.min(shards - 1, Math.floor((acc * shards) / total));
    groups[g].push(n);
    acc += bytesOf(weights[n]);
  }
  const weight_map: Record<string, string> = {};
  groups.forEach((g, i) => {
    if (!g.length) throw new Error('empty shard');
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part: Record<string, WriteTensor> = {};
    for (const n of g) {
      part[n] = weights[n];
      weight_map[n] = file;
    }
    writeFileSync(join(dir, file), writeSafetensors(part, meta));
  });
  // HF sorts the weight_map keys
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(weight_map).sort()) sorted[k] = weight_map[k];
  writeFileSync(join(dir, 'model.safetensors.index.json'), json({ metadata: { total_size: total }, weight_map: sorted }));
  return dir;
}

/** Write one fixture model into `dir` itself (not a subfolder); returns `dir`. */
export function makeModel(kind: FixtureKind | 'llama-sharded', dir: string): string {
  if (kind === 'llama-sharded') return writeSpec(SPECS.llama, dir, 2);
  const spec = SPECS[kind];
  if (!spec) throw new Error(`unknown fixture kind ${kind}`);
  return writeSpec(spec, dir);
}

/** Write every fixture as `outDir/<kind>`; returns {kind: folder}. */
export function writeAllFixtures(outDir: string): Record<(typeof FIXTURE_DIRS)[number], string> {
  const out = {} as Record<(typeof FIXTURE_DIRS)[number], string>;
  for (const kind of FIXTURE_DIRS) out[kind] = makeModel(kind, join(outDir, kind));
  return out;
}

/** The app's embedded default model (Llama, hidden 128, 4 layers, tied), written into `dir` itself. */
export function makeDefaultModel(dir: string): string {
  return writeSpec(SPECS.default, dir);
}

// ---------------------------------------------------------------------------------------------
// CLI (only when run directly, not when imported)

if (isMainModule(import.meta.url, 'make-test-models')) {
  const args = process.argv.slice(2);
  if (args.includes('--default')) {
    const dir = resolve(args.find((a) => !a.startsWith('--')) ?? 'public/models/default');
    makeDefaultModel(dir);
    console.log(`wrote the default model to ${dir}`);
  } else {
    const dir = resolve(args.find((a) => !a.startsWith('--')) ?? 'test/fixtures/models');
    const dirs = writeAllFixtures(dir);
    for (const [k, d] of Object.entries(dirs)) console.log(`${k}: ${d}`);
  }
}
