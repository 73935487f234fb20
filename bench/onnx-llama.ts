// The transformers.js peer: one of our models (a folder in Hugging Face layout) as the ONNX repo transformers.js loads
// for LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM with a KV cache:
//
//   input_ids [B, S], attention_mask [B, P+S], position_ids [B, S], past_key_values.{l}.key|value [B, nKV, P, D]
//   → logits [B, S, V], present.{l}.key|value [B, nKV, P+S, D]
//
// written as `onnx/model.onnx` beside config.json, tokenizer.json and tokenizer_config.json. Two graphs, side by side:
//   'standard'  ONNX's own ops only (what an optimum export of this architecture holds): RMSNorm from
//               ReduceMean/Sqrt/Div, RoPE from Gather/Slice/Concat, attention from MatMul/Softmax with the causal
//               and padding mask, grouped heads without copying the keys (q reshaped to [B, nKV, n_rep·S, D]);
//   'fused'     what onnxruntime's own model builder writes for its WebGPU and CPU providers: q|k|v and gate|up as
//               one MatMul each, SimplifiedLayerNormalization and SkipSimplifiedLayerNormalization, and
//               com.microsoft GroupQueryAttention with the rotary embedding inside (Llama and Qwen2 with head_dim a
//               multiple of 16; Qwen3's per-head q/k norm sits before RoPE, so Qwen3 takes the standard graph).
// f32 throughout (the emulators have no shader-f16). Weights are stored transposed ([K, N]) so every projection is
// x·Wᵀ as one MatMul; a tied lm_head is the embedding through a Transpose that onnxruntime folds at load.
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { parseConfig, ropeInvFreq, type ModelConfig } from '../src/model/config';
import { parseSafetensors, tensorToF32 } from '../src/model/safetensors';

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
export type OnnxGraphKind = 'standard' | 'fused';

const F32 = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const I32 = onnx.TensorProto.DataType.INT32;
const BOOL = onnx.TensorProto.DataType.BOOL;

type Attr = number | number[] | string;

/** A graph under construction: initializers and nodes, each output named once. */
class Graph {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private n = 0;

  f32(name: string, dims: number[], data: Float32Array): string {
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType: F32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  i64(name: string, values: number[], dims: number[] = [values.length]): string {
    const raw = new BigInt64Array(values.map(BigInt));
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType: I64, rawData: new Uint8Array(raw.buffer) }));
    return name;
  }

  fresh(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }

  /** one node; returns its outputs (named `out`, or fresh names; '' for an optional output left out) */
  op(opType: string, input: string[], attrs: Record<string, Attr> = {}, out?: string | string[], nOut = 1, domain = ''): string[] {
    const output = out === undefined ? Array.from({ length: nOut }, () => `${opType.toLowerCase()}_${this.n++}`) : Array.isArray(out) ? out : [out];
    const attribute = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string'
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) })
        : Array.isArray(v)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
          : Number.isInteger(v) && !['epsilon', 'scale'].includes(name)
            ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
            : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType, input, output, attribute, name: output[0], domain }));
    return output;
  }

  /** a one-output node */
  o(opType: string, input: string[], attrs: Record<string, Attr> = {}, out?: string, domain = ''): string {
    return this.op(opType, input, attrs, out, 1, domain)[0];
  }
}

function io(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
}

/** W [N, K] row-major → Wᵀ [K, N] */
function transposed(W: Float32Array, N: number, K: number): Float32Array {
  const t = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = W[n * K + k];
  return t;
}

/** HF's rotary tables: cos|sin of pos·invFreq for each of the D/2 frequencies, [maxPos, D/2] (fused) or repeated to [maxPos, D] */
function ropeTables(c: ModelConfig, maxPos: number, full: boolean): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(c), half = c.headDim / 2, w = full ? c.headDim : half;
  const cos = new Float32Array(maxPos * w), sin = new Float32Array(maxPos * w);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * inv[i];
      cos[p * w + i] = Math.cos(a);
      sin[p * w + i] = Math.sin(a);
      if (full) {
        cos[p * w + i + half] = Math.cos(a);
        sin[p * w + i + half] = Math.sin(a);
      }
    }
  }
  return { cos, sin };
}

/** The ONNX model (as bytes) of a model's config and its tensors by Hugging Face name. */
export function llamaOnnx(c: ModelConfig, tensor: (name: string) => Float32Array, kind: OnnxGraphKind = 'standard', maxPos = Math.min(c.maxPositionEmbeddings, 4096)): Uint8Array {
  if (kind === 'fused' && c.qkNorm) throw new Error("the fused ONNX graph has no per-head q/k norm before RoPE (Qwen3): export it with kind 'standard'");
  if (kind === 'fused' && c.headDim % 16) throw new Error(`onnxruntime's GroupQueryAttention needs head_dim a multiple of 16, this model's is ${c.headDim}: export it with kind 'standard'`);
  const g = new Graph();
  const H = c.hiddenSize, D = c.headDim, nH = c.numHeads, nKV = c.numKVHeads, I = c.intermediateSize, V = c.vocabSize;
  const rep = nH / nKV, qDim = nH * D, kvDim = nKV * D;
  const eps = c.rmsNormEps;
  const lin = (x: string, name: string, N: number, K: number, bias?: string) => {
    const y = g.o('MatMul', [x, g.f32(`${name}.weight_t`, [K, N], transposed(tensor(`${name}.weight`), N, K))]);
    return bias ? g.o('Add', [y, g.f32(`${name}.bias`, [N], tensor(`${name}.bias`))]) : y;
  };
  const w = (name: string, n: number) => g.f32(name, [n], tensor(name));

  const embed = g.f32('model.embed_tokens.weight', [V, H], tensor('model.embed_tokens.weight'));
  let x = g.o('Gather', [embed, 'input_ids']);
  const present: string[] = [];

  if (kind === 'standard') {
    const epsC = g.f32('eps', [], Float32Array.of(eps));
    const rms = (v: string, weight: string) => {
      const ms = g.o('ReduceMean', [g.o('Mul', [v, v])], { axes: [-1], keepdims: 1 });
      return g.o('Mul', [g.o('Div', [v, g.o('Sqrt', [g.o('Add', [ms, epsC])])]), weight]);
    };
    const { cos: cosT, sin: sinT } = ropeTables(c, maxPos, true);
    const ax1 = g.i64('axes_1', [1]);
    const cos = g.o('Unsqueeze', [g.o('Gather', [g.f32('rope.cos', [maxPos, D], cosT), 'position_ids']), ax1]); // [B, 1, S, D]
    const sin = g.o('Unsqueeze', [g.o('Gather', [g.f32('rope.sin', [maxPos, D], sinT), 'position_ids']), ax1]);
    const [i0, iHalf, iD, ax3] = [g.i64('i0', [0]), g.i64('iHalf', [D / 2]), g.i64('iD', [D]), g.i64('axis3', [3])];
    const rope = (t: string) => {
      const t1 = g.o('Slice', [t, i0, iHalf, ax3]), t2 = g.o('Slice', [t, iHalf, iD, ax3]);
      const rot = g.o('Concat', [g.o('Neg', [t2]), t1], { axis: 3 });
      return g.o('Add', [g.o('Mul', [t, cos]), g.o('Mul', [rot, sin])]);
    };
    // the mask, once: key j is seen by the query at position p when j ≤ p and attention_mask[j] = 1; [B, 1, rep·S, T]
    const T = g.o('Gather', [g.o('Shape', ['attention_mask']), g.i64('one', [1], [])], { axis: 0 });
    const keys = g.o('Unsqueeze', [g.o('Range', [g.i64('zero', [0], []), T, 'one']), g.i64('axes_01', [0, 1])]); // [1, 1, T]
    const causal = g.o('LessOrEqual', [keys, g.o('Unsqueeze', ['position_ids', g.i64('axes_2', [2])])]); // [B, S, T]
    const padded = g.o('Unsqueeze', [g.o('Cast', ['attention_mask'], { to: BOOL }), ax1]); // [B, 1, T]
    const bias = g.o('Where', [g.o('And', [causal, padded]), g.f32('zero_f', [], Float32Array.of(0)), g.f32('masked', [], Float32Array.of(-1e30))]);
    const maskBias = g.o('Tile', [g.o('Unsqueeze', [bias, ax1]), g.i64('tile_rep', [1, 1, rep, 1])]);
    const scale = g.f32('scale', [], Float32Array.of(1 / Math.sqrt(D)));
    const heads = (n: number) => g.i64(`heads_${n}`, [0, 0, n, D]);
    const toHeads = (t: string, n: number) => g.o('Transpose', [g.o('Reshape', [t, heads(n)])], { perm: [0, 2, 1, 3] }); // [B, n, S, D]
    const grouped = g.i64('grouped', [0, nKV, -1, D]), ungrouped = g.i64('ungrouped', [0, nH, -1, D]), flat = g.i64('flat', [0, 0, qDim]);

    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`, a = p + 'self_attn.';
      const h = rms(x, w(p + 'input_layernorm.weight', H));
      let q = toHeads(lin(h, a + 'q_proj', qDim, H, c.attentionBias ? a + 'q_proj' : undefined), nH);
      let k = toHeads(lin(h, a + 'k_proj', kvDim, H, c.attentionBias ? a + 'k_proj' : undefined), nKV);
      const v = toHeads(lin(h, a + 'v_proj', kvDim, H, c.attentionBias ? a + 'v_proj' : undefined), nKV);
      if (c.qkNorm) {
        q = rms(q, w(a + 'q_norm.weight', D));
        k = rms(k, w(a + 'k_norm.weight', D));
      }
      const K = g.o('Concat', [`past_key_values.${l}.key`, rope(k)], { axis: 2 }, `present.${l}.key`);
      const Vc = g.o('Concat', [`past_key_values.${l}.value`, v], { axis: 2 }, `present.${l}.value`);
      present.push(K, Vc);
      const qg = g.o('Reshape', [g.o('Mul', [rope(q), scale]), grouped]); // [B, nKV, rep·S, D]
      const scores = g.o('Add', [g.o('MatMul', [qg, g.o('Transpose', [K], { perm: [0, 1, 3, 2] })]), maskBias]);
      const att = g.o('Reshape', [g.o('MatMul', [g.o('Softmax', [scores], { axis: -1 }), Vc]), ungrouped]); // [B, nH, S, D]
      const o = g.o('Reshape', [g.o('Transpose', [att], { perm: [0, 2, 1, 3] }), flat]);
      x = g.o('Add', [x, lin(o, a + 'o_proj', H, qDim, c.oProjBias ? a + 'o_proj' : undefined)]);
      const h2 = rms(x, w(p + 'post_attention_layernorm.weight', H));
      const gate = lin(h2, p + 'mlp.gate_proj', I, H), up = lin(h2, p + 'mlp.up_proj', I, H);
      x = g.o('Add', [x, lin(g.o('Mul', [g.o('Mul', [gate, g.o('Sigmoid', [gate])]), up]), p + 'mlp.down_proj', H, I)]);
    }
    x = rms(x, w('model.norm.weight', H));
  } else {
    // onnxruntime's fused ops: the residual add rides in the next norm (SkipSimplifiedLayerNormalization)
    const { cos: cosT, sin: sinT } = ropeTables(c, maxPos, false);
    const cosC = g.f32('rope.cos_cache', [maxPos, D / 2], cosT), sinC = g.f32('rope.sin_cache', [maxPos, D / 2], sinT);
    // GroupQueryAttention's lengths: seqlens_k = Σ mask − 1, total_sequence_length = T (int32)
    const seqlensK = g.o('Cast', [g.o('Sub', [g.o('ReduceSum', ['attention_mask', g.i64('axes_1', [1])], { keepdims: 0 }), g.i64('one', [1], [])])], { to: I32 });
    const total = g.o('Cast', [g.o('Gather', [g.o('Shape', ['attention_mask']), g.i64('one_s', [1], [])], { axis: 0 })], { to: I32 });
    const fusedW = (names: string[], ns: number[], K: number, label: string) => {
      const N = ns.reduce((s, n) => s + n, 0), t = new Float32Array(K * N);
      let off = 0;
      names.forEach((nm, i) => {
        const Wt = transposed(tensor(nm), ns[i], K);
        for (let k = 0; k < K; k++) t.set(Wt.subarray(k * ns[i], (k + 1) * ns[i]), k * N + off);
        off += ns[i];
      });
      return g.f32(label, [K, N], t);
    };
    let residual: string | null = null;
    let h = '';
    const norm = (weight: string) => {
      if (residual === null) {
        h = g.o('SimplifiedLayerNormalization', [x, weight], { axis: -1, epsilon: eps, stash_type: 1 });
      } else {
        const [y, sum] = [g.fresh('skip_norm'), g.fresh('skip_sum')];
        g.op('SkipSimplifiedLayerNormalization', [residual, x, weight], { epsilon: eps }, [y, '', '', sum], 4, 'com.microsoft');
        h = y;
        x = sum;
      }
      return h;
    };
    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`, a = p + 'self_attn.';
      norm(w(p + 'input_layernorm.weight', H));
      let qkv = g.o('MatMul', [h, fusedW([a + 'q_proj.weight', a + 'k_proj.weight', a + 'v_proj.weight'], [qDim, kvDim, kvDim], H, a + 'qkv_proj.weight_t')]);
      if (c.attentionBias) qkv = g.o('Add', [qkv, g.f32(a + 'qkv_proj.bias', [qDim + 2 * kvDim], Float32Array.from([...tensor(a + 'q_proj.bias'), ...tensor(a + 'k_proj.bias'), ...tensor(a + 'v_proj.bias')]))]);
      const [att] = g.op(
        'GroupQueryAttention',
        [qkv, '', '', `past_key_values.${l}.key`, `past_key_values.${l}.value`, seqlensK, total, cosC, sinC],
        { num_heads: nH, kv_num_heads: nKV, do_rotary: 1, rotary_interleaved: 0, scale: 1 / Math.sqrt(D) },
        [`attn_${l}`, `present.${l}.key`, `present.${l}.value`],
        3,
        'com.microsoft',
      );
      present.push(`present.${l}.key`, `present.${l}.value`);
      residual = x;
      x = lin(att, a + 'o_proj', H, qDim, c.oProjBias ? a + 'o_proj' : undefined);
      norm(w(p + 'post_attention_layernorm.weight', H));
      const gu = g.o('MatMul', [h, fusedW([p + 'mlp.gate_proj.weight', p + 'mlp.up_proj.weight'], [I, I], H, p + 'mlp.gate_up_proj.weight_t')]);
      const [gate, up] = g.op('Split', [gu, g.i64(`${p}split`, [I, I])], { axis: -1 }, undefined, 2);
      residual = x;
      x = lin(g.o('Mul', [g.o('Mul', [gate, g.o('Sigmoid', [gate])]), up]), p + 'mlp.down_proj', H, I);
    }
    x = norm(w('model.norm.weight', H));
  }
  const lmHeadT = c.tieWordEmbeddings ? g.o('Transpose', [embed], { perm: [1, 0] }) : g.f32('lm_head.weight_t', [H, V], transposed(tensor('lm_head.weight'), V, H));
  g.o('MatMul', [x, lmHeadT], {}, 'logits');

  const past = (l: number, kv: string) => io(`past_key_values.${l}.${kv}`, F32, ['batch_size', nKV, 'past_sequence_length', D]);
  const pres = (l: number, kv: string) => io(`present.${l}.${kv}`, F32, ['batch_size', nKV, 'total_sequence_length', D]);
  const layers = Array.from({ length: c.numLayers }, (_, l) => l);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: `adapter-atlas bench/onnx-llama.ts (${kind})`,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: `${c.arch}_${kind}`,
      node: g.nodes,
      initializer: g.inits,
      input: [
        io('input_ids', I64, ['batch_size', 'sequence_length']),
        io('attention_mask', I64, ['batch_size', 'total_sequence_length']),
        io('position_ids', I64, ['batch_size', 'sequence_length']),
        ...layers.flatMap((l) => [past(l, 'key'), past(l, 'value')]),
      ],
      output: [io('logits', F32, ['batch_size', 'sequence_length', V]), ...layers.flatMap((l) => [pres(l, 'key'), pres(l, 'value')])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Write `outDir` as an ONNX repo of the model in `modelDir` (config.json, model.safetensors, tokenizer files): the
 * same config and tokenizer, and onnx/model.onnx. Returns outDir; an existing export of the same kind is kept.
 */
export function exportOnnxRepo(modelDir: string, outDir: string, kind: OnnxGraphKind = 'standard'): string {
  const onnxFile = join(outDir, 'onnx', 'model.onnx');
  const stamp = join(outDir, 'onnx', 'kind.txt');
  if (existsSync(onnxFile) && existsSync(stamp) && readFileSync(stamp, 'utf8') === kind) return outDir;
  const c = parseConfig(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  const st = parseSafetensors(readFileSync(join(modelDir, 'model.safetensors')));
  const tensor = (name: string) => {
    const info = st.tensors.get(name);
    if (!info) throw new Error(`${modelDir}/model.safetensors has no tensor "${name}"`);
    return tensorToF32(st, info);
  };
  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  writeFileSync(onnxFile, llamaOnnx(c, tensor, kind));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) if (existsSync(join(modelDir, f))) copyFileSync(join(modelDir, f), join(outDir, f));
  // transformers.js asks for generation_config.json, and a static server may answer a missing one with a page
  if (!existsSync(join(modelDir, 'generation_config.json'))) writeFileSync(join(outDir, 'generation_config.json'), JSON.stringify({ bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds }));
  writeFileSync(stamp, kind);
  return outDir;
}
