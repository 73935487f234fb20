// A tiny BERT-shaped sentence encoder as a Hugging Face ONNX repo (config.json, tokenizer.json,
// tokenizer_config.json, onnx/model.onnx), so the hub encoder's code runs through the real
// transformers.js feature-extraction pipeline and onnxruntime with no download.
//
//   npx tsx scripts/make-test-encoder.ts [outDir]     → outDir (default test/fixtures/models/tiny-bert-encoder)
//
// The graph is one single-head self-attention block over word + position embeddings, with the
// attention mask applied the way BERT does (−10⁴ on masked keys), so padding changes the output
// exactly where a real encoder's would. Weights are seeded: two runs write identical bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { isMainModule } from './is-main';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { mulberry32 } from '../src/model/sampling';

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Words of linearized profiles, so test sentences tokenize to real ids rather than [UNK]. */
const WORDS = [
  ...'. , : \' - ( )'.split(' '),
  ...'0123456789'.split(''),
  ...'0123456789'.split('').map((d) => `##${d}`),
  'age', 'gender', 'country', 'education', 'religion', 'ethnicity', 'employment',
  'female', 'male', 'non', 'binary', 'norway', 'sweden', 'denmark', 'nigeria', 'japan', 'brazil',
  'catholic', 'protestant', 'orthodox', 'christian', 'muslim', 'jewish', 'hindu', 'buddhist', 'no',
  'bachelor', 'master', 's', 'degree', 'doctorate', 'primary', 'secondary', 'school',
  'full', 'part', 'time', 'employed', 'self', 'retired', 'student', 'unemployed', 'homemaker',
  'enjoys', 'hiking', 'likes', 'music', 'a', 'the', 'and', 'of', 'hello', 'world',
  '##ing', '##s', '##ed', '##er',
];

export interface TinyEncoder {
  vocab: string[];
  hidden: number;
  maxPositions: number;
  /** row-major [vocab, hidden] */
  wordEmb: Float32Array;
  /** row-major [maxPositions, hidden] */
  posEmb: Float32Array;
  /** row-major [hidden, hidden], applied as x·W */
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
}

export function makeTinyEncoder(seed = 7, hidden = 8, maxPositions = 64): TinyEncoder {
  const rng = mulberry32(seed);
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);
  const vocab = [...SPECIAL_TOKENS, ...WORDS];
  const w = 1 / Math.sqrt(hidden);
  return {
    vocab,
    hidden,
    maxPositions,
    wordEmb: rand(vocab.length * hidden, 1),
    posEmb: rand(maxPositions * hidden, 0.5),
    wq: rand(hidden * hidden, w),
    wk: rand(hidden * hidden, w),
    wv: rand(hidden * hidden, w),
    wo: rand(hidden * hidden, w),
  };
}

// ---- ONNX graph ----

const F32 = onnx.TensorProto.DataType.FLOAT;
const F16 = onnx.TensorProto.DataType.FLOAT16;
const I64 = onnx.TensorProto.DataType.INT64;

function f32(name: string, dims: number[], data: Float32Array): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: F32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

function i64(name: string, dims: number[], values: number[]): TensorProto {
  const raw = new BigInt64Array(values.map(BigInt));
  return onnx.TensorProto.create({ name, dims, dataType: I64, rawData: new Uint8Array(raw.buffer) });
}

function node(opType: string, input: string[], output: string[], attrs: Record<string, number | number[]> = {}): NodeProto {
  const attribute = Object.entries(attrs).map(([name, v]) =>
    Array.isArray(v)
      ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
      : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }),
  );
  return onnx.NodeProto.create({ opType, input, output, attribute, name: output[0] });
}

function io(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/**
 * The encoder as an ONNX model (opset 14): input_ids, attention_mask → last_hidden_state, in f32 or,
 * as fp16 exports do, cast to f16 at the end.
 */
export function tinyEncoderOnnx(m: TinyEncoder, output: 'float32' | 'float16' = 'float32'): Uint8Array {
  const H = m.hidden;
  const initializer = [
    f32('word_emb', [m.vocab.length, H], m.wordEmb),
    f32('pos_emb', [m.maxPositions, H], m.posEmb),
    f32('wq', [H, H], m.wq),
    f32('wk', [H, H], m.wk),
    f32('wv', [H, H], m.wv),
    f32('wo', [H, H], m.wo),
    f32('scale', [], Float32Array.of(1 / Math.sqrt(H))),
    f32('one_f', [], Float32Array.of(1)),
    f32('mask_value', [], Float32Array.of(-10000)),
    i64('zero', [], [0]),
    i64('one', [], [1]),
    i64('axis1', [1], [1]),
  ];
  const nodes = [
    node('Gather', ['word_emb', 'input_ids'], ['x_word']),
    node('Shape', ['input_ids'], ['ids_shape']),
    node('Gather', ['ids_shape', 'one'], ['seq_len'], { axis: 0 }),
    node('Range', ['zero', 'seq_len', 'one'], ['positions']),
    node('Gather', ['pos_emb', 'positions'], ['x_pos']),
    node('Add', ['x_word', 'x_pos'], ['x']),
    node('MatMul', ['x', 'wq'], ['q']),
    node('MatMul', ['x', 'wk'], ['k']),
    node('MatMul', ['x', 'wv'], ['v']),
    node('Transpose', ['k'], ['k_t'], { perm: [0, 2, 1] }),
    node('MatMul', ['q', 'k_t'], ['scores_raw']),
    node('Mul', ['scores_raw', 'scale'], ['scores_scaled']),
    node('Cast', ['attention_mask'], ['mask_f'], { to: F32 }),
    node('Unsqueeze', ['mask_f', 'axis1'], ['mask_b1t']),
    node('Sub', ['one_f', 'mask_b1t'], ['masked']),
    node('Mul', ['masked', 'mask_value'], ['mask_bias']),
    node('Add', ['scores_scaled', 'mask_bias'], ['scores']),
    node('Softmax', ['scores'], ['probs'], { axis: -1 }),
    node('MatMul', ['probs', 'v'], ['attended']),
    node('MatMul', ['attended', 'wo'], ['projected']),
    node('Add', ['x', 'projected'], ['residual']),
    ...(output === 'float32'
      ? [node('Tanh', ['residual'], ['last_hidden_state'])]
      : [node('Tanh', ['residual'], ['hidden_f32']), node('Cast', ['hidden_f32'], ['last_hidden_state'], { to: F16 })]),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'adapter-atlas make-test-encoder',
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'tiny_bert',
      node: nodes,
      initializer,
      input: [io('input_ids', I64, ['batch', 'sequence']), io('attention_mask', I64, ['batch', 'sequence'])],
      output: [io('last_hidden_state', output === 'float32' ? F32 : F16, ['batch', 'sequence', H])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- tokenizer and config files ----

export function tinyTokenizerJson(vocab: string[]): object {
  const id = (t: string) => vocab.indexOf(t);
  const special = (t: string) => ({ id: t, type_id: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: special('[CLS]') }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: special('[SEP]') }],
      pair: [
        { SpecialToken: special('[CLS]') }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: special('[SEP]') },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** Writes the repo into `dir`; returns the weights, for a reference forward pass. */
export function writeTinyEncoder(dir: string, m: TinyEncoder = makeTinyEncoder()): TinyEncoder {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (name: string, v: unknown) => writeFileSync(join(dir, name), JSON.stringify(v, null, 2) + '\n');
  json('config.json', {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: m.hidden,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: m.hidden,
    max_position_embeddings: m.maxPositions,
    vocab_size: m.vocab.length,
    type_vocab_size: 1,
    pad_token_id: 0,
  });
  json('tokenizer.json', tinyTokenizerJson(m.vocab));
  json('tokenizer_config.json', {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: m.maxPositions,
    padding_side: 'right',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  });
  const bytes = tinyEncoderOnnx(m);
  writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes);
  // the browser's default dtype (q8) asks for this name; the graph is tiny, so it stays f32
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), bytes);
  writeFileSync(join(dir, 'onnx', 'model_fp16.onnx'), tinyEncoderOnnx(m, 'float16'));
  return m;
}

if (isMainModule(import.meta.url, 'make-test-encoder')) {
  const out = resolve(process.argv[2] ?? 'test/fixtures/models/tiny-bert-encoder');
  writeTinyEncoder(out);
  console.log(`wrote ${out}`);
}
