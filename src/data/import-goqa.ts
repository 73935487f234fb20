/**
 * GlobalOpinionQA (Durmus et al. 2023; Hugging Face dataset `Anthropic/llm_global_opinions`, file
 * `data/global_opinions.csv`, CC-BY-NC-SA-4.0): survey questions with each country's answer
 * distribution.
 *
 * Columns (header row required, any order, other columns ignored and listed in `ignoredColumns`):
 *
 * | column     | content |
 * | ---------- | ------- |
 * | question   | the question text (may hold commas, quotes and newlines: a quoted CSV field) |
 * | selections | Python repr of `defaultdict(<class 'list'>, {'Nigeria': [0.1, 0.9], …})`: country → one probability per option (a plain dict repr is accepted too) |
 * | options    | Python repr of a list of strings: `['Yes', 'No', "Don't know"]` |
 * | source     | survey the question comes from (`GAS` = Pew Global Attitudes, `WVS`); optional |
 *
 * Both Python columns are read by ./pyliteral.ts, which parses literal syntax and never evaluates.
 *
 * What is checked, and what happens (nothing is dropped without a report):
 * - a row is BAD (listed in `bad` with its line and reason, and skipped) when its CSV record is
 *   malformed, it has the wrong number of fields, the question is empty, options is not a non-empty
 *   list of strings, selections is not a dict of lists, or no country is left after the checks below;
 * - a COUNTRY of a row is dropped and listed in `warnings` (line, country, reason) when its list does
 *   not have one number per option, holds a non-number, NaN, ∞ or a negative, or sums to 0;
 * - a country's list that sums to 1 ± 0.01 is kept as is; one that sums to anything else > 0 is
 *   normalized to sum to 1 and listed in `warnings`.
 * Line numbers are 1-based lines of the file where the row's record starts (the header is line 1).
 */
import { parseCsv } from './csv';
import { ImportError, type ImportIssue } from './import-common';
import { parsePyLiteral, PyLiteralError, type PyValue } from './pyliteral';
import { canonicalCountry, sampleRank, zoneOf, ZONES, type Zone } from './zones';
import type { Country } from '../condition/profile';

export interface OpinionQuestion {
  /** line where the row starts */
  line: number;
  question: string;
  options: string[];
  source: string;
  /** country as the file spells it → probability per option (sums to 1) */
  selections: Record<string, number[]>;
}

export interface GlobalOpinionsImport {
  questions: OpinionQuestion[];
  bad: ImportIssue[];
  warnings: ImportIssue[];
  /** country keys canonicalCountry cannot place (kept in selections; no zone), sorted */
  unknownCountries: string[];
  /** countries the file has several samples (or spellings) of, and which count in zone statistics and worlds */
  mergedSamples: { country: Country; used: string[]; dropped: string[] }[];
  ignoredColumns: string[];
  /** data rows read (good + bad) */
  rows: number;
}

const REQUIRED = ['question', 'selections', 'options'] as const;

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a dict';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? `the number ${v}` : `the boolean ${v}`;
}

function pyError(e: unknown): string {
  return e instanceof PyLiteralError ? e.message : String(e);
}

/** Parse the CSV text of GlobalOpinionQA (see the header comment for columns and checks). */
export function importGlobalOpinions(text: string): GlobalOpinionsImport {
  const { records, errors } = parseCsv(text);
  if (records.length === 0) throw new ImportError(errors.length ? `no readable header: line ${errors[0].line}: ${errors[0].reason}` : 'the file is empty');
  if (errors.length && errors[0].line < records[0].line) throw new ImportError(`unreadable header: line ${errors[0].line}: ${errors[0].reason}`);
  const header = records[0].fields.map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const missing = REQUIRED.filter((c) => col(c) < 0);
  if (missing.length) throw new ImportError(`line ${records[0].line}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${header.join(', ')})`);
  const ignoredColumns = header.filter((h) => !['question', 'selections', 'options', 'source'].includes(h));
  const iQ = col('question');
  const iS = col('selections');
  const iO = col('options');
  const iSrc = col('source');

  const csvBad = errors.filter((e) => e.line > records[0].line);
  const bad: ImportIssue[] = csvBad.map((e) => ({ line: e.line, reason: `malformed CSV: ${e.reason}` }));
  const warnings: ImportIssue[] = [];
  const questions: OpinionQuestion[] = [];
  const unknown = new Set<string>();
  const dataRecords = records.slice(1);

  for (const { line, fields } of dataRecords) {
    const fail = (reason: string) => bad.push({ line, reason });
    if (fields.length !== header.length) {
      fail(`expected ${header.length} fields, found ${fields.length}`);
      continue;
    }
    const question = fields[iQ].trim();
    if (!question) {
      fail('empty question');
      continue;
    }
    let options: PyValue;
    try {
      // Pew's 0–10 items write some options as numbers (['Not important at all', 1.0, …, 'Very important']):
      // they are read as the text the file wrote
      options = parsePyLiteral(fields[iO], { numbersAsText: true });
    } catch (e) {
      fail(`options is not a Python literal: ${pyError(e)}`);
      continue;
    }
    if (!Array.isArray(options) || options.length === 0 || !options.every((o) => typeof o === 'string')) {
      fail(`options must be a non-empty list of strings or numbers, got ${Array.isArray(options) ? (options.length === 0 ? 'an empty list' : 'a list with something else') : describe(options)}`);
      continue;
    }
    let sel: PyValue;
    const dupKeys: string[] = [];
    try {
      sel = parsePyLiteral(fields[iS], { onDuplicateKey: (k) => dupKeys.push(String(k)) });
    } catch (e) {
      fail(`selections is not a Python literal: ${pyError(e)}`);
      continue;
    }
    if (!(sel instanceof Map)) {
      fail(`selections must be a dict (or defaultdict) of country → list, got ${describe(sel)}`);
      continue;
    }
    const K = options.length;
    for (const k of dupKeys) warnings.push({ line, reason: `${k}: appears twice in selections; the first list is dropped, the last kept (as Python reads it)` });
    // null prototype: a country key "__proto__" is an ordinary key, not the object's prototype
    const selections = Object.create(null) as Record<string, number[]>;
    for (const [k, v] of sel) {
      const country = String(k);
      const warn = (reason: string) => warnings.push({ line, reason: `${country}: ${reason}` });
      if (typeof k !== 'string') {
        warn(`country key is ${describe(k)}, not a string; dropped`);
        continue;
      }
      if (!Array.isArray(v)) {
        warn(`expected a list of ${K} probabilities, got ${describe(v)}; dropped`);
        continue;
      }
      if (v.length !== K) {
        warn(`${v.length} probabilities for ${K} options; dropped`);
        continue;
      }
      const nums = v.map((x) => (typeof x === 'number' ? x : Number.NaN));
      const badAt = nums.findIndex((x) => !Number.isFinite(x) || x < 0);
      if (badAt >= 0) {
        const x = v[badAt];
        warn(`probability ${badAt + 1} is ${typeof x === 'number' ? String(x) : describe(x)}; dropped`);
        continue;
      }
      const sum = nums.reduce((a, b) => a + b, 0);
      if (!(sum > 0)) {
        warn('probabilities sum to 0; dropped');
        continue;
      }
      if (Math.abs(sum - 1) > 0.01) {
        warn(`probabilities sum to ${+sum.toFixed(4)}; normalized`);
        selections[country] = nums.map((x) => x / sum);
      } else selections[country] = nums;
    }
    if (Object.keys(selections).length === 0) {
      fail(sel.size === 0 ? 'selections is empty' : 'no country has a usable distribution (see warnings)');
      continue;
    }
    const labels = options as string[];
    const dupLabel = labels.find((o, i) => labels.indexOf(o) !== i);
    if (dupLabel !== undefined) warnings.push({ line, reason: `options has the label "${dupLabel}" twice` });
    for (const c of Object.keys(selections)) if (!canonicalCountry(c)) unknown.add(c);
    questions.push({ line, question, options: labels, source: iSrc >= 0 ? fields[iSrc].trim() : '', selections });
  }
  bad.sort((a, b) => a.line - b.line);
  const merges = new Map<string, { country: Country; used: string[]; dropped: string[] }>();
  for (const q of questions) for (const m of countryDistributions(q).merged) merges.set(JSON.stringify(m), m);
  const mergedSamples = [...merges.values()].sort((a, b) => a.country.localeCompare(b.country));
  return { questions, bad, warnings, unknownCountries: [...unknown].sort(), mergedSamples, ignoredColumns, rows: dataRecords.length + csvBad.length };
}

/**
 * A question's distribution per country, each country once: samples of one country (Pew's "India (Current
 * national sample)", "India (Old national sample)", "Nigeria (Non-national sample)", or two spellings such as
 * "Britain" and "Great Britain") collapse to the most national sample (zones.ts sampleRank), averaged when
 * two are equally national. `merged` says which keys went where. Unknown countries are left out.
 */
export function countryDistributions(q: OpinionQuestion): { countries: Map<Country, number[]>; merged: { country: Country; used: string[]; dropped: string[] }[] } {
  const by = new Map<Country, { name: string; rank: number; p: number[] }[]>();
  for (const [name, p] of Object.entries(q.selections)) {
    const c = canonicalCountry(name);
    if (!c) continue;
    by.set(c, [...(by.get(c) ?? []), { name, rank: sampleRank(name), p }]);
  }
  const countries = new Map<Country, number[]>();
  const merged: { country: Country; used: string[]; dropped: string[] }[] = [];
  for (const [c, samples] of by) {
    const best = Math.min(...samples.map((x) => x.rank));
    const used = samples.filter((x) => x.rank === best);
    countries.set(c, used[0].p.map((_, k) => used.reduce((a, x) => a + x.p[k], 0) / used.length));
    if (samples.length > 1) merged.push({ country: c, used: used.map((x) => x.name), dropped: samples.filter((x) => x.rank !== best).map((x) => x.name) });
  }
  return { countries, merged };
}

/**
 * A question's distributions averaged per cultural zone (unweighted over the zone's countries that
 * the file has). Countries not in ZONE_ASSIGNMENT (after canonicalCountry: "Britain" → Great Britain,
 * "Germany (Old national sample)" → Germany) are returned in `unassigned`.
 */
export function opinionsByZone(q: OpinionQuestion): { zones: Partial<Record<Zone, number[]>>; unassigned: string[] } {
  const sums = new Map<Zone, { acc: number[]; n: number }>();
  const unassigned = Object.keys(q.selections).filter((c) => !canonicalCountry(c));
  // each country once, whatever number of samples the file has of it
  for (const [country, p] of countryDistributions(q).countries) {
    const z = zoneOf(country)!;
    let e = sums.get(z);
    if (!e) sums.set(z, (e = { acc: new Array(p.length).fill(0), n: 0 }));
    p.forEach((x, k) => (e!.acc[k] += x));
    e.n++;
  }
  const zones: Partial<Record<Zone, number[]>> = {};
  for (const z of ZONES) {
    const e = sums.get(z);
    if (e) zones[z] = e.acc.map((x) => x / e.n);
  }
  return { zones, unassigned };
}

// ---- fetching from the Hugging Face hub ----

export const GLOBAL_OPINIONS_DATASET = 'Anthropic/llm_global_opinions';
export const GLOBAL_OPINIONS_FILE = 'data/global_opinions.csv';
export const HF_BASE_URL = 'https://huggingface.co';

export interface FetchGlobalOpinionsOptions {
  /** hub origin (default https://huggingface.co); tests point it at a local server */
  baseUrl?: string;
  /** dataset id (default Anthropic/llm_global_opinions) */
  datasetId?: string;
  /** branch, tag or commit (default main) */
  revision?: string;
  /** file inside the dataset repo (default data/global_opinions.csv) */
  file?: string;
  /** a fetch to use instead of the global one */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** `${baseUrl}/datasets/${datasetId}/resolve/${revision}/${file}` */
export function globalOpinionsUrl(opts: FetchGlobalOpinionsOptions = {}): string {
  const base = (opts.baseUrl ?? HF_BASE_URL).replace(/\/+$/, '');
  const id = opts.datasetId ?? GLOBAL_OPINIONS_DATASET;
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) throw new ImportError(`dataset id must look like "owner/name", got ${JSON.stringify(id)}`);
  const rev = encodeURIComponent(opts.revision ?? 'main');
  const file = (opts.file ?? GLOBAL_OPINIONS_FILE).split('/').map(encodeURIComponent).join('/');
  return `${base}/datasets/${id}/resolve/${rev}/${file}`;
}

/** Download GlobalOpinionQA's CSV (browser or Node fetch) and import it. */
export async function fetchGlobalOpinions(opts: FetchGlobalOpinionsOptions = {}): Promise<GlobalOpinionsImport & { url: string }> {
  const url = globalOpinionsUrl(opts);
  const f = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await f(url, { signal: opts.signal });
  } catch (e) {
    throw new ImportError(`could not fetch ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) {
    const hint = res.status === 401 || res.status === 403 ? ' (the dataset may need a Hugging Face login or accepted terms)' : '';
    throw new ImportError(`fetching ${url} failed: HTTP ${res.status} ${res.statusText}${hint}`);
  }
  return { url, ...importGlobalOpinions(await res.text()) };
}
