// Cultural zones of the Inglehart–Welzel map (2023 edition) and each country's position on it.
//
// No public file maps every country to a zone, so the assignment below is ours, written down with
// its reason. The zones are the 2023 map's eight (the older Baltic zone is not used; no Baltic
// country is in COUNTRY_GEO). The zones are cultural-heritage groupings (dominant religious tradition,
// colonial and linguistic history), not clusters of the scores, so a country's zone is decided by its
// heritage first and its scores second; where the two disagree the reason says so.
import { COUNTRY_GEO, type Country } from '../condition/profile';
import { IW_RAW } from './iw-data';

export const ZONES = [
  'Protestant Europe',
  'English-speaking',
  'Catholic Europe',
  'Orthodox Europe',
  'Confucian',
  'West & South Asia',
  'African-Islamic',
  'Latin America',
] as const;
export type Zone = (typeof ZONES)[number];

interface Placement {
  zone: Zone;
  why: string;
}

/**
 * Every country of COUNTRY_GEO (profile.ts) with its zone and the reason. Differences from the
 * grouping comments in profile.ts: Pakistan, Bangladesh, Indonesia and Iran are placed in
 * African-Islamic here (profile.ts lists them under West & South Asia).
 */
export const ZONE_ASSIGNMENT: Readonly<Record<Country, Placement>> = {
  // Protestant Europe: historically Lutheran/Reformed societies of northern and central Europe.
  Norway: { zone: 'Protestant Europe', why: 'Lutheran heritage; on every IW map' },
  Sweden: { zone: 'Protestant Europe', why: 'Lutheran heritage; the map’s most secular and self-expressive corner' },
  Denmark: { zone: 'Protestant Europe', why: 'Lutheran heritage' },
  Finland: { zone: 'Protestant Europe', why: 'Lutheran heritage' },
  Iceland: { zone: 'Protestant Europe', why: 'Lutheran heritage' },
  Netherlands: { zone: 'Protestant Europe', why: 'Reformed heritage; placed in Protestant Europe by the IW maps despite a large Catholic minority' },
  Germany: { zone: 'Protestant Europe', why: 'Reformation heartland; the IW maps place (unified and West) Germany in Protestant Europe' },
  Switzerland: { zone: 'Protestant Europe', why: 'Reformed (Zwingli/Calvin) heritage; Protestant Europe on the IW maps' },
  // English-speaking: the British settler societies and Britain/Ireland.
  'Great Britain': { zone: 'English-speaking', why: 'English-speaking zone’s origin' },
  Ireland: { zone: 'English-speaking', why: 'Catholic, but the IW maps group it with the English-speaking zone (language and institutions)' },
  'United States': { zone: 'English-speaking', why: 'British settler society' },
  Canada: { zone: 'English-speaking', why: 'British settler society (Quebec notwithstanding)' },
  Australia: { zone: 'English-speaking', why: 'British settler society' },
  'New Zealand': { zone: 'English-speaking', why: 'British settler society' },
  // Catholic Europe: Roman Catholic heritage, including the post-communist Catholic countries.
  France: { zone: 'Catholic Europe', why: 'Catholic heritage' },
  Spain: { zone: 'Catholic Europe', why: 'Catholic heritage' },
  Italy: { zone: 'Catholic Europe', why: 'Catholic heritage' },
  Portugal: { zone: 'Catholic Europe', why: 'Catholic heritage' },
  Austria: { zone: 'Catholic Europe', why: 'Catholic heritage (Habsburg)' },
  Belgium: { zone: 'Catholic Europe', why: 'Catholic heritage' },
  Poland: { zone: 'Catholic Europe', why: 'Catholic heritage; the most traditional of the zone' },
  Czechia: { zone: 'Catholic Europe', why: 'Catholic heritage (Habsburg), today largely non-religious; Catholic Europe on the IW maps' },
  Hungary: { zone: 'Catholic Europe', why: 'Catholic majority heritage (Habsburg)' },
  Slovenia: { zone: 'Catholic Europe', why: 'Catholic heritage (Habsburg)' },
  Croatia: { zone: 'Catholic Europe', why: 'Catholic heritage (Habsburg)' },
  // Orthodox Europe: Eastern Orthodox heritage, including the Caucasus.
  Russia: { zone: 'Orthodox Europe', why: 'Orthodox heritage' },
  Ukraine: { zone: 'Orthodox Europe', why: 'Orthodox heritage' },
  Romania: { zone: 'Orthodox Europe', why: 'Orthodox heritage' },
  Bulgaria: { zone: 'Orthodox Europe', why: 'Orthodox heritage' },
  Serbia: { zone: 'Orthodox Europe', why: 'Orthodox heritage' },
  Greece: { zone: 'Orthodox Europe', why: 'Orthodox heritage; older maps put it in Catholic Europe, the 2023 map in Orthodox Europe; its scores lie between the two' },
  Georgia: { zone: 'Orthodox Europe', why: 'Georgian Orthodox heritage' },
  Armenia: { zone: 'Orthodox Europe', why: 'Armenian Apostolic (Oriental Orthodox) heritage; grouped with Orthodox Europe as the closest Christian-Orthodox zone' },
  // Confucian: the Sinic societies.
  China: { zone: 'Confucian', why: 'Confucian heritage' },
  Japan: { zone: 'Confucian', why: 'Confucian/Buddhist heritage' },
  'South Korea': { zone: 'Confucian', why: 'Confucian heritage' },
  'Taiwan ROC': { zone: 'Confucian', why: 'Confucian heritage' },
  'Hong Kong SAR': { zone: 'Confucian', why: 'Confucian heritage' },
  // West & South Asia: the Indian subcontinent outside its Muslim-majority states, mainland and
  // maritime Southeast Asia, and the non-Arab states of West Asia.
  India: { zone: 'West & South Asia', why: 'South Asia (Hindu majority)' },
  Philippines: { zone: 'West & South Asia', why: 'Southeast Asia; Catholic, but the IW maps place it with South Asia, not Latin America' },
  Thailand: { zone: 'West & South Asia', why: 'Southeast Asia (Theravada Buddhist)' },
  Vietnam: { zone: 'West & South Asia', why: 'Southeast Asia; Confucian influences, but the IW maps place it with South Asia' },
  Malaysia: { zone: 'West & South Asia', why: 'Southeast Asia; Muslim majority with large Chinese and Indian minorities, scores near Thailand/Singapore' },
  Singapore: { zone: 'West & South Asia', why: 'Southeast Asia; multi-ethnic, scores near Malaysia' },
  Turkey: { zone: 'West & South Asia', why: 'West Asia; secular-state tradition, non-Arab; the zone’s "West Asia" part' },
  Israel: { zone: 'West & South Asia', why: 'West Asia; Jewish majority' },
  // African-Islamic: Sub-Saharan Africa and the Muslim-majority societies of the Middle East,
  // North Africa and South Asia.
  Pakistan: { zone: 'African-Islamic', why: 'Muslim majority (Islamic republic); scores sit inside the African-Islamic cluster (t≈−1.3, s≈−0.6)' },
  Bangladesh: { zone: 'African-Islamic', why: 'Muslim majority; scores next to Pakistan and Egypt' },
  Indonesia: { zone: 'African-Islamic', why: 'Muslim majority; scores (t≈−1.2, s≈−0.9) next to Jordan and Ethiopia, not to the rest of Southeast Asia' },
  Iran: { zone: 'African-Islamic', why: 'Islamic republic; survival score among the zone’s lowest' },
  Egypt: { zone: 'African-Islamic', why: 'Arab, Muslim majority' },
  Morocco: { zone: 'African-Islamic', why: 'Arab, Muslim majority' },
  Tunisia: { zone: 'African-Islamic', why: 'Arab, Muslim majority' },
  Jordan: { zone: 'African-Islamic', why: 'Arab, Muslim majority' },
  Lebanon: { zone: 'African-Islamic', why: 'Arab; Muslim majority with large Christian communities' },
  Iraq: { zone: 'African-Islamic', why: 'Arab, Muslim majority' },
  Nigeria: { zone: 'African-Islamic', why: 'Sub-Saharan Africa' },
  Ghana: { zone: 'African-Islamic', why: 'Sub-Saharan Africa' },
  Kenya: { zone: 'African-Islamic', why: 'Sub-Saharan Africa' },
  Ethiopia: { zone: 'African-Islamic', why: 'Sub-Saharan Africa' },
  'South Africa': { zone: 'African-Islamic', why: 'Sub-Saharan Africa; the zone’s most secular/self-expressive member' },
  Zimbabwe: { zone: 'African-Islamic', why: 'Sub-Saharan Africa; the map’s strongest survival score' },
  // Latin America: Iberian colonial, Catholic heritage in the Americas.
  Mexico: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Brazil: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Argentina: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Chile: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Colombia: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Peru: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Uruguay: { zone: 'Latin America', why: 'Iberian-Catholic heritage; the zone’s most secular member' },
  Ecuador: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Bolivia: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
  Guatemala: { zone: 'Latin America', why: 'Iberian-Catholic heritage' },
};

export function isCountry(name: string): name is Country {
  return Object.prototype.hasOwnProperty.call(COUNTRY_GEO, name);
}

/** The zone of a country (any spelling canonicalCountry knows), or undefined. */
export function zoneOf(country: string): Zone | undefined {
  const c = canonicalCountry(country);
  return c === undefined ? undefined : ZONE_ASSIGNMENT[c].zone;
}

/** Countries of a zone, in COUNTRY_GEO order. */
export function countriesIn(zone: Zone): Country[] {
  return (Object.keys(ZONE_ASSIGNMENT) as Country[]).filter((c) => ZONE_ASSIGNMENT[c].zone === zone);
}

/** A point on the Inglehart–Welzel map, both axes oriented so that higher = the modern pole. */
export interface IwPosition {
  /** traditional (−) ↔ secular-rational (+) */
  traditionalSecular: number;
  /** survival (−) ↔ self-expression (+) */
  survivalSelfExpression: number;
  /** survey year the scores come from (the latest with both) */
  year: number;
}

/**
 * A country's position on the map, from its latest survey year.
 *
 * SIGN CORRECTION: the source file survival-selfexpression.csv stores the survival/self-expression
 * factor with its sign reversed (Sweden ≈ −3.1, Zimbabwe ≈ +1.9, i.e. higher = more survival).
 * Every published IW map puts Sweden at the self-expression extreme and Zimbabwe near the survival
 * extreme, so the score is negated here to read "higher = more self-expression". The
 * traditional/secular score is used as is (Sweden ≈ +1.2, Ghana ≈ −1.8: already higher = secular).
 */
export function iwPosition(country: Country): IwPosition {
  const geo = COUNTRY_GEO[country];
  const row = IW_RAW[geo];
  if (!row) throw new Error(`no Inglehart–Welzel scores for ${country} (${geo})`);
  const [year, tradagg, survsaggRaw] = row;
  return { traditionalSecular: tradagg, survivalSelfExpression: -survsaggRaw, year };
}

/** Mean map position of a zone's countries (every assigned country, whatever a world includes). */
const centers = new Map<Zone, { traditionalSecular: number; survivalSelfExpression: number }>();
export function zoneCenter(zone: Zone): { traditionalSecular: number; survivalSelfExpression: number } {
  const known = centers.get(zone);
  if (known) return { ...known };
  const cs = countriesIn(zone);
  let t = 0;
  let s = 0;
  for (const c of cs) {
    const p = iwPosition(c);
    t += p.traditionalSecular;
    s += p.survivalSelfExpression;
  }
  const c = { traditionalSecular: t / cs.length, survivalSelfExpression: s / cs.length };
  centers.set(zone, c);
  return { ...c };
}

// Names other sources use for countries of COUNTRY_GEO (GlobalOpinionQA uses Pew's and the WVS's
// spellings, sometimes with a sample note in parentheses).
const ALIASES: Readonly<Record<string, Country>> = {
  britain: 'Great Britain',
  'united kingdom': 'Great Britain',
  uk: 'Great Britain',
  'u.k.': 'Great Britain',
  england: 'Great Britain',
  'great britain': 'Great Britain',
  usa: 'United States',
  'u.s.': 'United States',
  us: 'United States',
  'united states of america': 'United States',
  taiwan: 'Taiwan ROC',
  'hong kong': 'Hong Kong SAR',
  'czech republic': 'Czechia',
  'czech rep.': 'Czechia',
  'russian federation': 'Russia',
  korea: 'South Korea',
  's. korea': 'South Korea',
  's. africa': 'South Africa',
  's.africa': 'South Africa',
  'korea, south': 'South Korea',
  'republic of korea': 'South Korea',
  'viet nam': 'Vietnam',
  'türkiye': 'Turkey',
  turkiye: 'Turkey',
};

/**
 * The COUNTRY_GEO name for a country spelled as another source spells it ("Britain", "Taiwan",
 * "Czech Republic", "Germany (Old national sample)"), or undefined when it is not one of ours.
 */
export function canonicalCountry(name: string): Country | undefined {
  const trimmed = name.replace(/\s*\([^)]*\)\s*$/, '').replace(/\s+/g, ' ').trim();
  if (isCountry(trimmed)) return trimmed;
  const key = trimmed.toLowerCase();
  const alias = Object.prototype.hasOwnProperty.call(ALIASES, key) ? ALIASES[key] : undefined;
  if (alias) return alias;
  for (const c of Object.keys(COUNTRY_GEO) as Country[]) if (c.toLowerCase() === key) return c;
  return undefined;
}

/**
 * How national a survey sample is, by the note a source adds to the country's name (Pew in GlobalOpinionQA:
 * "India (Current national sample)", "India (Old national sample)", "Nigeria (Non-national sample)"):
 * 0 national (no note, or a current national sample), 1 an older national sample, 2 a non-national sample.
 */
export function sampleRank(name: string): 0 | 1 | 2 {
  const note = /\(([^)]*)\)\s*$/.exec(name)?.[1].toLowerCase() ?? '';
  if (/non-?national/.test(note)) return 2;
  if (/\bold\b/.test(note)) return 1;
  return 0;
}
