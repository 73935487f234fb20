// A demographic profile and its linearization into one sentence, the text the condition encoder
// embeds (CUMA: attributes in a fixed order so that equal profiles give equal text, and text that
// differs in one attribute differs in one place).
import { z } from 'zod';

export interface Profile {
  age?: number;
  gender?: string;
  country?: string;
  education?: string;
  religion?: string;
  ethnicity?: string;
  employment?: string;
  /** anything else about the person; always placed after the attributes */
  freeText?: string;
}

/** CUMA's attribute order; `linearize` follows it, whatever order the object's keys are in. */
export const ATTRIBUTE_ORDER = ['Age', 'Gender', 'Country', 'Education', 'Religion', 'Ethnicity', 'Employment'] as const;
export type Attribute = (typeof ATTRIBUTE_ORDER)[number];

const FIELD: Record<Attribute, Exclude<keyof Profile, 'freeText'>> = {
  Age: 'age',
  Gender: 'gender',
  Country: 'country',
  Education: 'education',
  Religion: 'religion',
  Ethnicity: 'ethnicity',
  Employment: 'employment',
};

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

// A value that already ends a sentence ("Ph.D.") must not get a second period.
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * The profile as one sentence: `Label: value.` for each attribute present, in ATTRIBUTE_ORDER, joined
 * by single spaces, then the free text as its own sentence. Values keep their case; runs of whitespace
 * become one space; missing, empty or blank values are left out (no "Religion: ." placeholder, so an
 * unknown attribute does not look like a stated one). Age is written as an integer.
 *
 * `linearize({ age: 34, gender: 'Female', country: 'Norway', freeText: 'Enjoys hiking' })`
 * → `"Age: 34. Gender: Female. Country: Norway. Enjoys hiking."`
 */
export function linearize(p: Profile): string {
  const parts: string[] = [];
  for (const label of ATTRIBUTE_ORDER) {
    const v = p[FIELD[label]];
    if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) continue;
    const text = typeof v === 'number' ? String(Math.round(v)) : clean(v);
    if (text) parts.push(sentence(`${label}: ${text}`));
  }
  const free = p.freeText === undefined ? '' : clean(p.freeText);
  if (free) parts.push(sentence(free));
  return parts.join(' ');
}

/**
 * CUMA's profile sentence (process_datasets.py / evaluate_wvs.py), which its code puts in place of the system
 * prompt and embeds for e_d: "You are a person from Norway, age group: 25-34 years old, gender: Female,
 * education: Unknown, marital status: Unknown, religion: Unknown, ethnicity: Unknown, employment: Unknown."
 * Attributes a profile lacks are "Unknown", as in evaluate_wvs.py (our profiles have no marital status);
 * free text follows the sentence.
 */
export function profileSentence(p: Profile): string {
  const v = (x: string | undefined) => (x && clean(x)) || 'Unknown';
  const age = p.age === undefined || !Number.isFinite(p.age) ? 'Unknown' : ageGroupOf(p.age);
  const s = `You are a person from ${v(p.country)}, age group: ${age}, gender: ${v(p.gender)}, education: ${v(p.education)}, marital status: Unknown, religion: ${v(p.religion)}, ethnicity: ${v(p.ethnicity)}, employment: ${v(p.employment)}.`;
  const free = p.freeText === undefined ? '' : clean(p.freeText);
  return free ? `${s} ${sentence(free)}` : s;
}

/** WVS's age bands (X003R) as CUMA writes them. */
export function ageGroupOf(age: number): string {
  if (age < 25) return '16-24 years old';
  if (age >= 65) return '65 and over';
  const lo = Math.floor((age - 25) / 10) * 10 + 25;
  return `${lo}-${lo + 9} years old`;
}

// ---- option lists for the UI ----

/**
 * Countries offered in the picker: names exactly as in the Inglehart–Welzel data
 * (shared/reference/iw-map/countries.csv), so a profile's country can be joined to its map position;
 * COUNTRY_GEO gives the data's key for each. Chosen to cover every cultural zone of the 2023 map.
 */
export const COUNTRY_GEO = {
  // Protestant Europe
  Norway: 'norway', Sweden: 'sweden', Denmark: 'denmark', Finland: 'finland', Iceland: 'iceland',
  Netherlands: 'netherlands', Germany: 'germany', Switzerland: 'switzerland',
  // English-speaking
  'Great Britain': 'great_britain', Ireland: 'ireland', 'United States': 'united_states', Canada: 'canada',
  Australia: 'australia', 'New Zealand': 'new_zealand',
  // Catholic Europe
  France: 'france', Spain: 'spain', Italy: 'italy', Portugal: 'portugal', Austria: 'austria', Belgium: 'belgium',
  Poland: 'poland', Czechia: 'czechia', Hungary: 'hungary', Slovenia: 'slovenia', Croatia: 'croatia',
  // Orthodox Europe
  Russia: 'russia', Ukraine: 'ukraine', Romania: 'romania', Bulgaria: 'bulgaria', Serbia: 'serbia',
  Greece: 'greece', Georgia: 'georgia', Armenia: 'armenia',
  // Confucian
  China: 'china', Japan: 'japan', 'South Korea': 'south_korea', 'Taiwan ROC': 'taiwan_roc',
  'Hong Kong SAR': 'hong_kong_sar',
  // West & South Asia
  India: 'india', Pakistan: 'pakistan', Bangladesh: 'bangladesh', Indonesia: 'indonesia', Malaysia: 'malaysia',
  Philippines: 'philippines', Thailand: 'thailand', Vietnam: 'vietnam', Singapore: 'singapore', Turkey: 'turkey',
  Iran: 'iran', Israel: 'israel',
  // African-Islamic
  Egypt: 'egypt', Morocco: 'morocco', Tunisia: 'tunisia', Jordan: 'jordan', Lebanon: 'lebanon', Iraq: 'iraq',
  Nigeria: 'nigeria', Ghana: 'ghana', Kenya: 'kenya', Ethiopia: 'ethiopia', 'South Africa': 'south_africa',
  Zimbabwe: 'zimbabwe',
  // Latin America
  Mexico: 'mexico', Brazil: 'brazil', Argentina: 'argentina', Chile: 'chile', Colombia: 'colombia', Peru: 'peru',
  Uruguay: 'uruguay', Ecuador: 'ecuador', Bolivia: 'bolivia', Guatemala: 'guatemala',
} as const satisfies Record<string, string>;
export type Country = keyof typeof COUNTRY_GEO;
export const COUNTRIES: readonly Country[] = (Object.keys(COUNTRY_GEO) as Country[]).sort((a, b) => a.localeCompare(b));

export const GENDERS = ['Female', 'Male', 'Non-binary'] as const;

/** Lowest to highest (roughly ISCED 0–8), so a slider's position is the level. */
export const EDUCATION = [
  'No formal education',
  'Primary school',
  'Lower secondary school',
  'Upper secondary school',
  'Vocational training',
  "Bachelor's degree",
  "Master's degree",
  'Doctorate',
] as const;

/** The World Values Survey's denominations, in its order, with "No religion" first. */
export const RELIGIONS = [
  'No religion',
  'Catholic',
  'Protestant',
  'Orthodox Christian',
  'Jewish',
  'Muslim',
  'Hindu',
  'Buddhist',
  'Sikh',
  'Other religion',
] as const;

/** The World Values Survey's employment categories. */
export const EMPLOYMENT = [
  'Full-time employed',
  'Part-time employed',
  'Self-employed',
  'Retired',
  'Homemaker',
  'Student',
  'Unemployed',
] as const;

// ---- validation of profiles from JSON (files, URLs, worker messages) ----

export class ProfileError extends Error {
  override name = 'ProfileError';
}

const text = (field: string) =>
  z.string({ error: (iss) => `${field} must be a string, got ${describe(iss.input)}` });

const KNOWN = 'age, gender, country, education, religion, ethnicity, employment, freeText';

// Strict: a misspelt key ("Country", "free_text") would otherwise vanish silently and the profile
// would lose that attribute without anyone noticing.
const profileSchema = z
  .strictObject(
    {
      age: z
        .number({ error: (iss) => `age must be a number, got ${describe(iss.input)}` })
        .int({ error: 'age must be a whole number of years' })
        .min(0, { error: 'age must be between 0 and 120' })
        .max(120, { error: 'age must be between 0 and 120' }),
      gender: text('gender'),
      country: text('country'),
      education: text('education'),
      religion: text('religion'),
      ethnicity: text('ethnicity'),
      employment: text('employment'),
      freeText: text('freeText'),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `unknown profile field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} (known: ${KNOWN})`
          : `a profile must be a JSON object, got ${describe(iss.input)}`,
    },
  )
  .partial();
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * A Profile from parsed JSON, or a ProfileError listing every problem ("age must be a number, got
 * string \"34\""; "unknown profile field \"Country\""). Fields set to null count as absent.
 */
export function profileFromJson(json: unknown): Profile {
  const input =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? Object.fromEntries(Object.entries(json).filter(([, v]) => v !== null))
      : json;
  const r = profileSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ProfileError(`invalid profile: ${r.error.issues.map((i) => i.message).join('; ')}`);
}
