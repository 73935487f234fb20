// Random models with real models' shapes, in Hugging Face format (the hub is not reachable here): SmolLM2-135M's,
// made with the fixtures' own generator, and the larger Qwen2.5-0.5B's and Llama-3.2-1B's, written a layer per
// F16 shard (the whole of a 1B model never sits in memory at once; uniform values, a speed benchmark's inputs).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type WriteTensor } from '../src/model/safetensors';
import { makeConfig, makeTokenizer, makeWeights, SPECS, type ModelSpec } from '../scripts/make-test-models';
import { SMOL } from './core';
import { lcg } from './lcg';

export const SMOL_SPEC: ModelSpec = {
  ...SPECS.default,
  seed: 135,
  hidden: SMOL.hidden,
  intermediate: SMOL.intermediate,
  layers: SMOL.layers,
  heads: SMOL.heads,
  kvHeads: SMOL.kvHeads,
  headDim: SMOL.headDim,
  ropeTheta: 100000,
  tie: true,
  dtype: 'F32',
};

export function writeSmolShaped(dir: string): string {
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  mkdirSync(dir, { recursive: true });
  const tok = makeTokenizer();
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(makeWeights(SMOL_SPEC, SMOL.vocab)));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(makeConfig(SMOL_SPEC, tok, SMOL.vocab)));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
  return dir;
}

/** The larger shapes the bench reports (their config.json on the hub): spec and vocabulary. */
export const LARGE_SHAPES: Record<'qwen2.5-0.5b' | 'llama-3.2-1b', { name: string; spec: ModelSpec; vocab: number }> = {
  'qwen2.5-0.5b': {
    name: 'Qwen2.5-0.5B-shaped (random)',
    spec: { ...SPECS.default, arch: 'Qwen2ForCausalLM', seed: 500, hidden: 896, intermediate: 4864, layers: 24, heads: 14, kvHeads: 2, headDim: 64, rmsNormEps: 1e-6, ropeTheta: 1e6, ropeScaling: null, tie: true, dtype: 'F16', eosList: false },
    vocab: 151936,
  },
  'llama-3.2-1b': {
    name: 'Llama-3.2-1B-shaped (random)',
    spec: {
      ...SPECS.default, arch: 'LlamaForCausalLM', seed: 1000, hidden: 2048, intermediate: 8192, layers: 16, heads: 32, kvHeads: 8, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 500000,
      ropeScaling: { factor: 32.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' }, tie: true, dtype: 'F16', eosList: true,
    },
    vocab: 128256,
  },
};

/** One of LARGE_SHAPES as a sharded F16 checkpoint in `dir` (kept: written once). */
export function writeLargeShaped(dir: string, shape: keyof typeof LARGE_SHAPES): string {
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) return dir;
  const { spec, vocab } = LARGE_SHAPES[shape];
  mkdirSync(dir, { recursive: true });
  const tok = makeTokenizer();
  const H = spec.hidden, I = spec.intermediate, qDim = spec.heads * spec.headDim, kvDim = spec.kvHeads * spec.headDim;
  let seed = spec.seed;
  /** uniform with the std of gain/sqrt(fanIn), as the fixtures' projections */
  const t = (shape: number[], gain: number, fanIn: number): WriteTensor => ({ shape, data: lcg(shape.reduce((a, b) => a * b, 1), (gain / Math.sqrt(fanIn)) * Math.sqrt(3), seed++), dtype: 'F16' });
  const norm = (n: number): WriteTensor => ({ shape: [n], data: Float32Array.from(lcg(n, 0.1, seed++), (v) => 1 + v), dtype: 'F16' });
  const weightMap: Record<string, string> = {};
  let total = 0;
  const shards = spec.layers + 1;
  const shardName = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
  const write = (i: number, tensors: Record<string, WriteTensor>) => {
    for (const [n, w] of Object.entries(tensors)) {
      weightMap[n] = shardName(i);
      total += 2 * w.data.length;
    }
    writeFileSync(join(dir, shardName(i)), writeSafetensors(tensors, { format: 'pt' }));
  };
  write(0, { 'model.embed_tokens.weight': t([vocab, H], 1, 40), 'model.norm.weight': norm(H) });
  for (let l = 0; l < spec.layers; l++) {
    const p = `model.layers.${l}`;
    const bias = spec.arch === 'Qwen2ForCausalLM';
    write(l + 1, {
      [`${p}.input_layernorm.weight`]: norm(H),
      [`${p}.self_attn.q_proj.weight`]: t([qDim, H], 1, H),
      ...(bias ? { [`${p}.self_attn.q_proj.bias`]: t([qDim], 0.2, 1) } : {}),
      [`${p}.self_attn.k_proj.weight`]: t([kvDim, H], 1, H),
      ...(bias ? { [`${p}.self_attn.k_proj.bias`]: t([kvDim], 0.2, 1) } : {}),
      [`${p}.self_attn.v_proj.weight`]: t([kvDim, H], 0.6, H),
      ...(bias ? { [`${p}.self_attn.v_proj.bias`]: t([kvDim], 0.2, 1) } : {}),
      [`${p}.self_attn.o_proj.weight`]: t([H, qDim], 0.3, qDim),
      [`${p}.post_attention_layernorm.weight`]: norm(H),
      [`${p}.mlp.gate_proj.weight`]: t([I, H], 0.6, H),
      [`${p}.mlp.up_proj.weight`]: t([I, H], 0.6, H),
      [`${p}.mlp.down_proj.weight`]: t([H, I], 0.3, I),
    });
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(makeConfig(spec, tok, vocab)));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
  const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
  writeFileSync(index, JSON.stringify({ metadata: { total_size: total }, weight_map: sorted }));
  return dir;
}
