// The Train view's form: the world, the methods, the steps and rates, and the runner config it builds.
import { experimentConfig, METHODS, type ExperimentConfig, type ExperimentMethod } from '../experiments/runner';
import { RECIPES, type Recipe } from '../experiments/recipes';
import { worldConfig, ZONES, type WorldConfig } from '../data';

// ---------------------------------------------------------------------------------------------
// The form

export type WorldChoice = 'tiny' | 'quick' | 'contrast' | 'default';
export const WORLD_CHOICE_IDS: readonly WorldChoice[] = ['tiny', 'quick', 'contrast', 'default'];

export const WORLD_CHOICES: Record<WorldChoice, { label: string; note: string }> = {
  tiny: { label: 'Tiny (8 countries, 4 zones)', note: '2 countries in each of 4 zones × 6 people × 4 questions = 192 answers: the smallest world (on a CPU-emulated GPU a step still takes seconds: the time left is shown as it trains)' },
  quick: { label: 'Quick (16 countries)', note: '2 countries per zone × 12 people × 8 questions = 1,536 answers' },
  contrast: {
    label: 'Contrast (4 countries, 4 zones)',
    note: 'Sweden, Nigeria, Japan, Mexico × 50 people × 4 questions = 800 answers, with the contrast preset’s settings (no profile in the prompt, centred conditions, 150 steps of 8 at 2e-3): where dense LoRA collapses to the mean and CUMA does not',
  },
  default: { label: 'Default world (72 countries)', note: 'every country × 50 people × 12 questions = 43,200 answers: for a real GPU' },
};

export interface TrainForm {
  methods: ExperimentMethod[];
  world: WorldChoice;
  steps: number;
  batchSize: number;
  lr: number;
  /** Zhyper's peak learning rate (its hypernetwork overshoots at the others' rate); null: lr */
  lrZhyper: number | null;
  /** CUMA's load-balancing weight λ */
  lbLambda: number;
  seed: number;
  personaInPrompt: boolean;
  /** feed Zhyper and CUMA (e_d − μ)/m instead of e_d (see src/adapters/centre.ts); kept adapters read raw e_d */
  centerConditions: boolean;
  /** prompts in the model's chat template (when it has one), as Compare scores them by default */
  chat: boolean;
  /** halve the learning rate at a loss spike or an exploding gradient (train/divergence.ts); off: warn only */
  lrBackoff?: boolean;
  /** null: no limit */
  maxExamples: number | null;
  maxTest: number | null;
  maxOptions: number | null;
  metricsEvery: number;
  signaturesEvery: number;
  probeSize: number;
  signatureProfiles: number;
  /** Table 2: leave one zone out */
  loco: boolean;
  locoSteps: number;
  locoMethods: ExperimentMethod[];
  /** Table 2 also holds out this share of every zone's profiles (Appendix E.2); 0: whole zones only */
  heldOutProfiles: number;
  /** every method's recipe (src/experiments/recipes.ts), and the methods that take the other one */
  recipe: Recipe;
  recipes: Partial<Record<ExperimentMethod, Recipe>>;
  /** the data: the synthetic world (`world`), or a GlobalOpinionQA file loaded in this tab */
  data: 'synthetic' | 'goqa';
  /** GlobalOpinionQA: the questions most countries answered, and people sampled per country */
  goqaQuestions: number;
  goqaParticipants: number;
}

export function defaultForm(): TrainForm {
  const q = experimentConfig('quick');
  return {
    // the papers' comparison in three rows: the dense baseline and the two conditioned methods
    methods: ['lora', 'zhyper-diag', 'cuma'],
    world: 'quick',
    steps: q.steps,
    batchSize: q.batchSize,
    lr: q.lr,
    lrZhyper: q.lrFor?.['zhyper-diag'] ?? null,
    lbLambda: q.lbLambda,
    seed: 1,
    personaInPrompt: true,
    // profile embeddings differ little around a large shared mean; centred, the conditioned methods use them
    centerConditions: true,
    // Compare scores in the chat template by default: adapters kept from a run should see the same prompts
    chat: true,
    maxExamples: q.maxExamples,
    maxTest: q.maxTest ?? null,
    // every question (the embedded default has A–J as one token each; the runner says so when a tokenizer does not)
    maxOptions: null,
    metricsEvery: 5,
    signaturesEvery: 5,
    probeSize: 32,
    signatureProfiles: q.signatureProfiles,
    loco: false,
    locoSteps: 20,
    locoMethods: ['cuma'],
    heldOutProfiles: 0.2,
    recipe: 'atlas',
    recipes: {},
    data: 'synthetic',
    goqaQuestions: 12,
    goqaParticipants: 20,
  };
}

/** Tiny's countries: two per zone, so the zones' silhouette is defined (a zone of one country has no within-zone distance). */
export const TINY_COUNTRIES = ['Norway', 'Sweden', 'Japan', 'China', 'Nigeria', 'Egypt', 'Brazil', 'Mexico'] as const;

export function worldFor(choice: WorldChoice, seed: number): WorldConfig {
  if (choice === 'contrast') return experimentConfig('contrast', { seed }).world;
  if (choice === 'tiny') return worldConfig('quick', { seed, countries: TINY_COUNTRIES, participantsPerCountry: 6, questionsPerParticipant: 4 });
  return worldConfig(choice, { seed });
}

/** What picking a world changes besides the world: the contrast world comes with its preset's settings. */
export function worldPatch(w: WorldChoice): Partial<TrainForm> {
  if (w !== 'contrast') return { world: w };
  const c = experimentConfig('contrast');
  return { world: w, methods: [...c.methods], steps: c.steps, batchSize: c.batchSize, lr: c.lr, lrZhyper: null, personaInPrompt: c.personaInPrompt, centerConditions: !!c.centerConditions, maxExamples: c.maxExamples, maxTest: c.maxTest ?? null, signatureProfiles: c.signatureProfiles, loco: false };
}

/** Methods in the table's order (the order the runner trains them). */
export function orderedMethods(ms: readonly ExperimentMethod[]): ExperimentMethod[] {
  return METHODS.filter((m) => ms.includes(m));
}

/** The runner's configuration for the form (`goqaFile`: the name of the GlobalOpinionQA file loaded in this tab). */
export function buildConfig(f: TrainForm, goqaFile?: string): ExperimentConfig {
  const locoMethods = orderedMethods(f.locoMethods).filter((m) => m !== 'persona-prompting');
  // the methods whose recipe differs from the form's one
  const recipeFor = Object.fromEntries(Object.entries(f.recipes).filter(([m, r]) => (METHODS as readonly string[]).includes(m) && RECIPES.includes(r!) && r !== f.recipe));
  return experimentConfig(f.world === 'default' || f.world === 'contrast' ? f.world : 'quick', {
    seed: f.seed,
    methods: orderedMethods(f.methods),
    steps: f.steps,
    batchSize: f.batchSize,
    lr: f.lr,
    lrFor: f.lrZhyper == null ? {} : { 'zhyper-diag': f.lrZhyper, 'zhyper-square': f.lrZhyper },
    lbLambda: f.lbLambda,
    personaInPrompt: f.personaInPrompt,
    centerConditions: f.centerConditions,
    chat: f.chat,
    ...(f.lrBackoff ? { lrBackoff: true } : {}),
    world: worldFor(f.world, f.seed),
    maxExamples: f.maxExamples,
    maxTest: f.maxTest,
    maxOptions: f.maxOptions,
    signatureProfiles: f.signatureProfiles,
    loco: f.loco && locoMethods.length ? { methods: locoMethods, steps: f.locoSteps, heldOutProfiles: f.heldOutProfiles } : null,
    recipe: f.recipe,
    ...(Object.keys(recipeFor).length ? { recipeFor } : {}),
    ...(f.data === 'goqa' && goqaFile ? { data: { kind: 'goqa' as const, file: goqaFile, questions: f.goqaQuestions, participantsPerCountry: f.goqaParticipants } } : {}),
  });
}

/** What is wrong with the form, in words; null when it can start. `goqaLoaded`: a GlobalOpinionQA file is loaded in this tab. */
export function formProblem(f: TrainForm, goqaLoaded = false): string | null {
  const posInt = (v: number | null, what: string) => (v != null && !(Number.isInteger(v) && v >= 1) ? `${what} must be a whole number ≥ 1` : null);
  if (!f.methods.length) return 'Pick at least one method.';
  if (f.data === 'goqa' && !goqaLoaded) return 'Load a GlobalOpinionQA file (or fetch it from the hub) first, or pick the synthetic world.';
  return (
    (f.data === 'goqa' ? (posInt(f.goqaQuestions, 'Questions') ?? posInt(f.goqaParticipants, 'People per country')) : null) ??
    (f.loco && !(f.heldOutProfiles >= 0 && f.heldOutProfiles < 1) ? 'The held-out share of profiles must be between 0 and 1 (0: whole zones only).' : null) ??
    posInt(f.steps, 'Steps') ??
    posInt(f.batchSize, 'Batch size') ??
    (!(f.lr > 0 && Number.isFinite(f.lr)) ? 'The learning rate must be a number > 0.' : null) ??
    (f.lrZhyper != null && !(f.lrZhyper > 0 && Number.isFinite(f.lrZhyper)) ? 'Zhyper’s learning rate must be a number > 0 (blank: the learning rate).' : null) ??
    (!(f.lbLambda >= 0 && Number.isFinite(f.lbLambda)) ? 'λ must be a number ≥ 0.' : null) ??
    (!Number.isInteger(f.seed) ? 'The seed must be a whole number.' : null) ??
    posInt(f.maxExamples, 'Training answers') ??
    posInt(f.maxTest, 'Test answers') ??
    (f.maxOptions != null && !(Number.isInteger(f.maxOptions) && f.maxOptions >= 2) ? 'Max options must be a whole number ≥ 2.' : null) ??
    posInt(f.probeSize, 'Probe size') ??
    posInt(f.signatureProfiles, 'Profiles per country') ??
    (!(Number.isInteger(f.metricsEvery) && f.metricsEvery >= 0) ? '“Metrics every” must be a whole number ≥ 0.' : null) ??
    (!(Number.isInteger(f.signaturesEvery) && f.signaturesEvery >= 0) ? '“Signatures every” must be a whole number ≥ 0.' : null) ??
    (f.loco ? posInt(f.locoSteps, 'Table 2 steps') : null) ??
    (f.loco && !f.locoMethods.some((m) => m !== 'persona-prompting') ? 'Table 2 needs at least one trained method.' : null)
  );
}

/** "Tiny world · 2 methods · 6 steps" */
/** The peak learning rate(s) of a run: "1e-2", or "1e-2 (Zhyper 2e-3)" when Zhyper has its own. */
export function describeLr(c: ExperimentConfig): string {
  const own = [...new Set(c.methods.flatMap((m) => (c.lrFor?.[m] != null && c.lrFor[m] !== c.lr ? [c.lrFor[m]!] : [])))];
  return own.length ? `${c.lr} (Zhyper ${own.join(', ')})` : `${c.lr}`;
}

export function describeConfig(c: ExperimentConfig): string {
  const w = c.world;
  if (c.data?.kind === 'goqa') return `GlobalOpinionQA ${c.data.file}: ${c.data.questions} questions, ${c.data.participantsPerCountry} people per country · ${c.methods.length} method${c.methods.length === 1 ? '' : 's'} · ${c.steps} steps × batch ${c.batchSize}${c.loco ? ' · Table 2' : ''}${c.recipe === 'code' ? ' · code recipe' : ''}`;
  const world = typeof w.countries === 'object' && !Array.isArray(w.countries) && 'perZone' in w.countries ? `${w.countries.perZone * ZONES.length} countries` : Array.isArray(w.countries) ? `${w.countries.length} countries` : 'all countries';
  return `${world} · ${c.methods.length} method${c.methods.length === 1 ? '' : 's'} · ${c.steps} steps × batch ${c.batchSize}${c.loco ? ' · Table 2' : ''}`;
}
