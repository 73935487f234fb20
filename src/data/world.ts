// A culturally sparse synthetic survey world with exact ground truth.
//
// Countries sit at their Inglehart–Welzel positions (./zones.ts) and belong to the eight cultural
// zones of the 2023 map. Each participant is a Profile drawn from their country's demographics
// (./demographics.ts). For each value question (./questions.ts) the answer distribution is exactly
//
//   P*(y | q, p) = cumulative logit with thresholds θ_q and latent score
//   η_q(p) = Σ_axis β_q,axis · x_axis(c) + separation · u_q,zone(c) + w_demo · Σ_d β_q,d · f_d(p)
//
// where c is the profile's country and x(c) its map position after the `separation` knob has moved
// its zone's centre:
//
//   x(c) − g = separation · (μ_zone(c) − g) + withinZoneSpread · (x_IW(c) − μ_zone(c))
//
// (g = mean of the eight zone centres, μ_zone = mean IW position of the zone's assigned countries),
// and u_q,z ~ N(0, zoneEffect²) is a fixed per-(question, zone) offset drawn from the seed: the part
// of a zone's culture that the two map axes do not capture. Without it, zones whose map centres are
// close (West & South Asia and Latin America are 0.5 apart) would stay hard to tell apart at any
// separation; with it, every pair of zones drifts apart as separation grows. A country keeps its
// zone's u, so u is only learnable from the zone's other countries (leave-one-cluster-out cannot
// recover it; the IW part it can).
//
// separation = 1, withinZoneSpread = 1, zoneEffect = 0 reproduce the IW geometry exactly;
// separation = 0 gives every zone the same mode; larger values push the zones' answer modes apart
// (Definition 2.1 in ./sparsity.ts measures how far). Answers of different questions are independent
// given the profile. Employment and ethnicity do not enter η: attributes a model must learn to ignore.
//
// Everything is drawn from mulberry32 streams keyed by (seed, purpose, id), so a world is a pure
// function of its config.
import { COUNTRY_GEO, EDUCATION, type Country, type Profile } from '../condition/profile';
import type { Participant, SurveyDataset, SurveyQuestion, SurveyResponse } from './dataset';
import { drawProfile } from './demographics';
import { cumulativeLogit, emd, entropy, evenThresholds } from './ordinal';
import { QUESTIONS, thresholdStep, type Loadings, type ValueQuestion } from './questions';
import { normal, shuffle, stream } from './rng';
import { ZONES, ZONE_ASSIGNMENT, countriesIn, isCountry, iwPosition, zoneCenter, type Zone } from './zones';

export interface WorldConfig {
  seed: number;
  /** which countries: every assigned one, an explicit list, or the first n of each zone */
  countries: 'all' | readonly Country[] | { perZone: number };
  participantsPerCountry: number;
  /** questions each participant answers (drawn without replacement), or all of them */
  questionsPerParticipant: number | 'all';
  /** question ids to use (default: the whole bank, QUESTIONS) */
  questionIds?: readonly string[];
  /** distance of the zones' centres from the global centre, in units of the real IW distance */
  separation: number;
  /** how much of a country's own offset from its zone centre is kept (1 = as on the IW map) */
  withinZoneSpread: number;
  /** standard deviation (logits) of the per-(question, zone) offsets u beyond the two map axes */
  zoneEffect: number;
  /** multiplies every demographic loading (0 = culture only) */
  demographicWeight: number;
  /** logistic sharpness of the cumulative logit (higher = more decisive individual answers) */
  sharpness: number;
}

/** The presets' knobs: see the table in the header comment of ./sparsity.ts for what they give. */
export const SPARSE_KNOBS = { separation: 3, withinZoneSpread: 0.5, zoneEffect: 1, demographicWeight: 1, sharpness: 1.5 } as const;

/** The knobs that reproduce the Inglehart–Welzel geometry with no zone-specific effects. */
export const IW_KNOBS = { separation: 1, withinZoneSpread: 1, zoneEffect: 0, demographicWeight: 1, sharpness: 1 } as const;

export const WORLD_PRESETS = {
  /** 16 countries (2 per zone) × 12 people × 8 questions = 1,536 answers: for tests and quick looks */
  quick: {
    seed: 1,
    countries: { perZone: 2 },
    participantsPerCountry: 12,
    questionsPerParticipant: 8,
    ...SPARSE_KNOBS,
  },
  /** all 72 countries × 50 people × 12 questions = 43,200 answers */
  default: {
    seed: 1,
    countries: 'all',
    participantsPerCountry: 50,
    questionsPerParticipant: 12,
    ...SPARSE_KNOBS,
  },
} as const satisfies Record<string, WorldConfig>;
export type WorldPreset = keyof typeof WORLD_PRESETS;

/** A preset with overrides: `worldConfig('quick', { separation: 2 })`. */
export function worldConfig(preset: WorldPreset = 'default', overrides: Partial<WorldConfig> = {}): WorldConfig {
  return { ...WORLD_PRESETS[preset], ...overrides };
}

export interface WorldQuestion extends SurveyQuestion {
  loadings: Loadings;
  thresholds: readonly number[];
  /** u_q,z before the separation factor (zoneEffect already applied) */
  zoneOffsets: Readonly<Record<Zone, number>>;
}

export interface WorldParticipant extends Participant {
  country: Country;
  zone: Zone;
}

export interface World extends SurveyDataset {
  config: WorldConfig;
  questions: readonly WorldQuestion[];
  participants: readonly WorldParticipant[];
  responses: readonly SurveyResponse[];
  countries: readonly Country[];
  /** each country's position as the answer model uses it (after separation/spread), centred on g */
  positions: Readonly<Partial<Record<Country, { traditionalSecular: number; survivalSelfExpression: number }>>>;
}

// ---------------------------------------------------------------------------------------------
// geometry

let gCache: { traditionalSecular: number; survivalSelfExpression: number } | undefined;
/** g: the mean of the eight zone centres (unweighted). */
export function globalCenter(): { traditionalSecular: number; survivalSelfExpression: number } {
  if (gCache) return { ...gCache };
  let t = 0;
  let s = 0;
  for (const z of ZONES) {
    const c = zoneCenter(z);
    t += c.traditionalSecular;
    s += c.survivalSelfExpression;
  }
  gCache = { traditionalSecular: t / ZONES.length, survivalSelfExpression: s / ZONES.length };
  return { ...gCache };
}

/** The country's centred position under the knobs (x(c) − g above). */
export function effectivePosition(
  country: Country,
  knobs: Pick<WorldConfig, 'separation' | 'withinZoneSpread'>,
): { traditionalSecular: number; survivalSelfExpression: number } {
  const g = globalCenter();
  const mu = zoneCenter(ZONE_ASSIGNMENT[country].zone);
  const x = iwPosition(country);
  return {
    traditionalSecular: knobs.separation * (mu.traditionalSecular - g.traditionalSecular) + knobs.withinZoneSpread * (x.traditionalSecular - mu.traditionalSecular),
    survivalSelfExpression:
      knobs.separation * (mu.survivalSelfExpression - g.survivalSelfExpression) + knobs.withinZoneSpread * (x.survivalSelfExpression - mu.survivalSelfExpression),
  };
}

// ---------------------------------------------------------------------------------------------
// the answer model

/** Demographic features of a profile; a missing attribute contributes 0 (the population centre). */
export function demographicFeatures(p: Profile): { age: number; education: number; religiosity: number; gender: number } {
  const age = typeof p.age === 'number' && Number.isFinite(p.age) ? (p.age - 45) / 15 : 0;
  const level = p.education === undefined ? -1 : (EDUCATION as readonly string[]).indexOf(p.education);
  const education = level < 0 ? 0 : (level - 3.5) / 2;
  const religiosity = p.religion === undefined || p.religion.trim() === '' ? 0 : p.religion === 'No religion' ? -0.5 : 0.5;
  const gender = p.gender === 'Female' ? 0.5 : p.gender === 'Male' ? -0.5 : 0;
  return { age, education, religiosity, gender };
}

function makeQuestion(q: ValueQuestion, config: WorldConfig): WorldQuestion {
  const zoneOffsets = {} as Record<Zone, number>;
  for (const z of ZONES) zoneOffsets[z] = config.zoneEffect === 0 ? 0 : config.zoneEffect * normal(stream(config.seed, `zone-effect:${q.id}:${z}`));
  return {
    id: q.id,
    text: q.text,
    options: q.options,
    loadings: q.loadings,
    thresholds: evenThresholds(q.options.length, thresholdStep(q.options.length), q.center),
    zoneOffsets,
  };
}

/** η_q(p). The profile's country must be one of COUNTRY_GEO (it need not be in the world). */
export function latentScore(world: Pick<World, 'config'>, q: WorldQuestion, p: Profile): number {
  if (p.country === undefined || !isCountry(p.country)) throw new Error(`latentScore: unknown country ${JSON.stringify(p.country)}`);
  const x = effectivePosition(p.country, world.config);
  const f = demographicFeatures(p);
  const b = q.loadings;
  return (
    b.traditionalSecular * x.traditionalSecular +
    b.survivalSelfExpression * x.survivalSelfExpression +
    world.config.separation * q.zoneOffsets[ZONE_ASSIGNMENT[p.country].zone] +
    world.config.demographicWeight * (b.age * f.age + b.education * f.education + b.religiosity * f.religiosity + b.gender * f.gender)
  );
}

/** The exact answer distribution P*(y | question, profile). */
export function trueDistribution(world: Pick<World, 'config' | 'questions'>, question: number, p: Profile): Float64Array {
  const q = world.questions[question];
  return cumulativeLogit(latentScore(world, q, p), q.thresholds, world.config.sharpness);
}

// ---------------------------------------------------------------------------------------------
// generation

function chooseCountries(sel: WorldConfig['countries']): Country[] {
  if (sel === 'all') return Object.keys(COUNTRY_GEO) as Country[];
  if (Array.isArray(sel)) {
    for (const c of sel) if (!isCountry(c)) throw new Error(`unknown country ${JSON.stringify(c)}`);
    return [...(sel as Country[])];
  }
  const n = (sel as { perZone: number }).perZone;
  return ZONES.flatMap((z) => countriesIn(z).slice(0, n));
}

function validate(c: WorldConfig): void {
  const bad = (what: string) => {
    throw new Error(`WorldConfig: ${what}`);
  };
  if (!Number.isInteger(c.participantsPerCountry) || c.participantsPerCountry < 1) bad('participantsPerCountry must be a positive integer');
  if (c.questionsPerParticipant !== 'all' && (!Number.isInteger(c.questionsPerParticipant) || c.questionsPerParticipant < 1)) {
    bad('questionsPerParticipant must be a positive integer or "all"');
  }
  for (const k of ['separation', 'withinZoneSpread', 'zoneEffect', 'demographicWeight'] as const) {
    if (!Number.isFinite(c[k]) || c[k] < 0) bad(`${k} must be a finite number ≥ 0`);
  }
  if (!Number.isFinite(c.sharpness) || c.sharpness <= 0) bad('sharpness must be > 0');
}

/** Draw a world. Same config → same world, bit for bit. */
export function generateWorld(config: WorldConfig = WORLD_PRESETS.default): World {
  validate(config);
  const bank = config.questionIds
    ? config.questionIds.map((id) => {
        const q = QUESTIONS.find((x) => x.id === id);
        if (!q) throw new Error(`WorldConfig: unknown question id ${id}`);
        return q;
      })
    : QUESTIONS;
  const questions = bank.map((q) => makeQuestion(q, config));
  const countries = chooseCountries(config.countries);
  const positions: Partial<Record<Country, { traditionalSecular: number; survivalSelfExpression: number }>> = {};
  for (const c of countries) positions[c] = effectivePosition(c, config);
  const world: World = { config, questions, participants: [], responses: [], countries, positions };

  const participants: WorldParticipant[] = [];
  const responses: SurveyResponse[] = [];
  const nAsk = config.questionsPerParticipant === 'all' ? questions.length : Math.min(config.questionsPerParticipant, questions.length);
  for (const country of countries) {
    const zone = ZONE_ASSIGNMENT[country].zone;
    const geo = COUNTRY_GEO[country];
    const people = stream(config.seed, `profiles:${geo}`);
    for (let i = 0; i < config.participantsPerCountry; i++) {
      const id = `${geo}-${String(i).padStart(4, '0')}`;
      const profile = drawProfile(people, country, zone);
      const index = participants.length;
      participants.push({ id, profile, country, zone });
      // which questions, and the uniforms behind the answers, do not depend on the knobs, so changing
      // separation moves each answer along its own CDF (a coupling that makes comparisons less noisy)
      const asked = shuffle(stream(config.seed, `asked:${id}`), questions.map((_, k) => k)).slice(0, nAsk).sort((a, b) => a - b);
      const u = stream(config.seed, `answers:${id}`);
      for (const qi of asked) {
        const p = trueDistribution(world, qi, profile);
        let r = u();
        let answer = p.length - 1;
        for (let k = 0; k < p.length; k++) {
          r -= p[k];
          if (r < 0) {
            answer = k;
            break;
          }
        }
        responses.push({ participant: index, question: qi, answer });
      }
    }
  }
  world.participants = participants;
  world.responses = responses;
  return world;
}

// ---------------------------------------------------------------------------------------------
// exact group distributions and the measures built on them

// P* of every participant for a question, computed once per world (a World is treated as immutable).
const cache = new WeakMap<World, Map<number, Float64Array[]>>();

/** P*(· | question, p) for each of the world's participants, in participant order (cached). */
export function participantDistributions(world: World, question: number): readonly Float64Array[] {
  let perWorld = cache.get(world);
  if (!perWorld) cache.set(world, (perWorld = new Map()));
  let d = perWorld.get(question);
  if (!d) perWorld.set(question, (d = world.participants.map((person) => trueDistribution(world, question, person.profile))));
  return d;
}

/** Mean of P* over the world's participants that pass `keep` (their drawn profiles, equally weighted). */
export function groupDistribution(world: World, question: number, keep: (p: WorldParticipant) => boolean = () => true): Float64Array {
  const K = world.questions[question].options.length;
  const acc = new Float64Array(K);
  const all = participantDistributions(world, question);
  let n = 0;
  for (let i = 0; i < world.participants.length; i++) {
    if (!keep(world.participants[i])) continue;
    const p = all[i];
    for (let k = 0; k < K; k++) acc[k] += p[k];
    n++;
  }
  if (n > 0) for (let k = 0; k < K; k++) acc[k] /= n;
  return acc;
}

export function zoneDistribution(world: World, question: number, zone: Zone): Float64Array {
  return groupDistribution(world, question, (p) => p.zone === zone);
}

/** What a model that ignores the profile should output: P* pooled over everyone. */
export function pooledDistribution(world: World, question: number): Float64Array {
  return groupDistribution(world, question);
}

/** The zones present in the world, in ZONES order. */
export function worldZones(world: World): Zone[] {
  const present = new Set(world.participants.map((p) => p.zone));
  return ZONES.filter((z) => present.has(z));
}

/**
 * Between-zone distance: EMD (W1 over the ordered options, ./ordinal.ts `emd`) between the zones'
 * pooled answer distributions, averaged over questions and zone pairs.
 */
export function betweenZoneEmd(world: World): number {
  const zones = worldZones(world);
  let total = 0;
  let n = 0;
  for (let q = 0; q < world.questions.length; q++) {
    const d = zones.map((z) => zoneDistribution(world, q, z));
    for (let i = 0; i < d.length; i++) {
      for (let j = i + 1; j < d.length; j++) {
        total += emd(d[i], d[j]);
        n++;
      }
    }
  }
  return n === 0 ? 0 : total / n;
}

export interface EntropyReport {
  /** H of P* pooled over everyone (a profile-blind, mean-collapsed model's best entropy) */
  pooled: number;
  /** mean over zones (weighted by head count) of H of the zone's pooled P* */
  zone: number;
  /** mean over participants of H(P*(·|p)) (a perfectly conditioned model's entropy) */
  profile: number;
  /** pooled − zone = I(answer; zone) ≥ 0: how much knowing the zone tells about the answer */
  zoneInformation: number;
}

/** Entropies in nats, averaged over questions: the mean-collapse diagnostic of CUMA §5.2. */
export function entropyReport(world: World): EntropyReport {
  const zones = worldZones(world);
  const N = world.participants.length;
  let pooled = 0;
  let zone = 0;
  let profile = 0;
  const Q = world.questions.length;
  for (let q = 0; q < Q; q++) {
    pooled += entropy(pooledDistribution(world, q));
    for (const z of zones) {
      const nz = world.participants.filter((p) => p.zone === z).length;
      zone += (nz / N) * entropy(zoneDistribution(world, q, z));
    }
    let h = 0;
    for (const p of participantDistributions(world, q)) h += entropy(p);
    profile += h / N;
  }
  return { pooled: pooled / Q, zone: zone / Q, profile: profile / Q, zoneInformation: (pooled - zone) / Q };
}
