// An experiment's configuration: the methods (from the catalogue), the presets and their checks.
import { CATALOGUE, METHOD_IDS, type MethodId } from '../adapters/methods';
import { TARGETS, type Target } from '../adapters/types';
import { worldConfig, ZONES, type WorldConfig } from '../data';
import { RECIPES, type Recipe, type RecipeSettings } from './recipes';

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
  /** on a loss spike or an exploding gradient, halve the learning rate for the rest of that method's run (default off: warn only) */
  lrBackoff?: boolean;
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
      ? { ...common, steps: 24, batchSize: 4, lr: 5e-3, world: worldConfig('quick', { seed }), maxExamples: 512, maxTest: 64, maxOptions: null, signatureProfiles: 3, loco: { methods: ['cuma'], steps: 6, heldOutProfiles: 0.2 } }
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

export function checkConfig(c: ExperimentConfig): void {
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
