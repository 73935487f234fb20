// The CUMA experiments on the synthetic world, one runner for the CLI and the browser worker:
//   Table 1: every method trained on the same answers (10:1 random split over responses, the same
//            seeded sample and optimizer budget), evaluated on the same held-out answers;
//   Table 2: for the conditioned methods named in config.loco, full supervision vs leave-one-cluster-out
//            per zone (trained without any answer of that zone's participants, tested on its answers).
//
//   prompt (plain):  ["<linearized profile>\n\n"] "<question>\nA. <option>\n…\nAnswer:"  → " A"
//   (config.chat: the same inside the model's chat template, "Answer:" opening the assistant's turn, as Compare)
//   persona prompting:   the profile in the prompt, the backbone alone, nothing trained
//   lora:                dense LoRA on config.targets (q, v, o, down; the code recipe: q, v): one adapter for everyone (sees the profile only in the prompt)
//   zhyper-diag/square:  + the condition c = encoder(linearize(profile)) through the hypernetwork
//   cuma:                + e_d = the same encoding, read by the router with h (top-2 of 8 experts)
//   cuma-soft:           the same router, every expert weighted (k = N)
//   cuma-semantic:       a router on h alone (semantic-only MoE, no e_d)
// config.personaInPrompt (default true, as CUMA's system prompt) puts the profile in every method's
// prompt; false leaves the trained methods only their condition vector.
//
// The answer letter must be ONE token. The preferred form is " A" after "Answer:"; a tokenizer that splits
// " A" into " " + "A" (byte-level fixtures) gets the space at the end of the prompt ("Answer: ") and "A" as
// the answer token, provided that "Answer: A" tokenizes as "Answer: " followed by "A". Otherwise: an error.
//
// Metrics per method, on the test answers: accuracy and macro-F1 of the argmax over the question's option
// letters against the sampled answer; EMD (normalized Wasserstein-1) between the model's option distribution
// and the exact P*(· | question, profile), averaged over test answers; the mean entropy (nats) of the model's
// option distribution; trainable parameters as a % of the backbone's; wall time. Conditioned methods also
// get per-country signatures (signatures.ts) and the silhouette of the zones in signature space.
import type { Runtime } from '../model/runtime';
import type { Encoder } from '../adapters/session';
import { CATALOGUE, METHOD_IDS, type MethodId } from '../adapters/methods';
import { choicePromptIds, codePromptIds, multipleChoiceBody, OPTION_LETTERS } from '../adapters/session';
import { createAdapter, defaultSpec } from '../adapters/create';
import { centreCondition, conditionCentre, foldConditionCentre, type ConditionCentre } from '../adapters/centre';
import { countParams, TARGETS, type Adapter, type AdapterSpec, type Target } from '../adapters/types';
import { Trainer, type TrainExample } from '../train/step';
import { warmupCosine, warmupLinear } from '../train/optim';
import { generateWorld, worldConfig, randomSplit, trueDistribution, QUESTIONS, ZONES, type WorldConfig } from '../data';
import type { Participant, SurveyQuestion, SurveyResponse } from '../data/dataset';
import type { GlobalOpinionsImport } from '../data/import-goqa';
import { opinionWorld } from '../data/opinion-world';
import { routingSignatures, zSignatures, type SignatureSet } from './signatures';
import { linearize, profileSentence } from '../condition/profile';
import { RECIPES, recipeSettings, type Recipe, type RecipeSettings } from './recipes';
import { trainableShare } from '../eval';
import type { Prediction } from '../eval/survey';
import { pairMetrics, predictionsOf, profileAttributes, table1Metrics, type Item, type Table1Metrics } from './metrics';
import { mulberry32 } from '../model/sampling';

// the methods and their names: one catalogue (src/adapters/methods.ts)
export const METHODS = METHOD_IDS;
export type ExperimentMethod = MethodId;
export const METHOD_NAMES = Object.fromEntries(METHOD_IDS.map((m) => [m, CATALOGUE[m].name])) as Record<ExperimentMethod, string>;

/** Methods that read a condition vector (c, e_d) besides the prompt. */
export function usesCondition(m: ExperimentMethod): boolean {
  return CATALOGUE[m].condition;
}

export interface ExperimentConfig {
  preset: ExperimentPreset;
  seed: number;
  methods: ExperimentMethod[];
  /** optimizer steps per trained method */
  steps: number;
  batchSize: number;
  /** peak learning rate (linear warmup over 10% of the steps, cosine decay) */
  lr: number;
  /** per-method peak learning rates that replace lr (Zhyper's hypernetwork, trained from a zero head with
   *  AdamW, spikes at rates LoRA takes in its stride) */
  lrFor?: Partial<Record<ExperimentMethod, number>>;
  /** CUMA's load-balancing weight λ (0.01 in the authors' code) */
  lbLambda: number;
  /** the profile in every prompt (CUMA's template); false: only the condition vector tells people apart */
  personaInPrompt: boolean;
  /**
   * Every condition embedding e_d becomes (e_d − μ)/m, μ the mean over the
   * training answers' distinct profiles, m the mean norm of e_d − μ. Sentence embeddings of profiles share
   * one dominant direction (on the default world |μ| ≈ 0.95 of unit vectors, the profiles' deviations ≈ 0.30),
   * so the hypernetwork and router see small differences on a large constant. The adapters handed to
   * onTrained have the centring folded into their first affine map (src/adapters/centre.ts): they read raw e_d.
   */
  centerConditions?: boolean;
  /** prompts in the model's chat template (when it has one), as Compare scores by default; false: plain */
  chat?: boolean;
  world: WorldConfig;
  /** at most this many training answers (a seeded sample of the train split); null: all */
  maxExamples: number | null;
  /** at most this many test answers; null: all */
  maxTest?: number | null;
  /** keep only questions with at most this many options (letters past D are often 2 tokens) */
  maxOptions?: number | null;
  /**
   * Table 2: these methods again, once per zone with that zone left out of training (whole-zone leave-out), and,
   * with heldOutProfiles > 0, once with that share of every zone's distinct profiles held out of training while the
   * zone itself is still trained on (CUMA Appendix E.2); null: no Table 2
   */
  loco: { methods: ExperimentMethod[]; steps: number; zones?: string[]; heldOutProfiles?: number } | null;
  /** profiles per country averaged into a signature */
  signatureProfiles: number;
  /** the adapted modules of every trained method. The papers adapt q and v; the presets add o and down,
   *  because on the embedded default (a constructed bigram whose attention and MLP write through o/down
   *  weights of ~1% scale) an update of q or v alone barely reaches the logits */
  targets: Target[];
  /** LoRA rank r of every trained method */
  rank: number;
  /** 'code': as the authors' code, point by point; 'atlas' (default): this project's choices (recipes.ts) */
  recipe?: Recipe;
  /** a recipe for some methods that replaces `recipe` */
  recipeFor?: Partial<Record<ExperimentMethod, Recipe>>;
  /** Zhyper's trunk and condition scale in place of the recipe's (an ablation: the code's trunk on our prompts) */
  zhyperTrunk?: Pick<RecipeSettings, 'trunk' | 'condScale'>;
  /**
   * real data instead of the synthetic world (`world` is then unused): a GlobalOpinionQA file (its name; the
   * parsed file is given to runExperiment as a DataSource), its questions most countries answered, and
   * participants sampled from each country's answer distribution (src/data/opinion-world.ts)
   */
  data?: { kind: 'goqa'; file: string; questions: number; participantsPerCountry: number; countries?: string[] };
}

export const EXPERIMENT_PRESETS = ['quick', 'default', 'contrast'] as const;
export type ExperimentPreset = (typeof EXPERIMENT_PRESETS)[number];

/**
 * A preset's configuration with overrides.
 * - quick: sized to finish within 20 minutes on 2 CPU cores with emulated WebGPU (lavapipe); a smoke test.
 * - default: every country, all answers, the papers' comparison at a budget a GPU runs in minutes.
 * - contrast: mean collapse made visible in ~15 minutes on lavapipe. Four countries of four zones, four
 *   questions, no persona in the prompt (only e_d tells people apart) and centred conditions; measured:
 *   dense LoRA stays at the question prior while CUMA top-2 gets most of the way to the zone prior.
 */
export function experimentConfig(preset: ExperimentPreset = 'quick', o: Partial<ExperimentConfig> = {}): ExperimentConfig {
  const seed = o.seed ?? 1;
  const common = { preset, seed, methods: [...METHODS], lbLambda: 0.01, lrFor: { 'zhyper-diag': 2e-3, 'zhyper-square': 2e-3 }, personaInPrompt: true, signatureProfiles: 4, targets: ['q', 'v', 'o', 'down'] as Target[], rank: 8 };
  const base: ExperimentConfig =
    preset === 'quick'
      ? { ...common, steps: 24, batchSize: 4, lr: 1e-2, world: worldConfig('quick', { seed }), maxExamples: 512, maxTest: 64, maxOptions: null, signatureProfiles: 3, loco: { methods: ['cuma'], steps: 6, heldOutProfiles: 0.2 } }
      : preset === 'contrast'
        ? {
            ...common,
            methods: ['lora', 'zhyper-diag', 'cuma'],
            steps: 150,
            batchSize: 8,
            lr: 2e-3,
            lrFor: {},
            personaInPrompt: false,
            centerConditions: true,
            world: worldConfig('quick', { seed, countries: ['Sweden', 'Nigeria', 'Japan', 'Mexico'], participantsPerCountry: 50, questionIds: ['Q6', 'Q1', 'Q4', 'Q5'], questionsPerParticipant: 'all' }),
            maxExamples: null,
            maxTest: null,
            maxOptions: null,
            signatureProfiles: 3,
            loco: null,
          }
        : { ...common, steps: 300, batchSize: 16, lr: 1e-3, world: worldConfig('default', { seed }), maxExamples: null, maxTest: null, maxOptions: null, loco: { methods: ['cuma', 'zhyper-diag'], steps: 150, heldOutProfiles: 0.2 } };
  return { ...base, ...o };
}

export interface MethodRow extends Table1Metrics {
  method: ExperimentMethod;
  label: string;
  /** trainable parameters as % of the backbone's */
  paramsPct: number;
  trainableParams: number;
  wallSeconds: number;
  nTrain: number;
  nTest: number;
  /** training losses, one per step (empty for persona prompting) */
  losses: number[];
  /** per-country signatures after training (conditioned and routed methods) */
  signatures?: SignatureSet;
  /** every test answer: question, profile, country, gold, argmax and option probabilities */
  predictions: Prediction[];
}
export interface SkippedRow {
  method: ExperimentMethod;
  label: string;
  skipped: string;
}
export type ResultRow = MethodRow | SkippedRow;

/**
 * Table 2: one zone, one method: accuracy and EMD on that zone's test answers, trained with everything (full) and
 * trained without them (held out). split 'zone': the whole zone left out; 'profiles' (Appendix E.2): only the test
 * answers of the zone's held-out profiles, whose every answer was kept out of training; the zone's other profiles
 * were trained on. Rows without split are whole-zone (files written before E.2).
 */
export interface LocoRow {
  method: ExperimentMethod;
  label: string;
  zone: string;
  split?: 'zone' | 'profiles';
  nTest: number;
  full: PairMetrics;
  loco: PairMetrics;
}

export interface Results {
  config: ExperimentConfig;
  model: { label: string; architecture: string; numParams: number };
  encoder: { id: string; dim: number };
  /** how the answer letter is appended: " A" after "Answer:", or "A" after "Answer: " */
  answerForm: 'space-letter' | 'letter';
  rows: ResultRow[];
  /** Table 1 in markdown, the reference rows last */
  table: string;
  /** rows no model produced (referenceRows); absent in results written before they were */
  references?: ReferenceRow[];
  loco: LocoRow[];
  /** Table 2 in markdown ('' without it) */
  table2: string;
  /** true when the run was stopped early: rows hold the methods that finished */
  stopped: boolean;
  /** set by mergeResults: what each joined run covered */
  parts?: { methods: ExperimentMethod[]; loco: ExperimentConfig['loco'] }[];
}

/**
 * Which training run an event belongs to: Table 1's, or one of Table 2's (the method trained on everything
 * when Table 1's run cannot stand in, without one zone, or without a held-out share of every zone's profiles).
 * The views build their labels from these fields (progress.ts runLabel).
 */
export interface RunOf {
  /** absent: Table 1 */
  table?: 1 | 2;
  /** Table 2's run: trained on everything, without `zone`, or without a share of every zone's profiles (E.2) */
  run?: 'full' | 'zone' | 'profiles';
  zone?: string;
}

/** "cuma", "cuma (without Confucian)", "cuma (held-out profiles)", "cuma (full, Table 2)": how the views name a run. */
export function runLabel(p: { method: string } & RunOf): string {
  if (p.table !== 2) return p.method;
  if (p.run === 'zone') return `${p.method} (without ${p.zone})`;
  if (p.run === 'profiles') return `${p.method} (held-out profiles)`;
  return `${p.method} (full, Table 2)`;
}

/** One event of a run; `method` is an ExperimentMethod id. */
export type Progress = { method: string } & RunOf &
  (
    | { phase: 'prepare' | 'evaluate' | 'done' }
    | { phase: 'train'; step: number; steps: number; loss: number; gradNorm: number; lr: number }
    /** accuracy and EMD to the ground truth on a fixed probe of test answers, during training */
    | { phase: 'metrics'; step: number; acc: number; emd: number }
    /** per-country signatures (CUMA's gates, Zhyper's z) as trained so far */
    | { phase: 'signatures'; step: number; set: SignatureSet }
    /** a method's finished row */
    | { phase: 'result'; row: ResultRow }
  );

/** How a caller (the CLI, the browser worker) follows and steers a run. */
export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** polled between optimizer steps: true ends the run; the methods finished so far are returned */
  shouldStop?: () => boolean;
  /** awaited between optimizer steps (resolves at once unless the user paused) */
  whilePaused?: () => Promise<void>;
  /** emit probe metrics every n steps (0: never during training) */
  metricsEvery?: number;
  /** emit signatures every n steps (0: only after training) */
  signaturesEvery?: number;
  /** test answers in the metrics probe (default 32) */
  probeSize?: number;
  /** each Table 1 adapter once trained (A, B read back from the GPU): the browser keeps them */
  onTrained?: (method: ExperimentMethod, adapter: Adapter) => void | Promise<void>;
}

function checkConfig(c: ExperimentConfig): void {
  const posInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
  };
  posInt(c.steps, 'steps');
  posInt(c.batchSize, 'batchSize');
  posInt(c.signatureProfiles, 'signatureProfiles');
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new Error(`lr must be a positive number, got ${c.lr}`);
  for (const [m, v] of Object.entries(c.lrFor ?? {})) if (!(v! > 0 && Number.isFinite(v))) throw new Error(`lrFor.${m} must be a positive number, got ${v}`);
  if (!(c.lbLambda >= 0 && Number.isFinite(c.lbLambda))) throw new Error(`lbLambda must be a number ≥ 0, got ${c.lbLambda}`);
  if (c.maxExamples != null) posInt(c.maxExamples, 'maxExamples');
  if (c.maxTest != null) posInt(c.maxTest, 'maxTest');
  if (c.maxOptions != null && (!Number.isInteger(c.maxOptions) || c.maxOptions < 2)) throw new Error(`maxOptions must be an integer ≥ 2, got ${c.maxOptions}`);
  if (c.methods.length === 0 && !c.loco?.methods.length) throw new Error('no methods to run');
  const known = (m: string, where: string) => {
    if (!(METHODS as readonly string[]).includes(m)) throw new Error(`${where}: unknown method "${m}" (one of ${METHODS.join(', ')})`);
  };
  for (const m of c.methods) known(m, 'methods');
  if (new Set(c.methods).size !== c.methods.length) throw new Error('methods lists a method twice');
  posInt(c.rank, 'rank');
  for (const [m, r] of Object.entries({ all: c.recipe ?? 'atlas', ...(c.recipeFor ?? {}) })) if (!(RECIPES as readonly string[]).includes(r!)) throw new Error(`recipe${m === 'all' ? '' : ` for ${m}`} must be ${RECIPES.join(' or ')}, got "${r}"`);
  if (c.targets.length === 0 || c.targets.some((t) => !TARGETS.includes(t))) throw new Error(`targets must be some of ${TARGETS.join(', ')}, got ${c.targets.join(', ') || 'none'}`);
  if (c.loco) {
    posInt(c.loco.steps, 'loco.steps');
    for (const m of c.loco.methods) {
      known(m, 'loco.methods');
      if (m === 'persona-prompting') throw new Error('loco.methods: persona prompting trains nothing, so leaving a zone out changes nothing');
    }
    const share = c.loco.heldOutProfiles;
    if (share !== undefined && !(share >= 0 && share < 1)) throw new Error(`loco.heldOutProfiles must be a share in [0, 1), got ${share}`);
    for (const z of c.loco.zones ?? []) if (!(ZONES as readonly string[]).includes(z)) throw new Error(`loco.zones: unknown zone "${z}" (one of ${ZONES.join(', ')})`);
  }
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

/** Who answers: the linearized profile (our prompt and e_d text, and the key of a person) and CUMA's sentence (C8). */
interface Person {
  profileText: string;
  sentence: string;
}

/** Each option letter as one bare token (the code recipe's answer right after the assistant marker). */
function bareLetterIds(encode: (text: string) => number[], K: number): number[] {
  return OPTION_LETTERS.slice(0, K).split('').map((l) => {
    const t = encode(l);
    if (t.length !== 1) throw new Error(`the answer letter "${l}" is ${t.length} tokens for this tokenizer; the code recipe's answer follows the assistant marker as one token: use --no-chat or fewer options`);
    return t[0];
  });
}

/** The adapter a trained method starts from, under its recipe. */
export function methodSpec(method: Exclude<ExperimentMethod, 'persona-prompting'>, R: RecipeSettings, config: Pick<ExperimentConfig, 'targets' | 'rank'>, encoder: Pick<Encoder, 'id' | 'dim'>): AdapterSpec {
  const spec: AdapterSpec = { ...defaultSpec(CATALOGUE[method].preset!, encoder.dim), encoderId: encoder.id, targets: [...(R.targets ?? config.targets)], r: config.rank };
  // α = 2r: s = α/r = 2 (CUMA's code; atlas: every method), or rsLoRA s = α/√r (Zhyper's code, Z8)
  spec.alpha = 2 * spec.r;
  spec.rsLora = R.scale === 'rslora';
  if (spec.cuma) spec.cuma = { ...spec.cuma, gating: R.gating };
  if (spec.zhyper) spec.zhyper = { ...spec.zhyper, trunk: R.trunk, condScale: R.condScale };
  // Compare and `score` then prompt it as it was trained
  if (R.prompt === 'code') spec.prompt = 'code';
  return spec;
}

/** What one method's run gives back: test probabilities, losses, parameter count, signatures. */
interface MethodRun {
  probs: number[][];
  losses: number[];
  trainable: number;
  signatures?: SignatureSet;
}

/** Run the experiment: Table 1 over config.methods, then Table 2 over config.loco.methods. */
export async function runExperiment(rt: Runtime, encoder: Encoder, config: ExperimentConfig, hooksOrProgress?: RunHooks | ((p: Progress) => void), source?: DataSource): Promise<Results> {
  const hooks: RunHooks = typeof hooksOrProgress === 'function' ? { onProgress: hooksOrProgress } : (hooksOrProgress ?? {});
  const emit = (p: Progress) => hooks.onProgress?.(p);
  checkConfig(config);
  const tok = rt.tokenizer, model = rt.model, summary = rt.summary;
  if (!tok || !model || !summary) throw new Error('no model is loaded');
  const { world, train, test, truth } = experimentData(config, source);
  const references = referenceRows(train, test, truth);

  const maxK = Math.max(...world.questions.map((q) => q.options.length));
  const encode = (t: string) => tok.encode(t, false);
  const { form, ids: letterIds } = answerTokens(encode, maxK);
  const recipeOf = (m: ExperimentMethod): Recipe => config.recipeFor?.[m] ?? config.recipe ?? 'atlas';
  const settingsOf = (m: ExperimentMethod): RecipeSettings => ({ ...recipeSettings(recipeOf(m), m), ...(config.zhyperTrunk ?? {}) });
  const anyCode = [...config.methods, ...(config.loco?.methods ?? [])].some((m) => recipeOf(m) === 'code');
  // the code recipe's answer follows the assistant marker directly (C9): each bare letter must be one token
  const chatCode = !!config.chat && tok.chatPrompt('x') !== null;
  const codeLetterIds = anyCode && chatCode ? bareLetterIds(encode, maxK) : letterIds;
  const lettersFor = (R: RecipeSettings) => (R.prompt === 'code' && chatCode ? codeLetterIds : letterIds);
  const promptCache = new Map<string, number[]>();
  /** The prompt of one answer: ours (the linearized profile in the user turn when `persona`), or the code's (C8, C9). */
  const promptIds = (question: number, who: Person, persona: boolean, R: RecipeSettings): number[] => {
    const q = world.questions[question];
    const key = `${R.prompt}\u0000${persona}\u0000${question}\u0000${R.prompt === 'code' ? who.sentence : persona ? who.profileText : ''}`;
    let ids = promptCache.get(key);
    if (!ids) {
      if (R.prompt === 'code') ids = codePromptIds(rt, who.sentence, q.text, q.options, !!config.chat, form === 'letter' ? 'Answer: ' : 'Answer:').ids;
      else ids = choicePromptIds(rt, (persona ? `${who.profileText}\n\n` : '') + multipleChoiceBody(q.text, [...q.options]), !!config.chat, form === 'letter' ? 'Answer: ' : 'Answer:').ids;
      promptCache.set(key, ids);
    }
    return ids;
  };

  // Signatures (Eq. 23, C10): every test profile of a country, each with its test prompts. During training,
  // snapshots use the first config.signatureProfiles profiles on one question, to stay cheap.
  const sigPeople = new Map<string, { zone: string; people: Map<string, Person & { questions: number[] }> }>();
  for (const it of test) {
    const e = sigPeople.get(it.country) ?? { zone: it.zone, people: new Map() };
    const p = e.people.get(it.profileText) ?? { profileText: it.profileText, sentence: it.sentence, questions: [] };
    p.questions.push(it.question);
    e.people.set(it.profileText, p);
    sigPeople.set(it.country, e);
  }
  for (const p of world.participants) {
    // a country with no test answer still gets a point: its first profiles on the first question
    if (sigPeople.has(p.country)) continue;
    sigPeople.set(p.country, { zone: p.zone, people: new Map([[linearize(p.profile), { profileText: linearize(p.profile), sentence: profileSentence(p.profile), questions: [0] }]]) });
  }

  // condition embeddings of the distinct profiles (and CUMA's sentences where the code recipe runs), once
  const allMethods = [...config.methods, ...(config.loco?.methods ?? [])];
  const conds = new Map<string, Float32Array>();
  if (allMethods.some(usesCondition)) {
    const people = [...train, ...test];
    const texts = new Set<string>();
    for (const m of allMethods.filter(usesCondition)) {
      const code = recipeOf(m) === 'code';
      for (const it of people) texts.add(code ? it.sentence : it.profileText);
      for (const e of sigPeople.values()) for (const p of e.people.values()) texts.add(code ? p.sentence : p.profileText);
    }
    const list = [...texts];
    for (let i = 0; i < list.length; i += 64) {
      const chunk = list.slice(i, i + 64);
      const vs = await encoder.embed(chunk);
      chunk.forEach((t, j) => conds.set(t, vs[j]));
    }
  }
  // centred copies (config.centerConditions, and a recipe that centres), the mean from the training profiles
  let centred: Map<string, Float32Array> | null = null;
  let centre: ConditionCentre | null = null;
  // (only where a conditioned method's recipe centres: the code recipe feeds raw e_d)
  const centredTexts = new Set(train.map((it) => it.profileText).filter((t) => conds.has(t)));
  if (config.centerConditions && allMethods.some((m) => usesCondition(m) && settingsOf(m).centre !== false) && centredTexts.size) {
    centred = new Map(conds);
    centre = centerConditions(centred, centredTexts);
  }
  const condsFor = (R: RecipeSettings) => (R.centre === false || !centred ? conds : centred);

  let stopped = false;
  const stopNow = async () => {
    await hooks.whilePaused?.();
    if (!stopped && hooks.shouldStop?.()) stopped = true;
    return stopped;
  };
  const probeN = Math.min(test.length, hooks.probeSize ?? 32);

  /** Train `method` on `trainItems` for `steps` steps and score `evalItems`; null when stopped. */
  const runMethod = async (method: ExperimentMethod, run: RunOf, trainItems: Item[], evalItems: Item[], evalTruth: number[][], steps: number, signatures: boolean): Promise<MethodRun | null> => {
    emit({ method, ...run, phase: 'prepare' });
    const R = settingsOf(method);
    const letters = lettersFor(R);
    if (method === 'persona-prompting') {
      rt.attachAdapter(null);
      emit({ method, ...run, phase: 'evaluate' });
      const probs: number[][] = [];
      for (const it of evalItems) probs.push((await rt.optionProbs(promptIds(it.question, it, true, R), letters.slice(0, it.K).map((id) => [id]))).probs);
      return { probs, losses: [], trainable: 0 };
    }
    const spec = methodSpec(method, R, config, encoder);
    const adapter = createAdapter(spec, rt.dims(), config.seed, 'train');
    rt.attachAdapter(adapter);
    const persona = config.personaInPrompt;
    const table = condsFor(R);
    const condText = (who: Person) => (R.prompt === 'code' ? who.sentence : who.profileText);
    const cond = (who: Person) => (usesCondition(method) ? table.get(condText(who))! : undefined);
    const example = (it: Item): TrainExample => {
      const ids = promptIds(it.question, it, persona, R);
      const y = letters[it.answer];
      return { ids: [...ids, y], answerPositions: [ids.length - 1], targets: [y], condition: cond(it) };
    };
    let trainer: Trainer;
    try {
      const peak = config.lrFor?.[method] ?? config.lr;
      const warmupSteps = Math.max(1, Math.round(steps * R.schedule.warmup));
      trainer = new Trainer(model, {
        lr: R.schedule.decay === 'linear' ? warmupLinear({ peak, warmupSteps, totalSteps: steps }) : warmupCosine({ peak, warmupSteps, totalSteps: steps }),
        maxAnswerTokens: 1,
        loadBalance: config.lbLambda,
        loadBalanceForm: R.loadBalance,
        labelSmoothing: R.labelSmoothing,
      });
    } catch (e) {
      rt.attachAdapter(null);
      throw e;
    }
    const scoreItems = async (items: Item[]): Promise<number[][]> => {
      const probs = new Array<number[]>(items.length);
      // per question: the option letters differ in number between questions
      const byQ = new Map<number, number[]>();
      items.forEach((it, i) => byQ.set(it.question, [...(byQ.get(it.question) ?? []), i]));
      for (const [, idx] of byQ) {
        const out = await trainer.evaluate(idx.map((i) => example(items[i])), letters.slice(0, items[idx[0]].K));
        idx.forEach((i, j) => (probs[i] = out[j].probs));
      }
      return probs;
    };
    /** all: every test profile and prompt of each country (Eq. 23); else a snapshot's first few profiles on one question */
    const signatureSet = async (all: boolean): Promise<SignatureSet | undefined> => {
      if (method === 'lora') return undefined;
      const countries = [...sigPeople].map(([country, e]) => ({ country, zone: e.zone, people: all ? [...e.people.values()] : [...e.people.values()].slice(0, config.signatureProfiles) }));
      if (method.startsWith('zhyper')) {
        return zSignatures(adapter, rt.dims().numLayers, countries.map((c) => ({ country: c.country, zone: c.zone, conditions: c.people.map((p) => cond(p)!) })));
      }
      const inputs = (p: Person & { questions: number[] }) => (all ? p.questions : [p.questions[0]]).map((q) => ({ ids: promptIds(q, p, persona, R), condition: cond(p) ?? null }));
      return routingSignatures(rt, countries.map((c) => ({ country: c.country, zone: c.zone, inputs: c.people.flatMap(inputs) })));
    };
    try {
      const trainEx = trainItems.map(example);
      const order: number[] = [];
      const batchRng = mulberry32(config.seed * 7919 + 1);
      const losses: number[] = [];
      for (let s = 1; s <= steps; s++) {
        if (await stopNow()) return null;
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
        emit({ method, ...run, phase: 'train', step: s, steps, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr });
        if (hooks.metricsEvery && s % hooks.metricsEvery === 0 && s < steps) {
          const probe = evalItems.slice(0, probeN);
          const pp = await scoreItems(probe);
          emit({ method, ...run, phase: 'metrics', step: s, ...probeMetrics(pp, probe, evalTruth) });
        }
        if (signatures && hooks.signaturesEvery && s % hooks.signaturesEvery === 0 && s < steps) {
          const set = await signatureSet(false);
          if (set) emit({ method, ...run, phase: 'signatures', step: s, set });
        }
      }
      emit({ method, ...run, phase: 'evaluate' });
      const probs = await scoreItems(evalItems);
      const sig = signatures ? await signatureSet(true) : undefined;
      if (signatures && hooks.onTrained) {
        // trained on centred e_d: the centring goes into the weights, so the kept adapter reads raw e_d
        const trained = await trainer.syncAdapter();
        await hooks.onTrained(method, centre && table === centred && usesCondition(method) ? foldConditionCentre(trained, centre) : trained);
      }
      if (sig) emit({ method, ...run, phase: 'signatures', step: steps, set: sig });
      if (hooks.metricsEvery) emit({ method, ...run, phase: 'metrics', step: steps, ...probeMetrics(probs.slice(0, probeN), evalItems, evalTruth) });
      return { probs, losses, trainable: countParams(adapter), signatures: sig };
    } finally {
      trainer.destroy();
      rt.attachAdapter(null);
    }
  };

  // ---- Table 1 ----
  const rows: ResultRow[] = [];
  const fullProbs = new Map<ExperimentMethod, number[][]>();
  for (const method of config.methods) {
    if (await stopNow()) break;
    const t0 = performance.now();
    const run = await runMethod(method, { table: 1 }, train, test, truth, config.steps, true);
    if (!run) break;
    fullProbs.set(method, run.probs);
    const row: MethodRow = {
      method,
      label: METHOD_NAMES[method],
      ...table1Metrics(run.probs, test, truth),
      paramsPct: trainableShare(run.trainable, summary.numParams),
      trainableParams: run.trainable,
      wallSeconds: (performance.now() - t0) / 1000,
      nTrain: method === 'persona-prompting' ? 0 : train.length,
      nTest: test.length,
      losses: run.losses,
      ...(run.signatures ? { signatures: run.signatures } : {}),
      predictions: predictionsOf(run.probs, test),
    };
    rows.push(row);
    emit({ method, table: 1, phase: 'result', row });
    emit({ method, table: 1, phase: 'done' });
  }

  // ---- Table 2: full supervision vs leave-one-cluster-out, per zone ----
  const loco: LocoRow[] = [];
  if (config.loco && !stopped) {
    // config.loco.zones: a subset, so that several processes can share Table 2 (mergeResults joins them)
    const zones = ZONES.filter((z) => test.some((it) => it.zone === z) && (!config.loco?.zones || config.loco.zones.includes(z)));
    outer: for (const method of config.loco.methods) {
      const stepsL = config.loco.steps;
      let full = stepsL === config.steps ? fullProbs.get(method) : undefined;
      if (!full) {
        const run = await runMethod(method, { table: 2, run: 'full' }, train, test, truth, stepsL, false);
        if (!run) break;
        full = run.probs;
      }
      for (const zone of zones) {
        const idx = test.map((it, i) => (it.zone === zone ? i : -1)).filter((i) => i >= 0);
        const zoneTest = idx.map((i) => test[i]);
        const zoneTruth = idx.map((i) => truth[i]);
        const run = await runMethod(method, { table: 2, run: 'zone', zone }, train.filter((it) => it.zone !== zone), zoneTest, zoneTruth, stepsL, false);
        if (!run) break outer;
        loco.push({
          method, label: METHOD_NAMES[method], zone, split: 'zone', nTest: idx.length,
          full: pairMetrics(idx.map((i) => full[i]), zoneTest, zoneTruth),
          loco: pairMetrics(run.probs, zoneTest, zoneTruth),
        });
      }
      // with a zone subset (a split run) E.2 belongs to the part that runs every zone. On GlobalOpinionQA data a
      // profile is a country, so holding profiles out would hold countries out: not E.2, and not run
      const share = config.loco.zones || config.data ? 0 : (config.loco.heldOutProfiles ?? 0);
      if (share > 0) {
        // Appendix E.2: hold out a share of every zone's profiles; test on their test answers only
        const held = heldOutProfiles(train, test, share, config.seed);
        const idx = test.map((it, i) => (held.has(it.profileText) ? i : -1)).filter((i) => i >= 0);
        if (idx.length) {
          const heldTest = idx.map((i) => test[i]), heldTruth = idx.map((i) => truth[i]);
          // the code recipe reads CUMA's sentence, which keeps only an age band: a trained profile with a held-out
          // profile's sentence would show the model that person, so it is held out too
          const heldSentences = new Set(heldTest.map((it) => it.sentence));
          const sentences = settingsOf(method).prompt === 'code';
          const run = await runMethod(method, { table: 2, run: 'profiles' }, train.filter((it) => !held.has(it.profileText) && !(sentences && heldSentences.has(it.sentence))), heldTest, heldTruth, stepsL, false);
          if (!run) break;
          for (const zone of zones) {
            const zi = heldTest.map((it, j) => (it.zone === zone ? j : -1)).filter((j) => j >= 0);
            if (!zi.length) continue;
            const zt = zi.map((j) => heldTest[j]), zTruth = zi.map((j) => heldTruth[j]);
            loco.push({
              method, label: METHOD_NAMES[method], zone, split: 'profiles', nTest: zi.length,
              full: pairMetrics(zi.map((j) => full[idx[j]]), zt, zTruth),
              loco: pairMetrics(zi.map((j) => run.probs[j]), zt, zTruth),
            });
          }
        }
      }
    }
  }

  return {
    config,
    model: { label: summary.label, architecture: summary.architecture, numParams: summary.numParams },
    encoder: { id: encoder.id, dim: encoder.dim },
    answerForm: form,
    rows,
    table: markdownTable(rows, references),
    references,
    loco,
    table2: loco.length ? locoTable(loco) : '',
    stopped,
  };
}

/** config.centerConditions: every vector of `conds` in place becomes (v − μ)/m, μ and m from the `from` texts. */
export function centerConditions(conds: Map<string, Float32Array>, from: ReadonlySet<string>): ConditionCentre {
  const c = conditionCentre([...from].map((t) => conds.get(t)).filter((v): v is Float32Array => !!v));
  for (const [t, v] of conds) conds.set(t, centreCondition(v, c));
  return c;
}

/** What the runner reads of a world: the synthetic world, or one made of a real survey file (opinion-world.ts). */
export interface ExperimentWorld {
  questions: readonly SurveyQuestion[];
  participants: readonly (Participant & { country: string; zone: string })[];
  responses: readonly SurveyResponse[];
}

/** Data a config names but does not hold (a user's survey file): given to runExperiment beside the config. */
export interface DataSource {
  goqa?: Pick<GlobalOpinionsImport, 'questions'>;
}

/**
 * The experiment's data, as every run of one config sees it: the world, the 10:1 split over its answers,
 * then seeded samples of at most maxExamples / maxTest answers, and each test answer's exact P*.
 */
export function experimentData(config: ExperimentConfig, source?: DataSource): { world: ExperimentWorld; train: Item[]; test: Item[]; truth: number[][] } {
  let world: ExperimentWorld;
  let pStar: (response: number) => number[];
  if (config.data?.kind === 'goqa') {
    if (!source?.goqa) throw new Error(`this run's data is the GlobalOpinionQA file ${config.data.file}: give the file (CLI --data goqa:FILE)`);
    const w = opinionWorld(source.goqa, { seed: config.seed, questions: config.data.questions, participantsPerCountry: config.data.participantsPerCountry, countries: config.data.countries });
    world = w;
    pStar = (r) => w.dist(w.responses[r].question, w.participants[w.responses[r].participant].country);
  } else if (config.maxOptions != null) {
    const max = config.maxOptions;
    const ids = (config.world.questionIds ?? QUESTIONS.map((q) => q.id)).filter((id) => (QUESTIONS.find((q) => q.id === id)?.options.length ?? Infinity) <= max);
    if (ids.length === 0) throw new Error(`no question has at most ${max} options`);
    const g = generateWorld({ ...config.world, questionIds: ids });
    world = g;
    pStar = (r) => Array.from(trueDistribution(g, g.responses[r].question, g.participants[g.responses[r].participant].profile));
  } else {
    const g = generateWorld(config.world);
    world = g;
    pStar = (r) => Array.from(trueDistribution(g, g.responses[r].question, g.participants[g.responses[r].participant].profile));
  }
  if (world.responses.length < 2) throw new Error(`the world has ${world.responses.length} answers; the 10:1 split needs at least 2`);
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
    const p = world.participants[resp.participant];
    return { response: r, question: resp.question, questionId: q.id, participantId: p.id, answer: resp.answer, K: q.options.length, profileText: linearize(p.profile), sentence: profileSentence(p.profile), country: p.country, zone: p.zone, attributes: profileAttributes(p.profile) };
  };
  const train = trainIdx.map(item), test = testIdx.map(item);
  const truth = test.map((it) => [...pStar(it.response)]);
  return { world, train, test, truth };
}

/** A row of Table 1 that no model produced: where the methods sit between knowing nothing of the person and knowing P*. */
export interface ReferenceRow extends Table1Metrics {
  name: 'question-prior' | 'zone-prior' | 'exact';
  label: string;
}

/**
 * Reference rows from the training answers and the ground truth alone:
 * - question prior: each question's answer frequencies in the training set, the same for everyone. This is
 *   what an adapter that collapses to the mean converges to, so its EMD is the mean-collapse line.
 * - zone prior: the frequencies per question and cultural zone, what knowing only a person's zone can give.
 * - exact P*: the ground truth itself; its accuracy is the ceiling that sampled answers allow.
 * Frequencies are add-one smoothed so that no option has probability zero.
 */
export function referenceRows(train: readonly Item[], test: readonly Item[], truth: readonly number[][]): ReferenceRow[] {
  const freq = (key: (it: Item) => string) => {
    const counts = new Map<string, number[]>();
    for (const it of train) {
      const k = key(it);
      const c = counts.get(k) ?? new Array<number>(it.K).fill(1);
      c[it.answer]++;
      counts.set(k, c);
    }
    return test.map((it) => {
      const c = counts.get(key(it)) ?? new Array<number>(it.K).fill(1);
      const n = c.reduce((a, b) => a + b, 0);
      return c.map((x) => x / n);
    });
  };
  const row = (name: ReferenceRow['name'], label: string, probs: number[][]): ReferenceRow => ({ name, label, ...table1Metrics(probs, test, truth) });
  return [
    row('question-prior', 'Question prior (no persona: the mean)', freq((it) => `${it.question}`)),
    row('zone-prior', 'Zone prior (question × zone frequencies)', freq((it) => `${it.question}|${it.zone}`)),
    row('exact', 'Exact P* (ground truth)', truth.map((p) => [...p])),
  ];
}

/** The reference rows of a config's data (for results written before they were). */
function configReferences(config: ExperimentConfig): ReferenceRow[] {
  const { train, test, truth } = experimentData(config);
  return referenceRows(train, test, truth);
}

/**
 * Appendix E.2's held-out profiles: within every zone, a seeded random `share` of the distinct profiles that have a
 * test answer (at least one per zone that has two or more), by linearized profile text.
 */
export function heldOutProfiles(train: readonly Item[], test: readonly Item[], share: number, seed: number): Set<string> {
  if (!(share > 0 && share < 1)) throw new Error(`loco.heldOutProfiles must be a share between 0 and 1, got ${share}`);
  const byZone = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const it of test) {
    if (seen.has(it.profileText)) continue;
    seen.add(it.profileText);
    byZone.set(it.zone, [...(byZone.get(it.zone) ?? []), it.profileText]);
  }
  const held = new Set<string>();
  for (const zone of [...byZone.keys()].sort()) {
    const keys = byZone.get(zone)!.sort();
    // a zone whose every test profile would go leaves the zone untrained: keep at least one trained profile
    const zoneTrained = new Set(train.filter((it) => it.zone === zone).map((it) => it.profileText));
    const rng = mulberry32(seed * 31 + zone.length * 977 + [...zone].reduce((a, c) => a + c.charCodeAt(0), 0));
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    const n = Math.min(keys.length, Math.max(keys.length >= 2 ? 1 : 0, Math.round(share * keys.length)));
    const pick = keys.slice(0, n);
    const left = [...zoneTrained].filter((k) => !pick.includes(k));
    if (left.length === 0) {
      const i = pick.findIndex((k) => zoneTrained.has(k));
      if (i >= 0) pick.splice(i, 1);
    }
    for (const k of pick) held.add(k);
  }
  return held;
}

/** Table 2's pair of numbers on one zone's test answers. */
export type PairMetrics = ReturnType<typeof pairMetrics>;

/** The training probe's accuracy and EMD to P* (emdCalibration: a probe of 32 answers is too few for the per-question form). */
function probeMetrics(probs: number[][], items: Item[], truth: number[][]): { acc: number; emd: number } {
  const m = pairMetrics(probs, items, truth);
  return { acc: m.acc, emd: m.emdCalibration };
}

export function isSkipped(r: ResultRow): r is SkippedRow {
  return 'skipped' in r;
}

/**
 * CUMA Table 1's shape: Method | Acc | Macro-F1 | EMD (WorldValuesBench's) | EMD to P* | Entropy | country macro-accuracy |
 * σ_inequity | Params %, and the zones' silhouette in signature space.
 */
export function markdownTable(rows: readonly ResultRow[], references: readonly ReferenceRow[] = []): string {
  const n = rows.find((r): r is MethodRow => !isSkipped(r))?.nTest;
  const lines = [
    `| Method | Acc ↑ | Macro-F1 ↑ | EMD (WVB) ↓ | EMD to P* ↓ | Entropy | Macro-acc ↑ | σ_inequity ↓ | Params % | Zone silhouette ↑ |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const nums = (r: Table1Metrics) => [r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity].map(f3).join(' | ');
  for (const r of rows) {
    if (isSkipped(r)) lines.push(`| ${r.label} | — | — | — | — | — | — | — | — | — (${r.skipped}) |`);
    else {
      const sil = r.signatures?.silhouette;
      lines.push(`| ${r.label} | ${nums(r)} | ${fmtPct(r.paramsPct)} | ${sil == null ? '—' : `${sil.toFixed(3)} (${r.signatures!.kind})`} |`);
    }
  }
  for (const r of references) lines.push(`| _${r.label}_ | ${nums(r)} | — | — |`);
  if (n !== undefined) lines.push('', `Test answers n = ${n}. EMD (WVB): per question, the histogram of participants' answers against the histogram of the model's argmax answers, W1/(K−1), mean over questions. EMD to P*: per answer, the model's option distribution against the true one.`);
  return lines.join('\n') + '\n';
}

/** CUMA Table 2's shape: per zone and method, accuracy and EMD with full supervision and with the zone left out. */
export function locoTable(rows: readonly LocoRow[]): string {
  const lines = ['| Held out | Zone | Method | n | Acc full | Acc held out | Δ Acc | EMD (WVB) full | EMD (WVB) held out | EMD to P* full | EMD to P* held out |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const d = r.loco.acc - r.full.acc;
    lines.push(`| ${r.split === 'profiles' ? 'profiles (App. E.2)' : 'whole zone'} | ${r.zone} | ${r.label} | ${r.nTest} | ${f3(r.full.acc)} | ${f3(r.loco.acc)} | ${d >= 0 ? '+' : ''}${d.toFixed(3)} | ${f3(r.full.emdWvb)} | ${f3(r.loco.emdWvb)} | ${f3(r.full.emdCalibration)} | ${f3(r.loco.emdCalibration)} |`);
  }
  return lines.join('\n') + '\n';
}

/** Three decimals, or '—' for a number a file lacks (NaN, which JSON writes as null). */
function f3(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—';
}

function fmtPct(p: number): string {
  if (p === 0) return '0';
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(2);
}

/**
 * Joins the results of runs that split one experiment between processes (each its own --methods, or
 * --loco-zones): the same world, seed, budget and model are required, and no method or (method, zone)
 * may come twice. Rows follow METHODS' order and Table 2 the zones' order, as one run would write them.
 */
export function mergeResults(parts: readonly Results[]): Results {
  if (parts.length === 0) throw new Error('nothing to merge');
  const [first] = parts;
  const same = (what: string, f: (r: Results) => unknown) => {
    const a = JSON.stringify(f(first));
    parts.forEach((r, i) => {
      if (JSON.stringify(f(r)) !== a) throw new Error(`part ${i + 1} differs from part 1 in ${what}: these are not runs of one experiment`);
    });
  };
  same('the world', (r) => [r.config.world, r.config.data ?? null]);
  same('the seed', (r) => r.config.seed);
  same('the budget (steps, batch size, rates, examples)', (r) => [r.config.steps, r.config.batchSize, r.config.lr, r.config.lrFor, r.config.maxExamples, r.config.maxTest ?? null, r.config.maxOptions ?? null]);
  same('the adapters (rank, targets, λ, persona in prompt, centred conditions, chat template, recipe)', (r) => [r.config.rank, r.config.targets, r.config.lbLambda, r.config.personaInPrompt, r.config.centerConditions ?? false, r.config.chat ?? false, r.config.recipe ?? 'atlas', r.config.recipeFor ?? {}]);
  same('the model', (r) => r.model);
  same('the encoder', (r) => r.encoder);
  const locoSteps = new Set(parts.flatMap((r) => (r.config.loco ? [r.config.loco.steps] : [])));
  if (locoSteps.size > 1) throw new Error(`the parts' Table 2 runs differ in steps (${[...locoSteps].join(', ')}): these are not runs of one experiment`);
  const rows: ResultRow[] = [];
  for (const r of parts) for (const row of r.rows) {
    if (rows.some((x) => x.method === row.method)) throw new Error(`${row.method} is in more than one part`);
    rows.push(row);
  }
  rows.sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
  const loco: LocoRow[] = [];
  for (const r of parts) for (const row of r.loco) {
    if (loco.some((x) => x.method === row.method && x.zone === row.zone && (x.split ?? 'zone') === (row.split ?? 'zone'))) throw new Error(`Table 2's ${row.method} without ${row.zone}${row.split === 'profiles' ? ' (held-out profiles)' : ''} is in more than one part`);
    loco.push(row);
  }
  const zoneIdx = (z: string) => (ZONES as readonly string[]).indexOf(z);
  const splitIdx = (r: LocoRow) => (r.split === 'profiles' ? 1 : 0);
  loco.sort((a, b) => METHODS.indexOf(a.method) - METHODS.indexOf(b.method) || splitIdx(a) - splitIdx(b) || zoneIdx(a.zone) - zoneIdx(b.zone));
  const locoMethods = [...new Set(parts.flatMap((r) => r.config.loco?.methods ?? []))];
  const [steps] = locoSteps;
  // the same world and split in every part, so one part's references serve all; older files have none
  const references = first.references ?? configReferences(first.config);
  return {
    ...first,
    config: {
      ...first.config,
      methods: rows.map((r) => r.method),
      loco: steps === undefined ? null : { methods: locoMethods, steps, ...(parts.some((r) => r.config.loco?.heldOutProfiles) ? { heldOutProfiles: Math.max(...parts.map((r) => r.config.loco?.heldOutProfiles ?? 0)) } : {}) },
    },
    rows,
    table: markdownTable(rows, references),
    references,
    loco,
    table2: loco.length ? locoTable(loco) : '',
    stopped: parts.some((r) => r.stopped),
    parts: parts.flatMap((r) => r.parts ?? [{ methods: r.config.methods, loco: r.config.loco }]),
  };
}
