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
import { checkConfig, METHOD_NAMES, usesCondition, type ExperimentConfig, type ExperimentMethod } from './config';
import type { Progress, RunHooks, RunOf } from './progress';
import { runKey, type DoneRun, type RunCheckpoint } from './checkpoint';
import { DivergenceWatch } from '../train/divergence';
import { centerConditions, experimentData, heldOutProfiles, type DataSource } from './data';
import { locoTable, markdownTable, referenceRows, type LocoRow, type MethodRow, type Results, type ResultRow } from './tables';
import type { Runtime } from '../model/runtime';
import type { Encoder } from '../adapters/session';
import { startSpec } from '../adapters/methods';
import { choicePromptIds, codePromptIds, multipleChoiceBody, OPTION_LETTERS } from '../adapters/session';
import { createAdapter } from '../adapters/create';
import { foldConditionCentre, type ConditionCentre } from '../adapters/centre';
import { countParams, type AdapterSpec } from '../adapters/types';
import { Trainer, type TrainExample } from '../train/step';
import { warmupCosine, warmupLinear } from '../train/optim';
import { ZONES } from '../data';
import { routingSignatures, zSignatures, type SignatureSet } from './signatures';
import { linearize, profileSentence } from '../condition/profile';
import { recipeSettings, type Recipe, type RecipeSettings } from './recipes';
import { trainableShare } from '../eval';
import { pairMetrics, predictionsOf, table1Metrics, type Item } from './metrics';
import { mulberry32 } from '../model/sampling';
export * from './config';
export * from './progress';
export * from './data';
export * from './tables';


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
  const spec: AdapterSpec = { ...startSpec(method, encoder.dim)!, encoderId: encoder.id, targets: [...(R.targets ?? config.targets)], r: config.rank };
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
type MethodRun = DoneRun;

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

  // checkpoints: what is done and where the current run is; a resume starts from the one given
  const model0 = { label: summary.label, numParams: summary.numParams, weights: summary.weights };
  if (hooks.resume) checkResume(hooks.resume, config, model0);
  const ck: RunCheckpoint = { version: 1, config, model: model0, done: { ...(hooks.resume?.done ?? {}) }, current: null, savedAt: '' };
  const save = async () => {
    if (!hooks.onCheckpoint) return;
    ck.savedAt = new Date().toISOString();
    await hooks.onCheckpoint(ck);
  };

  let stopped = false;
  const stopNow = async () => {
    await hooks.whilePaused?.();
    if (!stopped && hooks.shouldStop?.()) stopped = true;
    return stopped;
  };
  const probeN = Math.min(test.length, hooks.probeSize ?? 32);

  /** Train `method` on `trainItems` for `steps` steps and score `evalItems`; null when stopped. */
  const runMethod = async (method: ExperimentMethod, run: RunOf, trainItems: Item[], evalItems: Item[], evalTruth: number[][], steps: number, signatures: boolean): Promise<MethodRun | null> => {
    const key = runKey(method, { table: run.table ?? 1, run: run.run, zone: run.zone });
    // finished before the interruption: its numbers come from the checkpoint
    const done = ck.done[key];
    if (done) return done;
    const t0 = performance.now();
    const finish = async (r: Omit<MethodRun, 'seconds'>, before = 0): Promise<MethodRun> => {
      const d = { ...r, seconds: before + (performance.now() - t0) / 1000 };
      ck.done[key] = d;
      ck.current = null;
      await save();
      return d;
    };
    emit({ method, ...run, phase: 'prepare' });
    const R = settingsOf(method);
    const letters = lettersFor(R);
    if (method === 'persona-prompting') {
      rt.attachAdapter(null);
      emit({ method, ...run, phase: 'evaluate' });
      const probs: number[][] = [];
      for (const it of evalItems) probs.push((await rt.optionProbs(promptIds(it.question, it, true, R), letters.slice(0, it.K).map((id) => [id]))).probs);
      return finish({ probs, losses: [], trainable: 0 });
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
    let lrScale = 1;
    try {
      const peak = config.lrFor?.[method] ?? config.lr;
      const warmupSteps = Math.max(1, Math.round(steps * R.schedule.warmup));
      const schedule = R.schedule.decay === 'linear' ? warmupLinear({ peak, warmupSteps, totalSteps: steps }) : warmupCosine({ peak, warmupSteps, totalSteps: steps });
      trainer = new Trainer(model, {
        // lrScale: 1, or halved at each divergence when config.lrBackoff
        lr: (t) => schedule(t) * lrScale,
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
      /** the next batch: the seed's epochs, each a shuffle of the training examples */
      const nextBatch = (): number[] => {
        const batch: number[] = [];
        while (batch.length < Math.min(config.batchSize, trainEx.length)) {
          if (order.length === 0) {
            const perm = trainEx.map((_, i) => i);
            for (let i = perm.length - 1; i > 0; i--) {
              const j = Math.floor(batchRng() * (i + 1));
              [perm[i], perm[j]] = [perm[j], perm[i]];
            }
            order.push(...perm);
          }
          batch.push(order.shift()!);
        }
        return batch;
      };
      let losses: number[] = [], gradNorms: number[] = [];
      let first = 1, before = 0;
      let watch = new DivergenceWatch();
      const cur = hooks.resume?.current;
      if (cur && cur.key === key && !ck.current) {
        // resume: the trained state of step cur.step, and the batch order replayed to where it was
        trainer.restoreState(cur.trainer);
        for (let s = 1; s <= cur.step; s++) nextBatch();
        losses = [...cur.losses];
        gradNorms = [...cur.gradNorms];
        lrScale = cur.lrScale;
        watch = DivergenceWatch.from(losses, gradNorms);
        first = cur.step + 1;
        before = cur.seconds;
        emit({ method, ...run, phase: 'resume', step: cur.step, steps });
      }
      for (let s = first; s <= steps; s++) {
        if (await stopNow()) return null;
        const batch = nextBatch().map((i) => trainEx[i]);
        const ts = performance.now();
        const r = await trainer.step(batch);
        losses.push(r.loss);
        gradNorms.push(r.gradNorm);
        emit({ method, ...run, phase: 'train', step: s, steps, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, ms: performance.now() - ts });
        const warning = watch.push(s, r.loss, r.gradNorm);
        if (warning) {
          if (config.lrBackoff) lrScale /= 2;
          emit({ method, ...run, phase: 'warning', step: s, text: config.lrBackoff ? `${warning}: learning rate halved from here (×${lrScale})` : warning, lrScale });
        }
        if (hooks.checkpointEvery && s % hooks.checkpointEvery === 0 && s < steps) {
          ck.current = { key, step: s, losses: [...losses], gradNorms: [...gradNorms], lrScale, seconds: before + (performance.now() - t0) / 1000, trainer: await trainer.saveState() };
          await save();
        }
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
      return finish({ probs, losses, trainable: countParams(adapter), ...(sig ? { signatures: sig } : {}) }, before);
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
    const run = await runMethod(method, { table: 1 }, train, test, truth, config.steps, true);
    if (!run) break;
    fullProbs.set(method, run.probs);
    const row: MethodRow = {
      method,
      label: METHOD_NAMES[method],
      ...table1Metrics(run.probs, test, truth),
      paramsPct: trainableShare(run.trainable, summary.numParams),
      trainableParams: run.trainable,
      wallSeconds: run.seconds,
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

/** A checkpoint fits this experiment: the same config (every setting that shapes the numbers) and backbone. */
function checkResume(r: RunCheckpoint, config: ExperimentConfig, model: RunCheckpoint['model']): void {
  if (r.version !== 1) throw new Error(`this checkpoint's version ${r.version} is not one this app writes`);
  if (JSON.stringify(r.config) !== JSON.stringify(config)) throw new Error("the checkpoint belongs to another experiment (its settings differ): resume it with the settings it was started with");
  if (r.model.label !== model.label || r.model.numParams !== model.numParams || r.model.weights !== model.weights) {
    throw new Error(`the checkpoint was trained on ${r.model.label} (${r.model.weights} weights), not on ${model.label} (${model.weights}): load that model to resume`);
  }
}

/** The training probe's accuracy and EMD to P* (emdCalibration: a probe of 32 answers is too few for the per-question form). */
function probeMetrics(probs: number[][], items: Item[], truth: number[][]): { acc: number; emd: number } {
  const m = pairMetrics(probs, items, truth);
  return { acc: m.acc, emd: m.emdCalibration };
}

