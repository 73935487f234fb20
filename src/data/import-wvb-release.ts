/**
 * WorldValuesBench's own release layout (github.com/Demon702/WorldValuesBench, dataset_construction/
 * data_preparation.py; the files are built from the WVS Wave 7 participant file, which may not be
 * redistributed, so users build them and bring them):
 *
 * | file                          | content |
 * | ----------------------------- | ------- |
 * | `{split}_demographic_qa.tsv`  | wide: one row per participant, `D_INTERVIEW` then one column per demographic question (B_COUNTRY, Q260 sex, Q262 age, Q275 education, Q279 employment, Q289 religion, Q290 ethnicity, …). Cells are the codebook's label text ("Great Britain", "Male"), or the WVS code where a tool wrote codes (826, 1), which the codebook turns into the label |
 * | `{split}_value_qa.tsv`        | wide: `D_INTERVIEW` then one column per value question (Q1 … Q259). Cells are the WVS code of the answer (`4` or `4.0`); empty = no answer (negative codes: don't know, no answer, not asked) |
 * | `question_metadata.json`      | question id → { question, category, use_case, answer_scale_min, answer_scale_max, answer_data_type } |
 * | `codebook.json`               | question id → { question, choices: { code: label } } with negative codes for missing answers |
 *
 * A value question's options are its codebook choices with a non-negative code, in code order ("Never
 * justifiable", "2", …, "9", "Always justifiable"); without a codebook entry, the metadata's scale
 * min…max as numbers. An answer's option index is its code's place among them. Nothing is guessed:
 * a code that is not on the question's scale, a participant missing from the demographic file, an
 * unreadable cell, each is a rejected row with its file, line and reason; missing answers are counted
 * in the warnings.
 */
import { profileFromJson, ProfileError, type Profile } from '../condition/profile';
import { parseCsv } from './csv';
import type { Participant, SurveyQuestion, SurveyResponse } from './dataset';
import { ImportError, type ImportIssue } from './import-common';
import type { WvbImport } from './import-wvb';
import { canonicalCountry } from './zones';

export interface WvbReleaseFiles {
  demographic: { name: string; text: string };
  value: { name: string; text: string };
  metadata: { name: string; text: string };
  /** without it, options are the scale's numbers (a warning says so) */
  codebook?: { name: string; text: string };
}

/** Where each profile attribute comes from (CUMA's process_datasets.py reads the same columns). */
export const WVB_DEMOGRAPHIC_COLUMNS = { country: 'B_COUNTRY', gender: 'Q260', age: 'Q262', education: 'Q275', employment: 'Q279', religion: 'Q289', ethnicity: 'Q290' } as const;

interface MetaEntry {
  question: string;
  use_case?: string;
  answer_scale_min?: number | string;
  answer_scale_max?: number | string;
}
interface CodebookEntry {
  question?: string;
  choices?: Record<string, string>;
}

function parseJsonObject(f: { name: string; text: string }): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(f.text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ImportError(`${f.name} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ImportError(`${f.name} must be a JSON object keyed by question id`);
  return v as Record<string, unknown>;
}

function readTsv(f: { name: string; text: string }): { header: string[]; rows: { line: number; fields: string[] }[]; errors: ImportIssue[] } {
  const { records, errors } = parseCsv(f.text, '\t');
  if (records.length === 0) throw new ImportError(`${f.name} is empty`);
  const header = records[0].fields.map((h) => h.trim());
  if (!header.includes('D_INTERVIEW')) throw new ImportError(`${f.name}: line ${records[0].line}: no D_INTERVIEW column (header starts ${header.slice(0, 5).join(', ')}); is this a WorldValuesBench *_qa.tsv?`);
  return { header, rows: records.slice(1), errors: errors.map((e) => ({ line: e.line, reason: `${f.name}: malformed TSV: ${e.reason}` })) };
}

/** A WVS code in a cell: "4", "4.0", "-1"; null for an empty cell or NaN. */
function code(cell: string): number | null | 'bad' {
  const t = cell.trim();
  if (t === '' || /^nan$/i.test(t)) return null;
  if (!/^[+-]?\d+(\.0*)?$/.test(t)) return 'bad';
  return Number(t);
}

/** Import the release's TSV pair with its metadata and codebook. */
export function importWvbRelease(files: WvbReleaseFiles): WvbImport & { warnings: string[] } {
  const meta = parseJsonObject(files.metadata) as Record<string, MetaEntry>;
  const book = files.codebook ? (parseJsonObject(files.codebook) as Record<string, CodebookEntry>) : {};
  const warnings: string[] = [];
  if (!files.codebook) warnings.push('no codebook.json: options are the scale numbers from question_metadata.json, without their labels');
  const bad: ImportIssue[] = [];
  const at = (name: string, line: number, reason: string) => bad.push({ line, reason: `${name}: ${reason}` });

  // ---- demographics → profiles ----
  const demo = readTsv(files.demographic);
  bad.push(...demo.errors);
  const col = (id: string) => demo.header.indexOf(id);
  if (col(WVB_DEMOGRAPHIC_COLUMNS.country) < 0) throw new ImportError(`${files.demographic.name}: no ${WVB_DEMOGRAPHIC_COLUMNS.country} column (the interview's country)`);
  const label = (qid: string, cell: string): string | undefined => {
    const t = cell.trim();
    if (t === '' || /^nan$/i.test(t)) return undefined;
    const c = code(t);
    if (typeof c === 'number') {
      if (c < 0) return undefined; // don't know, no answer, not asked
      const choices = book[qid]?.choices;
      // a question whose codebook lists only missing codes (age: "objective") keeps its number as is
      if (choices && Object.keys(choices).some((k) => Number(k) >= 0)) {
        const l = choices[String(c)];
        if (l === undefined) throw new RowError(`${qid} code ${c} is not in the codebook`);
        return l;
      }
      return String(c); // "34.0" as pandas writes a column with gaps → 34
    }
    return t;
  };
  const participants = new Map<string, { index: number; profile: Profile; line: number }>();
  const participantList: Participant[] = [];
  const unknown = new Set<string>();
  const missingLabels = /^(don.t know|no answer|not asked|missing|not applicable)/i;
  for (const { line, fields } of demo.rows) {
    if (fields.length !== demo.header.length) {
      at(files.demographic.name, line, `expected ${demo.header.length} fields, found ${fields.length}`);
      continue;
    }
    const id = fields[col('D_INTERVIEW')].trim().replace(/\.0+$/, '');
    try {
      if (!id) throw new RowError('D_INTERVIEW is empty');
      if (participants.has(id)) throw new RowError(`participant ${id} is already on line ${participants.get(id)!.line}`);
      const raw: Record<string, unknown> = {};
      for (const [k, qid] of Object.entries(WVB_DEMOGRAPHIC_COLUMNS)) {
        const i = col(qid);
        if (i < 0) continue;
        const v = label(qid, fields[i]);
        if (v === undefined || missingLabels.test(v)) continue;
        if (k === 'age') {
          const a = Number(v);
          if (!Number.isInteger(a)) throw new RowError(`${qid} (age) must be whole years, got "${v}"`);
          raw.age = a;
        } else raw[k] = v;
      }
      if (raw.country === undefined) throw new RowError(`${WVB_DEMOGRAPHIC_COLUMNS.country} (country) is missing`);
      const profile = profileFromJson(raw);
      if (!canonicalCountry(profile.country!)) unknown.add(profile.country!);
      participants.set(id, { index: participantList.length, profile, line });
      participantList.push({ id, profile });
    } catch (e) {
      if (e instanceof RowError) at(files.demographic.name, line, e.message);
      else if (e instanceof ProfileError) at(files.demographic.name, line, e.message.replace(/^invalid profile: /, ''));
      else throw e;
    }
  }

  // ---- value answers ----
  const val = readTsv(files.value);
  bad.push(...val.errors);
  const qcols: { i: number; qid: string; q: number; codes: number[] }[] = [];
  const questions: SurveyQuestion[] = [];
  const ignored: string[] = [];
  val.header.forEach((qid, i) => {
    if (qid === 'D_INTERVIEW') return;
    const m = meta[qid];
    if (!m || typeof m !== 'object' || typeof m.question !== 'string') {
      ignored.push(qid);
      return;
    }
    const choices = book[qid]?.choices;
    let codes: number[];
    let options: string[];
    if (choices) {
      codes = Object.keys(choices).map(Number).filter((c) => Number.isInteger(c) && c >= 0).sort((a, b) => a - b);
      options = codes.map((c) => choices[String(c)].trim());
    } else {
      const lo = Number(m.answer_scale_min), hi = Number(m.answer_scale_max);
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
        warnings.push(`${qid}: no codebook entry and no usable scale in question_metadata.json (min ${m.answer_scale_min}, max ${m.answer_scale_max}); its column is skipped`);
        return;
      }
      codes = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
      options = codes.map(String);
    }
    if (codes.length < 2 || codes.length > 26) {
      warnings.push(`${qid}: ${codes.length} options (2–26 needed); its column is skipped`);
      return;
    }
    if (new Set(options).size !== options.length) options = options.map((o, k) => (options.indexOf(o) !== k ? `${o} (${codes[k]})` : o));
    qcols.push({ i, qid, q: questions.length, codes });
    questions.push({ id: qid, text: m.question, options });
  });
  if (ignored.length) warnings.push(`${files.value.name}: ${ignored.length} column${ignored.length > 1 ? 's' : ''} not in question_metadata.json, skipped: ${ignored.slice(0, 8).join(', ')}${ignored.length > 8 ? ', …' : ''}`);
  const responses: SurveyResponse[] = [];
  let missing = 0;
  const seen = new Set<string>();
  const idCol = val.header.indexOf('D_INTERVIEW');
  for (const { line, fields } of val.rows) {
    if (fields.length !== val.header.length) {
      at(files.value.name, line, `expected ${val.header.length} fields, found ${fields.length}`);
      continue;
    }
    const id = fields[idCol].trim().replace(/\.0+$/, '');
    const p = participants.get(id);
    if (!p) {
      at(files.value.name, line, `participant ${id || '(empty D_INTERVIEW)'} has no usable row in ${files.demographic.name}; their answers are skipped`);
      continue;
    }
    if (seen.has(id)) {
      at(files.value.name, line, `participant ${id} has a second row; skipped`);
      continue;
    }
    seen.add(id);
    for (const c of qcols) {
      const v = code(fields[c.i]);
      if (v === null || (typeof v === 'number' && v < 0)) {
        missing++;
        continue;
      }
      if (v === 'bad') {
        at(files.value.name, line, `${c.qid}: "${fields[c.i].trim()}" is not a WVS code`);
        continue;
      }
      const k = c.codes.indexOf(v);
      if (k < 0) {
        at(files.value.name, line, `${c.qid}: code ${v} is not on the question's scale (${c.codes.join(', ')})`);
        continue;
      }
      responses.push({ participant: p.index, question: c.q, answer: k });
    }
  }
  if (missing) warnings.push(`${missing} empty or negative-coded cells (no answer, don't know, not asked) are missing answers, not rows`);
  bad.sort((a, b) => a.line - b.line);
  return {
    dataset: { questions, participants: participantList, responses },
    bad,
    warnings,
    ignoredColumns: ignored,
    unknownCountries: [...unknown].sort(),
    rows: demo.rows.length + val.rows.length,
  };
}

class RowError extends Error {}
