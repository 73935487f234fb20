// The CUMA Table 1 experiment on the synthetic world: persona prompting, dense LoRA and Zhyper diag trained
// on the world's answers (10:1 random split over responses), evaluated on the held-out answers.
//
//   prompt (plain, no chat template):  "<question>\nA. <option>\nB. <option>\n…\nAnswer:"  → the letter " A"
//   persona prompting:   "<linearized profile>\n\n" + prompt, the backbone alone, nothing trained
//   lora:                the prompt alone (no condition), LoRA on q, v trained on the answers
//   zhyper-diag:         the prompt alone, the condition c = encoder(linearize(profile)) through the hypernetwork
//
// The answer letter must be ONE token. The preferred form is " A" after "Answer:"; a tokenizer that splits
// " A" into " " + "A" (byte-level fixtures) gets the space at the end of the prompt ("Answer: ") and "A" as
// the answer token, provided that "Answer: A" tokenizes as "Answer: " followed by "A". Otherwise: an error.
//
// Metrics per method, on the test answers: accuracy and macro-F1 of the argmax over the question's option
// letters against the sampled answer; EMD (normalized Wasserstein-1) between the model's option distribution
// and the exact P*(· | question, profile), averaged over test answers; the mean entropy (nats) of the model's
// option distribution; trainable parameters as a % of the backbone's; wall time.
import type { Runtime } from '../model/runtime';
import type { Encoder } from '../adapters/session';
import { multipleChoicePrompt, OPTION_LETTERS } from '../adapters/session';
import { createAdapter, defaultSpec } from '../adapters/create';
import { countParams, type AdapterSpec } from '../adapters/types';
import { Trainer, type TrainExample } from '../train/step';
import { warmupCosine } from '../train/optim';
import { generateWorld, worldConfig, randomSplit, trueDistribution, QUESTIONS, type World, type WorldConfig } from '../data';
import { linearize } from '../condition/profile';
import { accuracy, macroF1, emd, entropy, trainableShare } from '../eval';
import { mulberry32 } from '../model/sampling';

export type TrainableMethod = 'persona-prompting' | 'lora' | 'zhyper-diag';
export const TRAINABLE_METHODS: readonly TrainableMethod[] = ['persona-prompting', 'lora', 'zhyper-diag'];
export type SkippedMethod = 'cuma' | 'zhyper-square' | 'cuma-semantic' | 'cuma-soft';
export const SKIPPED_METHODS: readonly SkippedMethod[] = ['cuma', 'zhyper-square', 'cuma-semantic', 'cuma-soft'];
export const SKIP_REASON = 'no backward yet (issue 4)';

export const METHOD_NAMES: Record<TrainableMethod | SkippedMethod, string> = {
  'persona-prompting': 'Persona prompting',
  lora: 'LoRA (dense, no condition)',
  'zhyper-diag': 'Zhyper (diag)',
  'zhyper-square': 'Zhyper (square)',
  cuma: 'CUMA (top-2 of 8)',
  'cuma-semantic': 'CUMA semantic-only router',
  'cuma-soft': 'CUMA soft routing',
};

export interface ExperimentConfig {
  preset: 'quick' | 'default';
  seed: number;
  methods: TrainableMethod[];
  /** optimizer steps per trained method */
  steps: number;
  batchSize: number;
  /** peak learning rate (linear warmup over 10% of the steps, cosine decay) */
  lr: number;
  world: WorldConfig;
  /** at most this many training answers (a seeded sample of the train split); null: all */
  maxExamples: number | null;
  /** at most this many test answers; null: all */
  maxTest?: number | null;
  /** keep only questions with at most this many options (letters past D are often 2 tokens) */
  maxOptions?: number | null;
}

/** A preset's configuration with overrides. */
export function experimentConfig(preset: 'quick' | 'default' = 'quick', o: Partial<ExperimentConfig> = {}): ExperimentConfig {
  const seed = o.seed ?? 1;
  const base: ExperimentConfig =
    preset === 'quick'
      ? { preset, seed, methods: [...TRAINABLE_METHODS], steps: 40, batchSize: 8, lr: 2e-3, world: worldConfig('quick', { seed }), maxExamples: 512, maxTest: 128, maxOptions: null }
      : { preset, seed, methods: [...TRAINABLE_METHODS], steps: 300, batchSize: 16, lr: 1e-3, world: worldConfig('default', { seed }), maxExamples: null, maxTest: null, maxOptions: null };
  return { ...base, ...o };
}

export interface MethodRow {
  method: TrainableMethod;
  label: string;
  acc: number;
  macroF1: number;
  emd: number;
  /** mean entropy of the model's option distributions, nats */
  entropy: number;
  /** trainable parameters as % of the backbone's */
  paramsPct: number;
  trainableParams: number;
  wallSeconds: number;
  nTrain: number;
  nTest: number;
  /** training losses, one per step (empty for persona prompting) */
  losses: number[];
}
export interface SkippedRow {
  method: SkippedMethod;
  label: string;
  skipped: string;
}
export type ResultRow = MethodRow | SkippedRow;

export interface Results {
  config: ExperimentConfig;
  model: { label: string; architecture: string; numParams: number };
  encoder: { id: string; dim: number };
  /** how the answer letter is appended: " A" after "Answer:", or "A" after "Answer: " */
  answerForm: 'space-letter' | 'letter';
  rows: ResultRow[];
  table: string;
}

export type Progress =
  | { method: string; phase: 'prepare' | 'evaluate' | 'done' }
  | { method: string; phase: 'train'; step: number; steps: number; loss: number };

/** One answer of the world as token ids: prompt ids (the letter's prediction is at its last token). */
interface Item {
  response: number;
  question: number;
  answer: number;
  K: number;
  profileText: string;
}

function checkConfig(c: ExperimentConfig): void {
  const posInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
  };
  posInt(c.steps, 'steps');
  posInt(c.batchSize, 'batchSize');
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new Error(`lr must be a positive number, got ${c.lr}`);
  if (c.maxExamples != null) posInt(c.maxExamples, 'maxExamples');
  if (c.maxTest != null) posInt(c.maxTest, 'maxTest');
  if (c.maxOptions != null && (!Number.isInteger(c.maxOptions) || c.maxOptions < 2)) throw new Error(`maxOptions must be an integer ≥ 2, got ${c.maxOptions}`);
  if (c.methods.length === 0) throw new Error('no methods to run');
  for (const m of c.methods) if (!TRAINABLE_METHODS.includes(m)) throw new Error(`unknown method "${m}" (one of ${TRAINABLE_METHODS.join(', ')})`);
}

/**
 * How the answer letter follows the prompt, and each letter's token id, for this tokenizer; throws when
 * a letter is not one token in either form.
 */
export function answerTokens(encode: (text: string) => number[], K: number): { form: Results['answerForm']; ids: number[] } {
  const letters = OPTION_LETTERS.slice(0, K).split('');
  const spaced = letters.map((l) => encode(` ${l}`));
  if (spaced.every((t) => t.length === 1)) return { form: 'space-letter', ids: spaced.map((t) => t[0]) };
  const bare = letters.map((l) => encode(l));
  const stem = encode('Answer: ');
  const clean = bare.every((t, i) => {
    if (t.length !== 1) return false;
    const whole = encode(`Answer: ${letters[i]}`);
    return whole.length === stem.length + 1 && stem.every((id, j) => whole[j] === id) && whole[stem.length] === t[0];
  });
  if (clean) return { form: 'letter', ids: bare.map((t) => t[0]) };
  const bad = letters.find((_, i) => spaced[i].length !== 1)!;
  throw new Error(
    `the answer letter " ${bad}" is ${spaced[letters.indexOf(bad)].length} tokens for this tokenizer (and "Answer: ${bad}" does not split into "Answer: " + "${bad}"): ` +
      `each option letter must be one token; keep questions with fewer options (maxOptions, CLI --max-options)`,
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Run the experiment: every method in config.methods on the same split, plus the skipped methods' rows. */
export async function runExperiment(rt: Runtime, encoder: Encoder, config: ExperimentConfig, onProgress?: (p: Progress) => void): Promise<Results> {
  checkConfig(config);
  const tok = rt.tokenizer, model = rt.model, summary = rt.summary;
  if (!tok || !model || !summary) throw new Error('no model is loaded');
  let world: World;
  if (config.maxOptions != null) {
    const max = config.maxOptions;
    const ids = (config.world.questionIds ?? QUESTIONS.map((q) => q.id)).filter((id) => (QUESTIONS.find((q) => q.id === id)?.options.length ?? Infinity) <= max);
    if (ids.length === 0) throw new Error(`no question has at most ${max} options`);
    world = generateWorld({ ...config.world, questionIds: ids });
  } else world = generateWorld(config.world);
  if (world.responses.length < 2) throw new Error(`the world has ${world.responses.length} answers; the 10:1 split needs at least 2`);

  // the split (10:1 over responses), then seeded samples of at most maxExamples / maxTest answers
  const split = randomSplit(world, { seed: config.seed, ratio: 10 });
  const rng = mulberry32(config.seed ^ 0x5eed);
  const sample = (idx: number[], max: number | null | undefined) => {
    const xs = [...idx];
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return max != null && xs.length > max ? xs.slice(0, max) : xs;
  };
  const trainIdx = sample(split.train, config.maxExamples);
  const testIdx = sample(split.test, config.maxTest);
  if (trainIdx.length === 0 || testIdx.length === 0) throw new Error(`the split left ${trainIdx.length} training and ${testIdx.length} test answers; use a larger world`);

  const item = (r: number): Item => {
    const resp = world.responses[r];
    const q = world.questions[resp.question];
    return { response: r, question: resp.question, answer: resp.answer, K: q.options.length, profileText: linearize(world.participants[resp.participant].profile) };
  };
  const train = trainIdx.map(item), test = testIdx.map(item);

  const maxK = Math.max(...world.questions.map((q) => q.options.length));
  const encode = (t: string) => tok.encode(t, false);
  const { form, ids: letterIds } = answerTokens(encode, maxK);
  const prompt = (it: Item, persona: boolean) => {
    const q = world.questions[it.question];
    const body = multipleChoicePrompt(q.text, [...q.options]);
    return (persona ? `${it.profileText}\n\n` : '') + (form === 'letter' ? `${body} ` : body);
  };
  const promptCache = new Map<string, number[]>();
  const promptIds = (it: Item, persona: boolean): number[] => {
    const text = prompt(it, persona);
    let ids = promptCache.get(text);
    if (!ids) promptCache.set(text, (ids = rt.encodePrompt(text, false)));
    return ids;
  };
  const example = (it: Item, persona: boolean, condition?: Float32Array): TrainExample => {
    const ids = promptIds(it, persona);
    const y = letterIds[it.answer];
    return { ids: [...ids, y], answerPositions: [ids.length - 1], targets: [y], condition };
  };

  // condition embeddings of the distinct profiles, once (only Zhyper reads them)
  const conds = new Map<string, Float32Array>();
  if (config.methods.includes('zhyper-diag')) {
    const texts = [...new Set([...train, ...test].map((it) => it.profileText))];
    for (let i = 0; i < texts.length; i += 64) {
      const chunk = texts.slice(i, i + 64);
      const vs = await encoder.embed(chunk);
      chunk.forEach((t, j) => conds.set(t, vs[j]));
    }
  }

  const rows: ResultRow[] = [];
  for (const method of config.methods) {
    const t0 = performance.now();
    onProgress?.({ method, phase: 'prepare' });
    let probs: number[][];
    let losses: number[] = [];
    let trainable = 0;
    if (method === 'persona-prompting') {
      rt.attachAdapter(null);
      onProgress?.({ method, phase: 'evaluate' });
      probs = [];
      for (const it of test) {
        probs.push((await rt.optionProbs(promptIds(it, true), letterIds.slice(0, it.K).map((id) => [id]))).probs);
      }
    } else {
      const spec: AdapterSpec = method === 'lora' ? defaultSpec('lora', encoder.dim) : { ...defaultSpec('zhyper', encoder.dim), encoderId: encoder.id };
      const adapter = createAdapter(spec, rt.dims(), config.seed, 'train');
      trainable = countParams(adapter);
      rt.attachAdapter(adapter);
      const trainer = new Trainer(model, {
        lr: warmupCosine({ peak: config.lr, warmupSteps: Math.max(1, Math.round(config.steps / 10)), totalSteps: config.steps }),
        maxAnswerTokens: 1,
      });
      try {
        const cond = (it: Item) => (method === 'zhyper-diag' ? conds.get(it.profileText)! : undefined);
        const trainEx = train.map((it) => example(it, false, cond(it)));
        const order: number[] = [];
        const batchRng = mulberry32(config.seed * 7919 + 1);
        for (let s = 1; s <= config.steps; s++) {
          const batch: TrainExample[] = [];
          while (batch.length < Math.min(config.batchSize, trainEx.length)) {
            if (order.length === 0) {
              const perm = trainEx.map((_, i) => i);
              for (let i = perm.length - 1; i > 0; i--) {
                const j = Math.floor(batchRng() * (i + 1));
                [perm[i], perm[j]] = [perm[j], perm[i]];
              }
              order.push(...perm);
            }
            batch.push(trainEx[order.shift()!]);
          }
          const r = await trainer.step(batch);
          losses.push(r.loss);
          onProgress?.({ method, phase: 'train', step: s, steps: config.steps, loss: r.loss });
        }
        onProgress?.({ method, phase: 'evaluate' });
        probs = new Array<number[]>(test.length);
        // evaluate per question: the option letters differ in number between questions
        const byQ = new Map<number, number[]>();
        test.forEach((it, i) => byQ.set(it.question, [...(byQ.get(it.question) ?? []), i]));
        for (const [, idx] of byQ) {
          const K = test[idx[0]].K;
          const out = await trainer.evaluate(idx.map((i) => example(test[i], false, cond(test[i]))), letterIds.slice(0, K));
          idx.forEach((i, j) => (probs[i] = out[j].probs));
        }
      } finally {
        trainer.destroy();
        rt.attachAdapter(null);
      }
    }
    const pred = probs.map((p) => p.indexOf(Math.max(...p)));
    const gold = test.map((it) => it.answer);
    const truth = test.map((it) => Array.from(trueDistribution(world, it.question, world.participants[world.responses[it.response].participant].profile)));
    rows.push({
      method,
      label: METHOD_NAMES[method],
      acc: accuracy(pred, gold),
      macroF1: macroF1(pred, gold, Math.max(...test.map((it) => it.K))),
      emd: mean(probs.map((p, i) => emd(p, truth[i]))),
      entropy: mean(probs.map((p) => entropy(p))),
      paramsPct: trainableShare(trainable, summary.numParams),
      trainableParams: trainable,
      wallSeconds: (performance.now() - t0) / 1000,
      nTrain: method === 'persona-prompting' ? 0 : train.length,
      nTest: test.length,
      losses,
    });
    losses = [];
    onProgress?.({ method, phase: 'done' });
  }
  for (const method of SKIPPED_METHODS) rows.push({ method, label: METHOD_NAMES[method], skipped: SKIP_REASON });

  return {
    config,
    model: { label: summary.label, architecture: summary.architecture, numParams: summary.numParams },
    encoder: { id: encoder.id, dim: encoder.dim },
    answerForm: form,
    rows,
    table: markdownTable(rows),
  };
}


export function isSkipped(r: ResultRow): r is SkippedRow {
  return 'skipped' in r;
}

/** CUMA Table 1's shape: Method | Acc | Macro-F1 | EMD | Entropy | Params %. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const lines = ['| Method | Acc ↑ | Macro-F1 ↑ | EMD ↓ | Entropy | Params % |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    if (isSkipped(r)) lines.push(`| ${r.label} | — | — | — | — | — (${r.skipped}) |`);
    else lines.push(`| ${r.label} | ${r.acc.toFixed(3)} | ${r.macroF1.toFixed(3)} | ${r.emd.toFixed(3)} | ${r.entropy.toFixed(3)} | ${fmtPct(r.paramsPct)} |`);
  }
  return lines.join('\n') + '\n';
}

function fmtPct(p: number): string {
  if (p === 0) return '0';
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(2);
}
