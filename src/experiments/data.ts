// An experiment's data: the world (synthetic, or a real survey file's), its split into training and test answers,
// the conditions' centring, and Appendix E.2's held-out profiles.
import type { ExperimentConfig } from './config';
import { centreCondition, conditionCentre, type ConditionCentre } from '../adapters/centre';
import { generateWorld, randomSplit, trueDistribution, QUESTIONS } from '../data';
import type { Participant, SurveyQuestion, SurveyResponse } from '../data/dataset';
import type { GlobalOpinionsImport } from '../data/import-goqa';
import { opinionWorld } from '../data/opinion-world';
import { linearize, profileSentence } from '../condition/profile';
import { profileAttributes, type Item } from './metrics';
import { mulberry32 } from '../model/sampling';

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

