// The app's embedded default (public/models/default): a tiny Llama whose weights are *constructed*, not
// trained, so that it writes readable English-like text offline. A later issue replaces it with a
// model the project trains.
//
// Construction: a token-bigram model P(next | current) counted on the small corpus below, placed in
// the transformer so the forward pass computes it exactly:
//   embed[x]    = √H · e_slot(x)             (one-hot, so RMSNorm leaves it unchanged)
//   lm_head[v]  = log P(v | slot) / √H       (logits = lm_head · norm(x) = log P(v | x))
// The corpus ends with one "Answer: X" line per option letter (no other line has " I": the pronoun would
// share the letter's token), so after "Answer:" the letters A to J
// are equally likely: a multiple-choice question starts from a flat prior that an adapter can move.
// The synthetic world's words are in the vocabulary too (see worldText).
// The attention and MLP blocks carry small random weights (their residual contribution is ~1% of the
// embedding's) so every kernel still does real work and slightly perturbs the distribution.
//
//   npx tsx scripts/make-default-model.ts [outDir]     (deterministic)
import { mkdirSync, writeFileSync } from 'node:fs';
import { isMainModule } from './is-main';
import { join, resolve } from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { writeSafetensors, type WriteTensor } from '../src/model/safetensors';
import { bytesToUnicode, makeConfig, makeGenerationConfig, makeTokenizer, mulberry32, type ModelSpec } from './make-test-models';
import { generateWorld, worldConfig, QUESTIONS } from '../src/data';
import { linearize } from '../src/condition/profile';
import { multipleChoicePrompt } from '../src/adapters/session';

const CORPUS = `
People in every country care about family, work and the future of their children.
In many places family comes first, and elders are asked for advice before a big decision.
In other places people value independence, and young adults leave home early to find their own way.
Religion gives meaning to life for many people, while others find meaning in friends, art or nature.
Some societies stress tradition, respect for authority and national pride.
Others stress personal freedom, tolerance and the right to speak one's mind.
When life is hard, people put safety and income first; when life is secure, they ask for a voice.
A farmer in one country and a teacher in another may give very different answers to the same question.
That is why a model should listen to who is asking, and not give everyone the same answer.
We think hard work usually brings a better life, but luck and fairness matter too.
We believe that women and men should have the same chances at work and in school.
We would say that trust in other people is the start of a good community.
Most people here would say that honesty is important, and that children should learn good manners.
Some people think that the government should take more responsibility, others think people should.
It depends on where you live, how old you are, and what you believe.
Thank you for the question. Here is what we think.
Answer: A
Answer: B
Answer: C
Answer: D
Answer: E
Answer: F
Answer: G
Answer: H
Answer: I
Answer: J
`;

/**
 * The synthetic world's words (profiles, questions, options): in the vocabulary, so a survey prompt is
 * ~60 word tokens instead of ~200 bytes, but not in the bigram counts (they would need more slots than
 * the hidden size has). Each such token gets its own small random vector in the hidden dimensions no
 * slot uses: lm_head ignores those dimensions, so the bigram output is unchanged, while attention and
 * adapters can still tell the words apart.
 */
function worldText(): string {
  const w = generateWorld(worldConfig('default', { participantsPerCountry: 20 }));
  const lines = new Set<string>();
  for (const p of w.participants) lines.add(linearize(p.profile));
  for (const q of QUESTIONS) lines.add(multipleChoicePrompt(q.text, [...q.options]).replace(/\n/g, ' '));
  return [...lines].join('\n');
}

export const DEFAULT_SPEC: ModelSpec = {
  arch: 'LlamaForCausalLM', seed: 2024, hidden: 256, intermediate: 256, layers: 4, heads: 4, kvHeads: 2, headDim: 64,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeScaling: null, tie: false, dtype: 'BF16', eosList: false,
};

/**
 * Merges that make every corpus word one token: each word grows from its first symbol one byte at a
 * time (Ġ, Ġf, Ġfa, …). All merges extend a word-initial prefix, so they never compete inside a word.
 */
function wordMerges(corpus: string): [string, string][] {
  const b2u = bytesToUnicode();
  const enc = new TextEncoder();
  // GPT-2's pre-tokenizer pattern (the ByteLevel pre_tokenizer with use_regex)
  const re = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const merges: [string, string][] = [];
  const seen = new Set<string>();
  for (const line of corpus.trim().split('\n')) {
    for (const piece of (' ' + line.trim()).match(re) ?? []) {
      const syms = [...enc.encode(piece)].map((b) => b2u.get(b)!);
      let cur = syms[0];
      for (const s of syms.slice(1)) {
        const key = cur + ' ' + s;
        if (!seen.has(key)) {
          seen.add(key);
          merges.push([cur, s]);
        }
        cur += s;
      }
    }
  }
  return merges;
}

export function makeDefaultModel(dir: string): string {
  const spec = DEFAULT_SPEC;
  const tok = makeTokenizer(wordMerges(CORPUS + '\n' + worldText()));
  const tokenizer = new PreTrainedTokenizer(tok.tokenizerJSON, tok.tokenizerConfig);
  const V = tok.size, H = spec.hidden;
  const { imStart, imEnd } = tok.ids;
  const assistantStart = tokenizer.encode('assistant\n', { add_special_tokens: false });

  // Bigram counts over "…<|im_start|>assistant\n{sentence}<|im_end|>" so a chat prompt flows into text.
  const counts = new Map<number, Map<number, number>>();
  const add = (a: number, b: number) => {
    const row = counts.get(a) ?? new Map<number, number>();
    row.set(b, (row.get(b) ?? 0) + 1);
    counts.set(a, row);
  };
  for (const line of CORPUS.trim().split('\n')) {
    const ids = [imStart, ...assistantStart, ...tokenizer.encode(' ' + line.trim(), { add_special_tokens: false }), imEnd];
    for (let i = 0; i + 1 < ids.length; i++) add(ids[i], ids[i + 1]);
  }
  // Slots: one per token seen as a predecessor; every other token shares the last slot (unigram fallback).
  const prev = [...counts.keys()].sort((a, b) => a - b);
  if (prev.length >= H) throw new Error(`corpus has ${prev.length} distinct predecessors, more than hidden ${H}`);
  const slotOf = new Map(prev.map((id, s) => [id, s]));
  const fallback = prev.length;
  const unigram = new Map<number, number>();
  for (const row of counts.values()) for (const [b, n] of row) unigram.set(b, (unigram.get(b) ?? 0) + n);
  const seenNext = [...unigram.keys()];

  const sqrtH = Math.sqrt(H);
  const embed = new Float32Array(V * H);
  const free = H - fallback - 1; // hidden dimensions after the fallback slot: no lm_head row reads them
  const noise = mulberry32(spec.seed + 1);
  for (let v = 0; v < V; v++) {
    const slot = slotOf.get(v);
    embed[v * H + (slot ?? fallback)] = sqrtH;
    // a token without a slot of its own: a distinct direction in the free dimensions (norm 0.25·√H)
    if (slot === undefined && free > 0) for (let d = fallback + 1; d < H; d++) embed[v * H + d] = ((noise() * 2 - 1) * Math.sqrt(3) * 0.25 * sqrtH) / Math.sqrt(free);
  }
  const lmHead = new Float32Array(V * H).fill(-30 / sqrtH); // never-seen tokens: probability ~e^-30
  const logRow = (row: Map<number, number>, slot: number) => {
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    // add-0.01 smoothing over tokens that occur in the corpus, so sampling can wander a little
    const z = total + 0.01 * seenNext.length;
    for (const v of seenNext) lmHead[v * H + slot] = Math.log(((row.get(v) ?? 0) + 0.01) / z) / sqrtH;
  };
  for (const [a, row] of counts) logRow(row, slotOf.get(a)!);
  logRow(unigram, fallback);
  // Every token's lm_head row also gets a random part in the free dimensions. The bigram never reads it
  // (no slot token has a free-dimension component), but an adapter that writes there can move each token
  // on its own: without it the answer letters B–J, which the corpus only ever shows after "Answer:", have
  // identical rows and no residual change could tell them apart.
  const headNoise = mulberry32(spec.seed + 2);
  if (free > 0) for (let v = 0; v < V; v++) for (let d = fallback + 1; d < H; d++) lmHead[v * H + d] = ((headNoise() * 2 - 1) * Math.sqrt(3)) / sqrtH;

  const rng = mulberry32(spec.seed);
  const small = (shape: number[], std: number): WriteTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rng() * 2 - 1) * std * Math.sqrt(3);
    return { shape, data, dtype: spec.dtype };
  };
  const ones = (n: number): WriteTensor => ({ shape: [n], data: new Float32Array(n).fill(1), dtype: spec.dtype });
  const qDim = spec.heads * spec.headDim, kvDim = spec.kvHeads * spec.headDim, I = spec.intermediate;
  const w: Record<string, WriteTensor> = { 'model.embed_tokens.weight': { shape: [V, H], data: embed, dtype: spec.dtype } };
  for (let l = 0; l < spec.layers; l++) {
    const p = `model.layers.${l}`;
    Object.assign(w, {
      [`${p}.input_layernorm.weight`]: ones(H),
      [`${p}.self_attn.q_proj.weight`]: small([qDim, H], 1 / sqrtH),
      [`${p}.self_attn.k_proj.weight`]: small([kvDim, H], 1 / sqrtH),
      [`${p}.self_attn.v_proj.weight`]: small([kvDim, H], 1 / sqrtH),
      [`${p}.self_attn.o_proj.weight`]: small([H, qDim], 0.01 / Math.sqrt(qDim)),
      [`${p}.post_attention_layernorm.weight`]: ones(H),
      [`${p}.mlp.gate_proj.weight`]: small([I, H], 1 / sqrtH),
      [`${p}.mlp.up_proj.weight`]: small([I, H], 1 / sqrtH),
      [`${p}.mlp.down_proj.weight`]: small([H, I], 0.01 / Math.sqrt(I)),
    });
  }
  w['model.norm.weight'] = ones(H);
  w['lm_head.weight'] = { shape: [V, H], data: lmHead, dtype: spec.dtype };

  mkdirSync(dir, { recursive: true });
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  writeFileSync(join(dir, 'config.json'), json(makeConfig(spec, tok)));
  writeFileSync(join(dir, 'generation_config.json'), json(makeGenerationConfig(tok)));
  writeFileSync(join(dir, 'tokenizer.json'), json(tok.tokenizerJSON));
  writeFileSync(join(dir, 'tokenizer_config.json'), json(tok.tokenizerConfig));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(w, { format: 'pt', note: 'constructed token-bigram model, see scripts/make-default-model.ts' }));
  return dir;
}

if (isMainModule(import.meta.url, 'make-default-model')) {
  const dir = resolve(process.argv[2] ?? 'public/models/default');
  makeDefaultModel(dir);
  console.log(`wrote the default model to ${dir}`);
}
