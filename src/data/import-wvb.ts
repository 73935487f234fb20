/**
 * WorldValuesBench-style survey answers, one answer per row, as CSV (header row required) or JSONL
 * (one JSON object per line, same keys). The WVS participant file itself may not be redistributed;
 * this is the shape an export of it (or any similar survey) is expected in.
 *
 * | column         | required | content |
 * | -------------- | -------- | ------- |
 * | participant_id | yes      | respondent id (string or number); every row of one respondent must give the same profile |
 * | country        | yes      | country name; profile.ts spellings (COUNTRY_GEO) get a cultural zone, others are kept and listed in `unknownCountries` |
 * | age            | no       | whole years, 0–120 |
 * | gender         | no       | free text (profile.ts GENDERS: Female, Male, Non-binary) |
 * | education      | no       | free text (profile.ts EDUCATION levels) |
 * | religion       | no       | free text (profile.ts RELIGIONS) |
 * | ethnicity      | no       | free text |
 * | employment     | no       | free text (profile.ts EMPLOYMENT) |
 * | question_id    | yes      | question id (string or number); every row of one question must give the same text and options |
 * | question       | yes      | question text |
 * | options        | yes      | answer labels in order: a JSON list (`["Agree","Disagree"]`) or `|`-separated (`Agree|Disagree`); 2–26 distinct labels |
 * | answer         | one of   | the chosen option's label text (exact after trimming, else case-insensitive), matched against the labels only, never read as an index |
 * | answer_index   | the three| the chosen option's 0-based index |
 * | answer_score   |          | the WVS score, 1-based (1 = the first option) |
 *
 * Exactly one answer column names the coding. WorldValuesBench's 10-point scales are labelled "Never
 * justifiable, 2, …, 9, Always justifiable": there "2" is a label, so a rule "a label, else an index" would
 * shift answers by one option without a word. An `answer` that matches no label is refused, with a message
 * that names answer_index and answer_score. WorldValuesBench's own release (wide TSVs) is read by
 * ./import-wvb-release.ts.
 *
 * Optional columns may be missing from the header or left blank (blank / null = not given). Other
 * columns are ignored and listed in `ignoredColumns`.
 *
 * A row is BAD (listed in `bad` with its 1-based line and the reason, and skipped) when the record is
 * malformed, has the wrong number of fields, misses a required value, has an invalid age or options,
 * an answer that is neither a label nor an index in range, a profile that differs from the same
 * participant's earlier row, a question text/options that differ from the same question's earlier
 * row, or repeats a (participant, question) pair already answered. Nothing is dropped without a row
 * in `bad`.
 */
import { profileFromJson, ProfileError, type Profile } from '../condition/profile';
import { parseCsv } from './csv';
import type { Participant, SurveyDataset, SurveyQuestion, SurveyResponse } from './dataset';
import { ImportError, type ImportIssue } from './import-common';
import { canonicalCountry } from './zones';

export const WVB_COLUMNS = [
  'participant_id',
  'country',
  'age',
  'gender',
  'education',
  'religion',
  'ethnicity',
  'employment',
  'question_id',
  'question',
  'options',
  'answer',
  'answer_index',
  'answer_score',
] as const;
export const WVB_REQUIRED = ['participant_id', 'country', 'question_id', 'question', 'options'] as const;
/** the columns that can hold the answer, each naming its coding */
export const WVB_ANSWER_COLUMNS = ['answer', 'answer_index', 'answer_score'] as const;
export type AnswerColumn = (typeof WVB_ANSWER_COLUMNS)[number];
const PROFILE_TEXT = ['gender', 'education', 'religion', 'ethnicity', 'employment'] as const;

export interface WvbImport {
  dataset: SurveyDataset;
  bad: ImportIssue[];
  ignoredColumns: string[];
  /** countries that canonicalCountry does not know (kept; their zone is "Unassigned") */
  unknownCountries: string[];
  /** data rows read (good + bad) */
  rows: number;
}

export type WvbFormat = 'csv' | 'jsonl';

class RowError extends Error {}

const RELEASE_HINT = ': this looks like WorldValuesBench’s release (wide TSVs keyed by D_INTERVIEW); give the *_demographic_qa.tsv and *_value_qa.tsv pair with question_metadata.json and codebook.json';
function looksLikeRelease(header: readonly string[]): boolean {
  return header.includes('D_INTERVIEW');
}

function text(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new RowError(`${name} must be text, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  const t = v.trim();
  return t === '' ? undefined : t;
}

function required(v: unknown, name: string): string {
  const t = text(v, name);
  if (t === undefined) throw new RowError(`${name} is missing`);
  return t;
}

function parseOptions(v: unknown): string[] {
  let list: unknown;
  if (Array.isArray(v)) list = v;
  else {
    const t = required(v, 'options');
    if (t.startsWith('[')) {
      try {
        list = JSON.parse(t);
      } catch (e) {
        throw new RowError(`options looks like a JSON list but is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    } else list = t.split('|');
  }
  if (!Array.isArray(list) || !list.every((o) => typeof o === 'string')) throw new RowError('options must be a list of strings');
  const opts = list.map((o: string) => o.trim());
  if (opts.length < 2) throw new RowError(`options must have at least 2 labels, got ${opts.length}`);
  if (opts.length > 26) throw new RowError(`options can have at most 26 labels (A–Z), got ${opts.length}`);
  if (opts.some((o) => o === '')) throw new RowError('options has an empty label');
  const dup = opts.find((o, i) => opts.indexOf(o) !== i);
  if (dup !== undefined) throw new RowError(`options has the label "${dup}" twice`);
  return opts;
}

function parseAnswer(row: Record<string, unknown>, options: readonly string[]): number {
  const K = options.length;
  const given = WVB_ANSWER_COLUMNS.filter((c) => text(row[c], c) !== undefined);
  if (given.length === 0) throw new RowError('answer is missing (give answer, answer_index or answer_score)');
  if (given.length > 1) throw new RowError(`the answer is given twice (${given.join(' and ')}): give one column`);
  const col = given[0];
  const t = text(row[col], col)!;
  if (col === 'answer') {
    const exact = options.indexOf(t);
    if (exact >= 0) return exact;
    const lower = options.map((o) => o.toLowerCase());
    const ci = lower.indexOf(t.toLowerCase());
    if (ci >= 0 && lower.lastIndexOf(t.toLowerCase()) === ci) return ci;
    const hint = /^-?\d+(\.0*)?$/.test(t) ? ` If ${t} is a number, name its coding: answer_index (0-based) or answer_score (WVS, 1-based).` : '';
    throw new RowError(`answer "${t}" is not one of the options (${options.join(' | ')}); answer is matched against the labels only.${hint}`);
  }
  if (!/^[+-]?\d+(\.0*)?$/.test(t)) throw new RowError(`${col} must be a whole number, got "${t}"`);
  const k = Number(t);
  const idx = col === 'answer_index' ? k : k - 1;
  const range = col === 'answer_index' ? `0–${K - 1}` : `1–${K}`;
  if (idx < 0 || idx >= K) throw new RowError(`${col} ${k} is not in ${range} (${K} options)`);
  return idx;
}

function parseAge(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  const t = text(v, 'age');
  if (t === undefined) return undefined;
  if (!/^[+-]?\d+(\.0*)?$/.test(t)) throw new RowError(`age must be a whole number of years, got "${t}"`);
  return Number(t);
}

function profileOf(row: Record<string, unknown>): Profile {
  const raw: Record<string, unknown> = { country: required(row.country, 'country') };
  const age = parseAge(row.age);
  if (age !== undefined) raw.age = age;
  for (const k of PROFILE_TEXT) {
    const t = text(row[k], k);
    if (t !== undefined) raw[k] = t;
  }
  try {
    return profileFromJson(raw);
  } catch (e) {
    if (e instanceof ProfileError) throw new RowError(e.message.replace(/^invalid profile: /, ''));
    throw e;
  }
}

/** The same profile, written the same way (key order fixed). */
function profileSignature(p: Profile): string {
  return JSON.stringify(['age', 'gender', 'country', 'education', 'religion', 'ethnicity', 'employment'].map((k) => p[k as keyof Profile] ?? null));
}

function describeProfile(p: Profile): string {
  return (['age', 'gender', 'country', 'education', 'religion', 'ethnicity', 'employment'] as const)
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${p[k]}`)
    .join(', ');
}

class Builder {
  questions: SurveyQuestion[] = [];
  participants: Participant[] = [];
  responses: SurveyResponse[] = [];
  bad: ImportIssue[] = [];
  unknown = new Set<string>();
  private pIndex = new Map<string, { index: number; sig: string; line: number }>();
  private qIndex = new Map<string, { index: number; sig: string; line: number }>();
  private answered = new Map<string, number>();

  add(line: number, row: Record<string, unknown>): void {
    try {
      const pid = required(row.participant_id, 'participant_id');
      const profile = profileOf(row);
      const qid = required(row.question_id, 'question_id');
      const question = required(row.question, 'question');
      const options = parseOptions(row.options);
      const answer = parseAnswer(row, options);

      const psig = profileSignature(profile);
      const knownP = this.pIndex.get(pid);
      if (knownP && knownP.sig !== psig) {
        throw new RowError(
          `participant ${pid} has a different profile than on line ${knownP.line} (${describeProfile(profile)} vs ${describeProfile(this.participants[knownP.index].profile)})`,
        );
      }
      const qsig = JSON.stringify([question, options]);
      const knownQ = this.qIndex.get(qid);
      if (knownQ && knownQ.sig !== qsig) {
        const prev = this.questions[knownQ.index];
        const what = prev.text !== question ? 'text' : 'options';
        throw new RowError(`question ${qid} has different ${what} than on line ${knownQ.line}`);
      }
      const pair = JSON.stringify([pid, qid]);
      const before = this.answered.get(pair);
      if (before !== undefined) throw new RowError(`participant ${pid} already answered question ${qid} on line ${before}`);

      let pi = knownP?.index;
      if (pi === undefined) {
        pi = this.participants.length;
        this.participants.push({ id: pid, profile });
        this.pIndex.set(pid, { index: pi, sig: psig, line });
        if (!canonicalCountry(profile.country!)) this.unknown.add(profile.country!);
      }
      let qi = knownQ?.index;
      if (qi === undefined) {
        qi = this.questions.length;
        this.questions.push({ id: qid, text: question, options });
        this.qIndex.set(qid, { index: qi, sig: qsig, line });
      }
      this.answered.set(pair, line);
      this.responses.push({ participant: pi, question: qi, answer });
    } catch (e) {
      if (e instanceof RowError) this.bad.push({ line, reason: e.message });
      else throw e;
    }
  }
}

function finish(b: Builder, ignored: Iterable<string>, rows: number): WvbImport {
  b.bad.sort((x, y) => x.line - y.line);
  return {
    dataset: { questions: b.questions, participants: b.participants, responses: b.responses },
    bad: b.bad,
    ignoredColumns: [...new Set(ignored)].sort(),
    unknownCountries: [...b.unknown].sort(),
    rows,
  };
}

export function importWvbCsv(textIn: string): WvbImport {
  const { records, errors } = parseCsv(textIn);
  if (records.length === 0) throw new ImportError(errors.length ? `no readable header: line ${errors[0].line}: ${errors[0].reason}` : 'the file is empty');
  if (errors.length && errors[0].line < records[0].line) throw new ImportError(`unreadable header: line ${errors[0].line}: ${errors[0].reason}`);
  const header = records[0].fields.map((h) => h.trim());
  const missing = WVB_REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) throw new ImportError(`line ${records[0].line}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${looksLikeRelease(header) ? RELEASE_HINT : ''}`);
  if (!WVB_ANSWER_COLUMNS.some((c) => header.includes(c))) throw new ImportError(`line ${records[0].line}: no answer column: give answer (the label text), answer_index (0-based) or answer_score (WVS, 1-based)`);
  const dupCol = header.find((h, i) => header.indexOf(h) !== i);
  if (dupCol) throw new ImportError(`line ${records[0].line}: column ${dupCol} appears twice`);
  const b = new Builder();
  for (const e of errors) b.bad.push({ line: e.line, reason: `malformed CSV: ${e.reason}` });
  const data = records.slice(1);
  for (const { line, fields } of data) {
    if (fields.length !== header.length) {
      b.bad.push({ line, reason: `expected ${header.length} fields, found ${fields.length}` });
      continue;
    }
    const row: Record<string, unknown> = {};
    header.forEach((h, i) => (row[h] = fields[i]));
    b.add(line, row);
  }
  const known = new Set<string>(WVB_COLUMNS);
  return finish(b, header.filter((h) => !known.has(h)), data.length + errors.length);
}

export function importWvbJsonl(textIn: string): WvbImport {
  const b = new Builder();
  const ignored = new Set<string>();
  const known = new Set<string>(WVB_COLUMNS);
  const lines = textIn.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let rows = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    rows++;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      b.bad.push({ line, reason: `not valid JSON (${e instanceof Error ? e.message : String(e)})` });
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      b.bad.push({ line, reason: `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}` });
      return;
    }
    for (const k of Object.keys(v)) if (!known.has(k)) ignored.add(k);
    b.add(line, v as Record<string, unknown>);
  });
  return finish(b, ignored, rows);
}

/** CSV or JSONL: `format`, or guessed from the first non-blank character ("{" → JSONL). */
export function importWorldValuesBench(textIn: string, format?: WvbFormat): WvbImport {
  const f = format ?? (/^\s*\{/.test(textIn.replace(/^\uFEFF/, '')) ? 'jsonl' : 'csv');
  return f === 'jsonl' ? importWvbJsonl(textIn) : importWvbCsv(textIn);
}
