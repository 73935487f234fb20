// `npm run cli -- experiment …`: the Table 1 experiment from the command line (src/cli/main.ts dispatches here).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { decodeCheckpoint, encodeCheckpoint, type RunCheckpoint } from './checkpoint';
import { join } from 'node:path';
import type { Runtime } from '../model/runtime';
import { DEFAULT_ENCODER_ID } from '../condition/encoder';
import { conditionEncoder, embedWorldProfiles } from './embeddings-node';
import { isCountry, ZONES } from '../data/zones';
import { RECIPES, type Recipe } from './recipes';
import { basename } from 'node:path';
import { importGoqaFiles } from '../cli/import';
import { experimentConfig, mergeResults, runExperiment, EXPERIMENT_PRESETS, METHODS, type ExperimentPreset, type Results, type ExperimentConfig, type ExperimentMethod, type Progress, type DataSource, runLabel } from './runner';

export const EXPERIMENT_USAGE = `  npm run cli -- experiment [--model DIR] --preset quick|default|contrast --out DIR [--checkpoint-every N] [--steps N] [--seed S] [--batch-size N] [--lr X] [--lr-backoff]
                            [--methods ${METHODS.join(',')}] [--max-examples N] [--max-test N] [--max-options K]
                            [--countries A,B] [--participants N] [--questions Q1,Q2] [--encoder ID] [--lb-lambda X]
                            [--no-persona] [--center-conditions] [--chat] [--loco-methods cuma,zhyper-diag | --no-loco] [--loco-steps N] [--loco-zones 1,2|NAME,…]
                            [--embeddings FILE [--embed-only]] [--recipe code|atlas | --recipe METHOD=code,…] [--held-out-profiles SHARE]
                            [--data goqa:FILE [--goqa-questions N]]
      trains and evaluates each method on the synthetic world (Table 1), then each --loco-methods method once per zone
      with that zone left out (Table 2); writes DIR/results.json, DIR/table.md (both tables), prints them.
      Every --checkpoint-every steps (default 10; 0: never) and after each run it writes DIR/checkpoint.safetensors.
      A loss spike (3× the median of the 10 steps before) or an exploding ‖g‖ (10×) is warned about on stderr and in
      results; --lr-backoff also halves the learning rate from there on.
  npm run cli -- experiment --resume DIR [--model DIR] [--data goqa:FILE]
      goes on from DIR's checkpoint (a killed or crashed run) and ends with the same results as an uninterrupted run;
      the settings come from the checkpoint (flags that would change them are refused); writes to DIR (or --out).
      --embeddings FILE keeps the profiles' condition embeddings in FILE (safetensors): read first, the missing ones
      added; when FILE already holds every profile the encoder's model is never loaded. --embed-only fills FILE with
      every participant's profile of the world and stops (no training).
      --center-conditions: each e_d becomes (e_d − μ)/m, μ the training profiles' mean embedding, m their mean
      distance from it (the contrast preset's default; kept adapters have it folded into their weights).
      --chat: prompts in the model's chat template (when it has one), as Compare scores by default.
      --recipe code: every method as the authors' code trains it (the README's fidelity table); atlas (default):
      this project's choices; METHOD=RECIPE,… sets it per method (the others keep atlas).
      --data goqa:FILE: real opinions instead of the synthetic world: the questions of a GlobalOpinionQA CSV most
      countries answered (--goqa-questions N, default 12), each country's answer distribution as P*, and
      --participants N people per country (default 20) sampled from it; --countries keeps some.
      --held-out-profiles SHARE: Table 2 also holds out this share of every zone's profiles (Appendix E.2; the
      presets' 0.2; 0 = whole-zone leave-out only).
      One experiment split between processes: each takes some --methods (none: Table 2 only) or some --loco-zones
      (1–8 in ZONES' order, or names), then \`merge\` joins their results as one run would have written them.`;

export const MERGE_USAGE = `  npm run cli -- merge --from DIR1,DIR2,… --out DIR
      joins the results.json of runs of one experiment (same world, seed, budget, model) into DIR/results.json
      and DIR/table.md`;

type Flags = Map<string, string | true>;

/** Flag readers from main.ts (so errors read alike). */
export interface FlagReaders {
  str(flags: Flags, k: string): string | undefined;
  num(flags: Flags, k: string, fallback: number): number;
  usage(msg: string): Error;
}

/** the flags that set an experiment's numbers: a resumed run takes them all from its checkpoint */
const SETTINGS_FLAGS = ['lr-backoff', 'preset', 'steps', 'seed', 'batch-size', 'lr', 'methods', 'max-examples', 'max-test', 'max-options', 'countries', 'participants', 'questions', 'lb-lambda', 'no-persona', 'center-conditions', 'chat', 'loco-methods', 'no-loco', 'loco-steps', 'loco-zones', 'recipe', 'held-out-profiles', 'goqa-questions', 'embed-only'];
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

function readCheckpointFile(dir: string): RunCheckpoint {
  const file = join(dir, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    throw new Error(`--resume ${dir}: there is no ${CHECKPOINT_FILE} in it (a run writes one every --checkpoint-every steps)`);
  }
  return decodeCheckpoint(bytes, file);
}

/** Written whole or not at all: a run killed mid-write leaves the previous checkpoint. */
function writeCheckpointFile(dir: string, ck: RunCheckpoint): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${CHECKPOINT_FILE}.tmp`);
  writeFileSync(tmp, encodeCheckpoint(ck));
  renameSync(tmp, join(dir, CHECKPOINT_FILE));
}

export async function experimentCommand(rt: Runtime, flags: Flags, f: FlagReaders): Promise<void> {
  const resumeDir = f.str(flags, 'resume');
  const resume = resumeDir !== undefined ? readCheckpointFile(resumeDir) : undefined;
  if (resume) {
    const given = SETTINGS_FLAGS.filter((k) => flags.has(k));
    if (given.length) throw f.usage(`--resume takes the experiment's settings from its checkpoint: --${given.join(', --')} cannot change them`);
  }
  const presetName = f.str(flags, 'preset') ?? 'quick';
  if (!(EXPERIMENT_PRESETS as readonly string[]).includes(presetName)) throw f.usage(`--preset must be ${EXPERIMENT_PRESETS.join(', ')}, got "${presetName}"`);
  const preset = presetName as ExperimentPreset;
  const outDir = f.str(flags, 'out') ?? resumeDir;
  if (!outDir) throw f.usage('experiment needs --out DIR');
  const every = flags.has('checkpoint-every') ? f.num(flags, 'checkpoint-every', 0) : 10;
  if (!Number.isInteger(every) || every < 0) throw f.usage(`--checkpoint-every must be a whole number of steps (0: none), got "${f.str(flags, 'checkpoint-every')}"`);
  const int = (k: string): number | undefined => {
    if (!flags.has(k)) return undefined;
    const n = f.num(flags, k, NaN);
    if (!Number.isInteger(n) || n < 1) throw f.usage(`--${k} must be a positive integer, got "${f.str(flags, k)}"`);
    return n;
  };
  const list = (k: string) => f.str(flags, k)?.split(',').map((s) => s.trim()).filter(Boolean);
  const seed = flags.has('seed') ? f.num(flags, 'seed', 1) : 1;
  const base = experimentConfig(preset, { seed });
  const o: Partial<ExperimentConfig> = {};
  const steps = int('steps'), batch = int('batch-size'), maxEx = int('max-examples'), maxTest = int('max-test'), maxOpt = int('max-options'), people = int('participants');
  if (steps !== undefined) o.steps = steps;
  if (batch !== undefined) o.batchSize = batch;
  if (maxEx !== undefined) o.maxExamples = maxEx;
  if (maxTest !== undefined) o.maxTest = maxTest;
  if (maxOpt !== undefined) o.maxOptions = maxOpt;
  if (flags.has('lr')) {
    o.lr = f.num(flags, 'lr', base.lr);
    o.lrFor = {}; // one rate for every method, as asked
  }
  const methodList = (k: string): ExperimentMethod[] | undefined => {
    if (f.str(flags, k) === 'none') return [];
    const ms = list(k);
    for (const m of ms ?? []) if (!(METHODS as readonly string[]).includes(m)) throw f.usage(`--${k}: unknown method "${m}" (one of ${METHODS.join(', ')})`);
    return ms as ExperimentMethod[] | undefined;
  };
  const methods = methodList('methods');
  if (methods) o.methods = methods;
  if (flags.has('lb-lambda')) {
    o.lbLambda = f.num(flags, 'lb-lambda', NaN);
    if (!(o.lbLambda >= 0)) throw f.usage(`--lb-lambda must be a number ≥ 0, got "${f.str(flags, 'lb-lambda')}"`);
  }
  if (flags.has('no-persona')) o.personaInPrompt = false;
  if (flags.has('center-conditions')) o.centerConditions = true;
  if (flags.has('chat')) o.chat = true;
  const locoMethods = methodList('loco-methods'), locoSteps = int('loco-steps');
  const locoZones = list('loco-zones')?.map((z) => {
    const i = Number(z);
    const name = Number.isInteger(i) && i >= 1 && i <= ZONES.length ? ZONES[i - 1] : ZONES.find((x) => x.toLowerCase() === z.toLowerCase());
    if (!name) throw f.usage(`--loco-zones: unknown zone "${z}" (1–${ZONES.length}, or one of ${ZONES.join(', ')})`);
    return name;
  });
  const heldOut = flags.has('held-out-profiles') ? f.num(flags, 'held-out-profiles', NaN) : undefined;
  if (heldOut !== undefined && !(heldOut >= 0 && heldOut < 1)) throw f.usage(`--held-out-profiles must be a share in [0, 1), got "${f.str(flags, 'held-out-profiles')}"`);
  if (flags.has('lr-backoff')) o.lrBackoff = true;
  if (flags.has('no-loco')) o.loco = null;
  else if (locoMethods || locoSteps !== undefined || locoZones || heldOut !== undefined) {
    o.loco = { methods: locoMethods ?? base.loco?.methods ?? ['cuma'], steps: locoSteps ?? steps ?? base.loco?.steps ?? base.steps, heldOutProfiles: heldOut ?? base.loco?.heldOutProfiles ?? 0 };
    if (locoZones) o.loco.zones = locoZones;
  }
  const recipe = f.str(flags, 'recipe');
  if (recipe !== undefined) {
    if ((RECIPES as readonly string[]).includes(recipe)) o.recipe = recipe as Recipe;
    else {
      const per: Partial<Record<ExperimentMethod, Recipe>> = {};
      for (const part of recipe.split(',')) {
        const [m, r] = part.split('=').map((x) => x.trim());
        if (!(METHODS as readonly string[]).includes(m) || !(RECIPES as readonly string[]).includes(r)) throw f.usage(`--recipe must be ${RECIPES.join(' or ')}, or METHOD=RECIPE pairs (e.g. cuma=code,zhyper-diag=atlas), got "${recipe}"`);
        per[m as ExperimentMethod] = r as Recipe;
      }
      o.recipeFor = per;
    }
  }
  const world = { ...base.world };
  const countries = list('countries');
  if (countries) {
    for (const c of countries) if (!isCountry(c)) throw f.usage(`--countries: unknown country "${c}"`);
    world.countries = countries as typeof world.countries;
  }
  if (people !== undefined) world.participantsPerCountry = people;
  const questions = list('questions');
  if (questions) {
    world.questionIds = questions;
    world.questionsPerParticipant = 'all';
  }
  // real opinions instead of the synthetic world
  const data = f.str(flags, 'data');
  let source: DataSource | undefined;
  if (data !== undefined) {
    const m = /^goqa:(.+)$/.exec(data);
    if (!m) throw f.usage(`--data must be goqa:FILE (a GlobalOpinionQA CSV), got "${data}"`);
    const g = importGoqaFiles([m[1]]);
    process.stderr.write(`${m[1]}: ${g.questions.length} questions read, ${g.rejected.length} rows rejected, ${g.warnings.length} warnings (npm run cli -- import --format goqa ${m[1]} lists them)\n`);
    source = { goqa: { questions: g.questions.map((q) => ({ line: q.line, question: q.question, options: q.options, source: q.source, selections: q.selections })) } };
    o.data = { kind: 'goqa', file: basename(m[1]), questions: int('goqa-questions') ?? 12, participantsPerCountry: people ?? 20, ...(countries ? { countries } : {}) };
  }
  const config = resume ? resume.config : experimentConfig(preset, { ...o, seed, world });
  if (resume?.config.data && !source) throw f.usage(`this run read ${resume.config.data.file}: resume it with --data goqa:FILE (the same file)`);

  const encoder = await conditionEncoder(f.str(flags, 'encoder') ?? DEFAULT_ENCODER_ID, f.str(flags, 'embeddings'));
  if (flags.has('embed-only')) {
    if (!flags.has('embeddings')) throw f.usage('--embed-only needs --embeddings FILE');
    try {
      await embedWorldProfiles(encoder, config.world);
    } finally {
      encoder.dispose?.();
    }
    return;
  }
  try {
    const t0 = performance.now();
    const stamp = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
    const progress = (p: Progress) => {
      if (p.phase === 'train') {
        if (p.step === 1 || p.step === p.steps || p.step % 10 === 0) process.stderr.write(`${stamp()} [${runLabel(p)}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}\n`);
      } else if (p.phase === 'signatures') {
        process.stderr.write(`${stamp()} [${runLabel(p)}] ${p.set.kind} signatures of ${p.set.countries.length} countries, zone silhouette ${p.set.silhouette?.toFixed(3) ?? '—'}\n`);
      } else if (p.phase === 'metrics') {
        process.stderr.write(`${stamp()} [${runLabel(p)}] step ${p.step}: probe acc ${p.acc.toFixed(3)} EMD ${p.emd.toFixed(3)}\n`);
      } else if (p.phase === 'warning') process.stderr.write(`${stamp()} [${runLabel(p)}] ⚠ ${p.text}\n`);
      else if (p.phase === 'resume') process.stderr.write(`${stamp()} [${runLabel(p)}] resumed at step ${p.step}/${p.steps} from the checkpoint\n`);
      else if (p.phase !== 'result') process.stderr.write(`${stamp()} [${runLabel(p)}] ${p.phase}\n`);
    };
    const hooks = {
      onProgress: progress,
      checkpointEvery: every,
      onCheckpoint: (ck: RunCheckpoint) => writeCheckpointFile(outDir, ck),
      ...(resume ? { resume } : {}),
    };
    if (resume) process.stderr.write(`resuming ${resumeDir}: ${Object.keys(resume.done).length} runs done${resume.current ? `, ${resume.current.key} at step ${resume.current.step}` : ''} (checkpoint of ${resume.savedAt})\n`);
    writeResults(outDir, await runExperiment(rt, encoder, config, hooks, source));
  } finally {
    encoder.dispose?.();
  }
}

function writeResults(outDir: string, res: Results): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(res, null, 2) + '\n');
  const tables = res.table2 ? `${res.table}\n${res.table2}` : res.table;
  writeFileSync(join(outDir, 'table.md'), tables);
  process.stdout.write(tables);
}

/** `npm run cli -- merge --from A,B --out DIR` (needs no model or GPU). */
export function mergeCommand(flags: Flags, f: FlagReaders): void {
  const from = f.str(flags, 'from')?.split(',').map((s) => s.trim()).filter(Boolean);
  const outDir = f.str(flags, 'out');
  if (!from?.length || !outDir) throw f.usage('merge needs --from DIR1,DIR2,… and --out DIR');
  const parts = from.map((d) => {
    const file = join(d, 'results.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`merge: cannot read ${file}`);
    }
    try {
      return JSON.parse(text) as Results;
    } catch (e) {
      throw new Error(`merge: ${file} is not JSON (${(e as Error).message})`);
    }
  });
  writeResults(outDir, mergeResults(parts));
}

