// Who lives in the synthetic world: per-zone (and, where the zone's default is wrong for a country,
// per-country) distributions of the Profile attributes. Rough shapes from public census and survey
// summaries, rounded: plausible, not exact. Every table is over the project's own category lists
// (profile.ts: EDUCATION, RELIGIONS, EMPLOYMENT, GENDERS) so drawn profiles use their exact wording.
import { EDUCATION, EMPLOYMENT, GENDERS, RELIGIONS, type Country, type Profile } from '../condition/profile';
import { normal, pick, type Rand } from './rng';
import type { Zone } from './zones';

export type Religion = (typeof RELIGIONS)[number];
export type Education = (typeof EDUCATION)[number];
export type Employment = (typeof EMPLOYMENT)[number];

type Shares<K extends string> = Partial<Record<K, number>>;

interface ZoneDemography {
  /** adult age: mean and standard deviation of a normal truncated to [18, 90] */
  age: [mean: number, sd: number];
  /** weights over EDUCATION, lowest first */
  education: readonly number[];
  religion: Shares<Religion>;
  /** weights over EMPLOYMENT for ages 25–64 (students and retirees are re-weighted by age) */
  employment: readonly number[];
  /** share answering "Non-binary" */
  nonBinary: number;
}

//                                      none prim lsec usec voc  bach mast doct
const EDU_NORTH = [0.0, 0.03, 0.1, 0.3, 0.15, 0.25, 0.14, 0.03];
const EDU_CATH = [0.01, 0.08, 0.15, 0.3, 0.12, 0.2, 0.12, 0.02];
const EDU_ORTH = [0.01, 0.04, 0.12, 0.35, 0.18, 0.18, 0.1, 0.02];
const EDU_CONF = [0.02, 0.07, 0.15, 0.33, 0.06, 0.28, 0.08, 0.01];
const EDU_WSA = [0.1, 0.18, 0.17, 0.25, 0.06, 0.17, 0.06, 0.01];
const EDU_AFR = [0.15, 0.22, 0.18, 0.23, 0.06, 0.12, 0.035, 0.005];
const EDU_LAT = [0.05, 0.2, 0.18, 0.28, 0.08, 0.16, 0.045, 0.005];

//                  full part self  ret  home stud unemp
const EMP_NORTH = [0.55, 0.15, 0.1, 0.04, 0.04, 0.04, 0.08];
const EMP_SOUTH = [0.45, 0.1, 0.15, 0.04, 0.12, 0.04, 0.1];
const EMP_INFORMAL = [0.3, 0.1, 0.3, 0.02, 0.15, 0.03, 0.1];

export const ZONE_DEMOGRAPHY: Readonly<Record<Zone, ZoneDemography>> = {
  'Protestant Europe': {
    age: [50, 17],
    education: EDU_NORTH,
    religion: { 'No religion': 0.45, Protestant: 0.4, Catholic: 0.08, Muslim: 0.04, 'Other religion': 0.03 },
    employment: EMP_NORTH,
    nonBinary: 0.01,
  },
  'English-speaking': {
    age: [48, 17],
    education: EDU_NORTH,
    religion: { 'No religion': 0.35, Protestant: 0.3, Catholic: 0.25, Muslim: 0.03, Jewish: 0.02, Hindu: 0.02, 'Other religion': 0.03 },
    employment: EMP_NORTH,
    nonBinary: 0.01,
  },
  'Catholic Europe': {
    age: [50, 17],
    education: EDU_CATH,
    religion: { Catholic: 0.6, 'No religion': 0.3, Protestant: 0.04, Muslim: 0.03, 'Orthodox Christian': 0.01, 'Other religion': 0.02 },
    employment: EMP_NORTH,
    nonBinary: 0.005,
  },
  'Orthodox Europe': {
    age: [47, 16],
    education: EDU_ORTH,
    religion: { 'Orthodox Christian': 0.75, 'No religion': 0.12, Muslim: 0.06, Catholic: 0.03, Protestant: 0.02, 'Other religion': 0.02 },
    employment: EMP_SOUTH,
    nonBinary: 0,
  },
  Confucian: {
    age: [47, 15],
    education: EDU_CONF,
    religion: { 'No religion': 0.55, Buddhist: 0.25, Protestant: 0.07, Catholic: 0.03, 'Other religion': 0.1 },
    employment: EMP_NORTH,
    nonBinary: 0,
  },
  'West & South Asia': {
    age: [40, 14],
    education: EDU_WSA,
    religion: { Muslim: 0.35, Buddhist: 0.25, Hindu: 0.2, Catholic: 0.1, 'No religion': 0.05, 'Other religion': 0.05 },
    employment: EMP_INFORMAL,
    nonBinary: 0,
  },
  'African-Islamic': {
    age: [35, 13],
    education: EDU_AFR,
    religion: { Muslim: 0.9, Protestant: 0.03, Catholic: 0.03, 'Orthodox Christian': 0.02, 'Other religion': 0.02 },
    employment: EMP_INFORMAL,
    nonBinary: 0,
  },
  'Latin America': {
    age: [40, 15],
    education: EDU_LAT,
    religion: { Catholic: 0.65, Protestant: 0.2, 'No religion': 0.12, 'Other religion': 0.03 },
    employment: EMP_SOUTH,
    nonBinary: 0,
  },
};

/** Countries whose religious make-up differs clearly from their zone's default. */
export const COUNTRY_RELIGION: Readonly<Partial<Record<Country, Shares<Religion>>>> = {
  Netherlands: { 'No religion': 0.55, Catholic: 0.2, Protestant: 0.15, Muslim: 0.05, 'Other religion': 0.05 },
  Germany: { 'No religion': 0.38, Protestant: 0.28, Catholic: 0.27, Muslim: 0.05, 'Other religion': 0.02 },
  Switzerland: { Catholic: 0.35, Protestant: 0.25, 'No religion': 0.3, Muslim: 0.05, 'Other religion': 0.05 },
  'Great Britain': { 'No religion': 0.5, Protestant: 0.28, Catholic: 0.1, Muslim: 0.05, Hindu: 0.02, 'Other religion': 0.05 },
  Ireland: { Catholic: 0.78, 'No religion': 0.14, Protestant: 0.04, 'Other religion': 0.04 },
  'United States': { Protestant: 0.45, Catholic: 0.2, 'No religion': 0.27, Jewish: 0.02, Muslim: 0.01, 'Other religion': 0.05 },
  Poland: { Catholic: 0.9, 'No religion': 0.08, 'Other religion': 0.02 },
  Czechia: { 'No religion': 0.75, Catholic: 0.2, 'Other religion': 0.05 },
  China: { 'No religion': 0.88, Buddhist: 0.08, 'Other religion': 0.04 },
  Japan: { 'No religion': 0.6, Buddhist: 0.35, 'Other religion': 0.05 },
  'South Korea': { 'No religion': 0.5, Protestant: 0.2, Buddhist: 0.15, Catholic: 0.1, 'Other religion': 0.05 },
  'Taiwan ROC': { Buddhist: 0.35, 'Other religion': 0.35, 'No religion': 0.25, Protestant: 0.05 },
  'Hong Kong SAR': { 'No religion': 0.6, Buddhist: 0.15, Protestant: 0.12, Catholic: 0.06, 'Other religion': 0.07 },
  India: { Hindu: 0.8, Muslim: 0.14, Sikh: 0.02, Catholic: 0.01, Protestant: 0.01, 'Other religion': 0.02 },
  Philippines: { Catholic: 0.8, Protestant: 0.1, Muslim: 0.06, 'Other religion': 0.04 },
  Thailand: { Buddhist: 0.93, Muslim: 0.05, 'Other religion': 0.02 },
  Vietnam: { 'No religion': 0.6, Buddhist: 0.2, Catholic: 0.07, 'Other religion': 0.13 },
  Malaysia: { Muslim: 0.62, Buddhist: 0.2, Hindu: 0.06, Protestant: 0.06, 'Other religion': 0.06 },
  Singapore: { Buddhist: 0.31, 'No religion': 0.2, Muslim: 0.15, Protestant: 0.12, Catholic: 0.07, Hindu: 0.05, 'Other religion': 0.1 },
  Turkey: { Muslim: 0.97, 'No religion': 0.02, 'Other religion': 0.01 },
  Israel: { Jewish: 0.78, Muslim: 0.17, 'Other religion': 0.05 },
  Pakistan: { Muslim: 0.97, Hindu: 0.02, 'Other religion': 0.01 },
  Bangladesh: { Muslim: 0.9, Hindu: 0.09, 'Other religion': 0.01 },
  Indonesia: { Muslim: 0.87, Protestant: 0.07, Catholic: 0.03, Hindu: 0.02, 'Other religion': 0.01 },
  Iran: { Muslim: 0.98, 'Other religion': 0.02 },
  Egypt: { Muslim: 0.9, 'Orthodox Christian': 0.1 },
  Lebanon: { Muslim: 0.6, Catholic: 0.25, 'Orthodox Christian': 0.1, 'Other religion': 0.05 },
  Nigeria: { Muslim: 0.5, Protestant: 0.3, Catholic: 0.15, 'Other religion': 0.05 },
  Ghana: { Protestant: 0.6, Catholic: 0.13, Muslim: 0.18, 'Other religion': 0.09 },
  Kenya: { Protestant: 0.6, Catholic: 0.2, Muslim: 0.1, 'Other religion': 0.1 },
  Ethiopia: { 'Orthodox Christian': 0.43, Muslim: 0.34, Protestant: 0.19, 'Other religion': 0.04 },
  'South Africa': { Protestant: 0.6, Catholic: 0.08, 'No religion': 0.15, Muslim: 0.02, Hindu: 0.02, 'Other religion': 0.13 },
  Zimbabwe: { Protestant: 0.7, Catholic: 0.1, 'No religion': 0.1, 'Other religion': 0.1 },
  Uruguay: { 'No religion': 0.45, Catholic: 0.4, Protestant: 0.1, 'Other religion': 0.05 },
};

/** Religion shares for a country: its own row if it has one, else its zone's. */
export function religionShares(country: Country, zone: Zone): Shares<Religion> {
  return COUNTRY_RELIGION[country] ?? ZONE_DEMOGRAPHY[zone].religion;
}

const STUDENT = EMPLOYMENT.indexOf('Student');
const RETIRED = EMPLOYMENT.indexOf('Retired');

/** Employment weights at a given age: students mostly under 25, retirees mostly 65 and over. */
export function employmentWeights(zone: Zone, age: number): number[] {
  const w = [...ZONE_DEMOGRAPHY[zone].employment];
  if (age < 25) {
    w[STUDENT] *= 8;
    w[RETIRED] = 0;
  } else if (age >= 65) {
    w[RETIRED] *= 15;
    w[STUDENT] = 0;
  } else {
    w[STUDENT] *= 0.2;
    w[RETIRED] *= 0.3;
  }
  return w;
}

/** One adult of a country: age, gender, country, education, religion, employment (no ethnicity). */
export function drawProfile(rand: Rand, country: Country, zone: Zone): Profile {
  const d = ZONE_DEMOGRAPHY[zone];
  let age: number;
  do age = Math.round(d.age[0] + d.age[1] * normal(rand));
  while (age < 18 || age > 90);
  const nb = d.nonBinary;
  const gender = GENDERS[pick(rand, GENDERS.map((g) => (g === 'Non-binary' ? nb : (1 - nb) / 2)))];
  const education = EDUCATION[pick(rand, d.education)];
  const shares = religionShares(country, zone);
  const religion = RELIGIONS[pick(rand, RELIGIONS.map((r) => shares[r] ?? 0))];
  const employment = EMPLOYMENT[pick(rand, employmentWeights(zone, age))];
  return { age, gender, country, education, religion, employment };
}
