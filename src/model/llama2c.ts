// llama2.c checkpoints (Karpathy's `export.py`, the legacy version-0 `.bin`) and their `tokenizer.bin`,
// converted to the Hugging Face layout this runtime loads (config.json, model.safetensors, tokenizer.json).
// They are the small real pretrained Llamas (the TinyStories models) that can travel with a test suite.
//
// model .bin: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a
// negative vocab_size means an unshared classifier), then f32 tensors in this order, each row-major as
// torch's nn.Linear stores it ([out, in]):
//   token_embedding [V, dim] · rms_att [L, dim] · wq [L, dim, dim] · wk [L, kv, dim] · wv [L, kv, dim]
//   wo [L, dim, dim] · rms_ffn [L, dim] · w1 [L, hidden, dim] · w2 [L, dim, hidden] · w3 [L, hidden, dim]
//   rms_final [dim] · freq_cis_real, freq_cis_imag [seq_len, head/2] (unused) · wcls [V, dim] if unshared
// tokenizer .bin: int32 max_token_length, then per id: f32 score, int32 length, the piece's bytes, with
// SentencePiece's "▁" written as a space and <s>, </s> as "\n<s>\n", "\n</s>\n".
import type { WriteTensor } from './safetensors';

export class Llama2cError extends Error {
  override name = 'Llama2cError';
}

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  numLayers: number;
  numHeads: number;
  numKVHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cModel {
  header: Llama2cHeader;
  /** config.json as transformers' save_pretrained writes it for LlamaForCausalLM */
  config: Record<string, unknown>;
  /** model.safetensors' tensors, named and laid out as in Hugging Face's Llama */
  tensors: Record<string, WriteTensor>;
}

/** the version-1/2 exports start with this magic ("ak42"); they carry a different header */
const MAGIC_V1 = 0x616b3432;

export function readLlama2cHeader(bytes: Uint8Array, file = 'model .bin'): Llama2cHeader {
  if (bytes.byteLength < 28) throw new Llama2cError(`${file} is ${bytes.byteLength} bytes, shorter than a llama2.c header (28)`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, 28);
  if (h.getUint32(0, true) === MAGIC_V1) {
    throw new Llama2cError(`${file} is a llama2.c version-${h.getInt32(4, true)} export (magic "ak42"); convert the legacy version-0 one (export.py --version 0)`);
  }
  const [dim, hiddenDim, numLayers, numHeads, numKVHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => h.getInt32(4 * i, true));
  const header = { dim, hiddenDim, numLayers, numHeads, numKVHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
  for (const [k, v] of Object.entries(header)) {
    if (typeof v === 'number' && !(v > 0 && v < 1 << 24)) throw new Llama2cError(`${file}: header field ${k} is ${v}; this is not a llama2.c version-0 checkpoint`);
  }
  if (dim % numHeads) throw new Llama2cError(`${file}: dim ${dim} is not a multiple of n_heads ${numHeads}`);
  if (numHeads % numKVHeads) throw new Llama2cError(`${file}: n_heads ${numHeads} is not a multiple of n_kv_heads ${numKVHeads}`);
  if ((dim / numHeads) % 2) throw new Llama2cError(`${file}: head size ${dim / numHeads} is odd; RoPE needs pairs`);
  return header;
}

/**
 * llama2.c (like Meta's checkpoints) rotates interleaved pairs (x[2i], x[2i+1]); Hugging Face's Llama rotates
 * halves (x[i], x[i + head/2]). Reorder each head's output rows of wq and wk so the halves form the pairs, as
 * transformers' convert_llama_weights_to_hf does: row h·hd + 2i + j moves to h·hd + j·hd/2 + i.
 */
function pairsToHalves(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + 2 * i + j) * cols;
        out.set(w.subarray(from, from + cols), (h * headDim + j * half + i) * cols);
      }
    }
  }
  return out;
}

export function convertLlama2cModel(bytes: Uint8Array, file = 'model .bin'): Llama2cModel {
  const header = readLlama2cHeader(bytes, file);
  const { dim, hiddenDim: F, numLayers: L, numHeads, numKVHeads, vocabSize: V, seqLen } = header;
  const headDim = dim / numHeads;
  const kv = numKVHeads * headDim;
  const sizes = [V * dim, L * dim, L * dim * dim, L * kv * dim, L * kv * dim, L * dim * dim, L * dim, L * F * dim, L * dim * F, L * F * dim, dim, seqLen * headDim];
  const expected = sizes.reduce((a, b) => a + b, 0) + (header.sharedClassifier ? 0 : V * dim);
  const floats = (bytes.byteLength - 28) / 4;
  if (floats !== expected) {
    throw new Llama2cError(
      `${file} holds ${bytes.byteLength} bytes but its header (dim ${dim}, hidden ${F}, ${L} layers, ${numHeads}/${numKVHeads} heads, vocab ${V}, seq_len ${seqLen}, ${header.sharedClassifier ? 'shared' : 'unshared'} classifier) needs ${28 + 4 * expected}: truncated, or not a version-0 export`,
    );
  }
  // copy out of the file so the tensors stay aligned whatever the caller's buffer offset
  const all = new Float32Array(bytes.slice(28).buffer);
  let at = 0;
  const take = (n: number) => all.subarray(at, (at += n));
  const emb = take(V * dim);
  const rmsAtt = take(L * dim);
  const wq = take(L * dim * dim);
  const wk = take(L * kv * dim);
  const wv = take(L * kv * dim);
  const wo = take(L * dim * dim);
  const rmsFfn = take(L * dim);
  const w1 = take(L * F * dim);
  const w2 = take(L * dim * F);
  const w3 = take(L * F * dim);
  const rmsFinal = take(dim);
  take(seqLen * headDim); // RoPE tables, recomputed by the runtime
  const t: Record<string, WriteTensor> = { 'model.embed_tokens.weight': { shape: [V, dim], data: emb } };
  const layer = (x: Float32Array, l: number, n: number) => x.subarray(l * n, (l + 1) * n);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    t[p + 'input_layernorm.weight'] = { shape: [dim], data: layer(rmsAtt, l, dim) };
    t[p + 'self_attn.q_proj.weight'] = { shape: [dim, dim], data: pairsToHalves(layer(wq, l, dim * dim), numHeads, headDim, dim) };
    t[p + 'self_attn.k_proj.weight'] = { shape: [kv, dim], data: pairsToHalves(layer(wk, l, kv * dim), numKVHeads, headDim, dim) };
    t[p + 'self_attn.v_proj.weight'] = { shape: [kv, dim], data: layer(wv, l, kv * dim) };
    t[p + 'self_attn.o_proj.weight'] = { shape: [dim, dim], data: layer(wo, l, dim * dim) };
    t[p + 'post_attention_layernorm.weight'] = { shape: [dim], data: layer(rmsFfn, l, dim) };
    t[p + 'mlp.gate_proj.weight'] = { shape: [F, dim], data: layer(w1, l, F * dim) };
    t[p + 'mlp.down_proj.weight'] = { shape: [dim, F], data: layer(w2, l, dim * F) };
    t[p + 'mlp.up_proj.weight'] = { shape: [F, dim], data: layer(w3, l, F * dim) };
  }
  t['model.norm.weight'] = { shape: [dim], data: rmsFinal };
  if (!header.sharedClassifier) t['lm_head.weight'] = { shape: [V, dim], data: take(V * dim) };
  const config = {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: dim,
    initializer_range: 0.02,
    intermediate_size: F,
    max_position_embeddings: seqLen,
    model_type: 'llama',
    num_attention_heads: numHeads,
    num_hidden_layers: L,
    num_key_value_heads: numKVHeads,
    // llama2.c's model.py: RMSNorm eps 1e-5, RoPE base 10000
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: header.sharedClassifier,
    torch_dtype: 'float32',
    vocab_size: V,
  };
  return { header, config, tensors: t };
}

export interface Llama2cPiece {
  piece: string;
  score: number;
}

export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number, file = 'tokenizer .bin'): Llama2cPiece[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const out: Llama2cPiece[] = [];
  let at = 4;
  if (bytes.byteLength < 4) throw new Llama2cError(`${file} is ${bytes.byteLength} bytes, too short for a llama2.c tokenizer`);
  const maxLen = v.getInt32(0, true);
  while (out.length < vocabSize) {
    if (at + 8 > bytes.byteLength) throw new Llama2cError(`${file} ends after ${out.length} tokens; the model has ${vocabSize}`);
    const score = v.getFloat32(at, true);
    const len = v.getInt32(at + 4, true);
    at += 8;
    if (len <= 0 || len > maxLen || at + len > bytes.byteLength) throw new Llama2cError(`${file}: token ${out.length} has length ${len} (max_token_length ${maxLen}); not a llama2.c tokenizer`);
    let text: string;
    try {
      text = dec.decode(bytes.subarray(at, at + len));
    } catch {
      throw new Llama2cError(`${file}: token ${out.length} is not valid UTF-8`);
    }
    at += len;
    out.push({ piece: text, score });
  }
  if (at !== bytes.byteLength) throw new Llama2cError(`${file} holds more than the model's ${vocabSize} tokens (${bytes.byteLength - at} bytes left): it belongs to another model`);
  return out;
}

const SPECIALS = ['<unk>', '<s>', '</s>'];

/**
 * tokenizer.json and tokenizer_config.json for a llama2.c (SentencePiece BPE, byte fallback) vocabulary, in the
 * layout transformers writes for Llama-2's tokenizer. SentencePiece merges the adjacent pair whose union scores
 * highest; BPE takes ranked merges, so every split of a piece into two pieces becomes a merge ranked by the
 * piece's score (as transformers' SentencePieceExtractor does). As in Hugging Face's Llama tokenizers (and unlike
 * llama2.c's encode), "<s>", "</s>" and "<unk>" written in a text are read as the special tokens.
 */
export function llama2cTokenizerFiles(pieces: Llama2cPiece[]): { tokenizerJSON: Record<string, unknown>; tokenizerConfig: Record<string, unknown> } {
  const want = ['<unk>', '\n<s>\n', '\n</s>\n'];
  want.forEach((w, i) => {
    if (pieces[i]?.piece !== w) throw new Llama2cError(`tokenizer .bin: id ${i} is ${JSON.stringify(pieces[i]?.piece)}, not ${JSON.stringify(w)}: not a llama2.c SentencePiece tokenizer`);
  });
  // a Map, not an object: pieces such as "toString" are ordinary words
  const vocab = new Map<string, number>();
  const names = pieces.map((p, i) => (i < 3 ? SPECIALS[i] : p.piece.replaceAll(' ', '▁')));
  names.forEach((n, i) => {
    if (vocab.has(n)) throw new Llama2cError(`tokenizer .bin: the piece ${JSON.stringify(n)} appears twice (ids ${vocab.get(n)} and ${i})`);
    vocab.set(n, i);
  });
  // llama2.c's encode writes a character that is not a piece as its UTF-8 bytes, byte b as id b + 3
  for (let b = 0; b < 256; b++) {
    const want = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (names[b + 3] !== want) throw new Llama2cError(`tokenizer .bin: id ${b + 3} is ${JSON.stringify(names[b + 3])}, not ${want}: not a byte-fallback vocabulary, which llama2.c's tokenizer assumes`);
  }
  const merges: { l: string; r: string; score: number; pid: number; lid: number; rid: number }[] = [];
  names.forEach((n, i) => {
    if (i < 259) return;
    const chars = Array.from(n);
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('');
      const r = chars.slice(k).join('');
      const lid = vocab.get(l), rid = vocab.get(r);
      if (lid !== undefined && rid !== undefined) merges.push({ l, r, score: pieces[i].score, pid: i, lid, rid });
    }
  });
  // ties as transformers' extractor breaks them: the merged piece's id, then its halves' ids
  merges.sort((a, b) => b.score - a.score || a.pid - b.pid || a.lid - b.lid || a.rid - b.rid);
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizerJSON = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((s, i) => special(s, i)),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: merges.map((m) => [m.l, m.r]),
    },
  };
  const tokenizerConfig = {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    legacy: true,
    model_max_length: 1e30,
    tokenizer_class: 'LlamaTokenizer',
  };
  return { tokenizerJSON, tokenizerConfig };
}
