// A random model with SmolLM2-135M's shapes, in Hugging Face format (the hub is not reachable here).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type WriteTensor } from '../src/model/safetensors';
import { makeTokenizer } from '../scripts/make-test-models';
import { SMOL, lcg } from './core';

export function writeSmolShaped(dir: string): string {
  if (existsSync(join(dir, 'model.safetensors'))) return dir;
  mkdirSync(dir, { recursive: true });
  const tok = makeTokenizer();
  const H = SMOL.hidden, D = SMOL.headDim, I = SMOL.intermediate;
  const t: Record<string, WriteTensor> = {};
  let seed = 7;
  const m = (r: number, c: number, s = 0.04): WriteTensor => ({ shape: [r, c], data: lcg(r * c, s, seed++) });
  const v = (n: number): WriteTensor => ({ shape: [n], data: Float32Array.from(lcg(n, 0.1, seed++), (x) => 1 + x) });
  t['model.embed_tokens.weight'] = m(SMOL.vocab, H, 0.5);
  for (let l = 0; l < SMOL.layers; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(t, {
      [p + 'input_layernorm.weight']: v(H),
      [p + 'self_attn.q_proj.weight']: m(SMOL.heads * D, H),
      [p + 'self_attn.k_proj.weight']: m(SMOL.kvHeads * D, H),
      [p + 'self_attn.v_proj.weight']: m(SMOL.kvHeads * D, H),
      [p + 'self_attn.o_proj.weight']: m(H, SMOL.heads * D),
      [p + 'post_attention_layernorm.weight']: v(H),
      [p + 'mlp.gate_proj.weight']: m(I, H),
      [p + 'mlp.up_proj.weight']: m(I, H),
      [p + 'mlp.down_proj.weight']: m(H, I),
    });
  }
  t['model.norm.weight'] = v(H);
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: H, intermediate_size: I,
      num_hidden_layers: SMOL.layers, num_attention_heads: SMOL.heads, num_key_value_heads: SMOL.kvHeads,
      vocab_size: SMOL.vocab, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true,
      max_position_embeddings: 8192, bos_token_id: 0, eos_token_id: 0,
    }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
  return dir;
}
