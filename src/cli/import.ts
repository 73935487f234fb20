// `npm run cli -- import --format goqa|wvb PATH… [--json]`: read real survey files the way the app does, and
// show what was read and every row that was not, with its line and reason. No model, no GPU.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeSurveyBytes } from '../data/encoding';
import { ImportError } from '../data/import-common';
import { importGlobalOpinions, type OpinionQuestion } from '../data/import-goqa';
import { importWorldValuesBench } from '../data/import-wvb';
import { importWvbRelease } from '../data/import-wvb-release';

export const IMPORT_USAGE = `  npm run cli -- import --format goqa|wvb PATH… [--json]
      reads survey files and prints what was parsed and every rejected row with its line and reason
      goqa: GlobalOpinionQA's CSV (question, selections, options, source)
      wvb:  WorldValuesBench's release (a folder, or the *_demographic_qa.tsv and *_value_qa.tsv pair with
            question_metadata.json and codebook.json), or long CSV/JSONL (one answer per row)
      --json: one object: goqa {questions, rejected, warnings, unknownCountries, mergedSamples};
              wvb {answers: [{participant, country, question, option (0-based)}], questions, rejected, warnings}`;

export interface Issue {
  file: string;
  line: number | null;
  reason: string;
}

function readText(path: string, warnings: Issue[]): string {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ImportError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const d = decodeSurveyBytes(bytes, basename(path));
  for (const w of d.warnings) warnings.push({ file: path, line: null, reason: w });
  return d.text;
}

export interface GoqaOutput {
  questions: { question: string; options: string[]; source: string; selections: Record<string, number[]>; file: string; line: number }[];
  rejected: Issue[];
  warnings: Issue[];
  unknownCountries: string[];
  mergedSamples: { country: string; used: string[]; dropped: string[] }[];
}

export function importGoqaFiles(paths: readonly string[]): GoqaOutput {
  const out: GoqaOutput = { questions: [], rejected: [], warnings: [], unknownCountries: [], mergedSamples: [] };
  const unknown = new Set<string>();
  for (const path of paths) {
    const text = readText(path, out.warnings);
    let r;
    try {
      r = importGlobalOpinions(text);
    } catch (e) {
      if (e instanceof ImportError) throw new ImportError(`${path}: ${e.message}`);
      throw e;
    }
    out.questions.push(...r.questions.map((q: OpinionQuestion) => ({ question: q.question, options: q.options, source: q.source, selections: q.selections, file: path, line: q.line })));
    out.rejected.push(...r.bad.map((b) => ({ file: path, ...b })));
    out.warnings.push(...r.warnings.map((w) => ({ file: path, ...w })));
    if (r.ignoredColumns.length) out.warnings.push({ file: path, line: 1, reason: `columns not read: ${r.ignoredColumns.join(', ')}` });
    r.unknownCountries.forEach((c) => unknown.add(c));
    for (const m of r.mergedSamples) if (!out.mergedSamples.some((x) => JSON.stringify(x) === JSON.stringify(m))) out.mergedSamples.push(m);
  }
  out.unknownCountries = [...unknown].sort();
  if (out.unknownCountries.length) out.warnings.push({ file: paths.join(', '), line: null, reason: `countries with no cultural zone (kept, left out of zone statistics): ${out.unknownCountries.join(', ')}` });
  return out;
}

export interface WvbOutput {
  answers: { participant: string; country: string; question: string; option: number }[];
  questions: { id: string; text: string; options: readonly string[] }[];
  rejected: Issue[];
  warnings: Issue[];
  unknownCountries: string[];
}

const RELEASE = { demographic: /_demographic_qa\.tsv$/, value: /_value_qa\.tsv$/, metadata: /(^|\/)question_metadata\.json$/, codebook: /(^|\/)codebook\.json$/ };

export function importWvbFiles(pathsIn: readonly string[]): WvbOutput {
  // a folder stands for the release files inside it
  const paths = pathsIn.flatMap((p) => (statSafe(p)?.isDirectory() ? readdirSync(p).filter((f) => Object.values(RELEASE).some((re) => re.test(f))).map((f) => join(p, f)) : [p]));
  const out: WvbOutput = { answers: [], questions: [], rejected: [], warnings: [], unknownCountries: [] };
  const release = paths.filter((p) => Object.values(RELEASE).some((re) => re.test(p)));
  const long = paths.filter((p) => !release.includes(p));
  const push = (r: ReturnType<typeof importWorldValuesBench>, file: string, warnings: string[]) => {
    const ds = r.dataset;
    const qOffset = out.questions.length;
    out.questions.push(...ds.questions.map((q) => ({ id: q.id, text: q.text, options: q.options })));
    for (const x of ds.responses) {
      const p = ds.participants[x.participant];
      out.answers.push({ participant: p.id, country: p.profile.country ?? '', question: out.questions[qOffset + x.question].id, option: x.answer });
    }
    out.rejected.push(...r.bad.map((b) => ({ file, ...b })));
    out.warnings.push(...warnings.map((w) => ({ file, line: null, reason: w })));
    if (r.ignoredColumns.length && !release.length) out.warnings.push({ file, line: 1, reason: `columns not read: ${r.ignoredColumns.join(', ')}` });
    out.unknownCountries = [...new Set([...out.unknownCountries, ...r.unknownCountries])].sort();
  };
  if (release.length) {
    const pick = (k: keyof typeof RELEASE) => {
      const found = release.filter((p) => RELEASE[k].test(p));
      if (found.length > 1) throw new ImportError(`more than one ${k} file: ${found.join(', ')} (give one split's pair)`);
      return found[0];
    };
    const demographic = pick('demographic'), value = pick('value'), metadata = pick('metadata'), codebook = pick('codebook');
    const lacking = [!demographic && '*_demographic_qa.tsv', !value && '*_value_qa.tsv', !metadata && 'question_metadata.json'].filter(Boolean);
    if (lacking.length) throw new ImportError(`WorldValuesBench's release needs ${lacking.join(', ')} too (given: ${release.map((p) => basename(p)).join(', ')})`);
    const f = (p: string) => ({ name: basename(p), text: readText(p, out.warnings) });
    const r = importWvbRelease({ demographic: f(demographic!), value: f(value!), metadata: f(metadata!), ...(codebook ? { codebook: f(codebook) } : {}) });
    push(r, `${basename(demographic!)} + ${basename(value!)}`, r.warnings);
  }
  for (const path of long) {
    const text = readText(path, out.warnings);
    try {
      push(importWorldValuesBench(text, /\.jsonl?$/i.test(path) ? 'jsonl' : /\.csv$/i.test(path) ? 'csv' : undefined), path, []);
    } catch (e) {
      if (e instanceof ImportError) throw new ImportError(`${path}: ${e.message}`);
      throw e;
    }
  }
  if (out.unknownCountries.length) out.warnings.push({ file: paths.join(', '), line: null, reason: `countries with no cultural zone (kept as "Unassigned"): ${out.unknownCountries.join(', ')}` });
  return out;
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

const where = (i: Issue) => `${i.file}${i.line != null ? `:${i.line}` : ''}`;

/** The human-readable report (without --json). */
export function describeImport(format: 'goqa' | 'wvb', r: GoqaOutput | WvbOutput): string {
  const lines: string[] = [];
  if (format === 'goqa') {
    const g = r as GoqaOutput;
    const countries = new Set(g.questions.flatMap((q) => Object.keys(q.selections)));
    lines.push(`${g.questions.length} questions, ${countries.size} country keys, ${g.rejected.length} rejected rows, ${g.warnings.length} warnings`);
    for (const q of g.questions.slice(0, 5)) lines.push(`  ${where({ file: q.file, line: q.line, reason: '' })}  ${q.question.replace(/\s+/g, ' ').slice(0, 80)}  [${q.options.join(' | ')}]  ${Object.keys(q.selections).length} countries`);
    if (g.questions.length > 5) lines.push(`  … ${g.questions.length - 5} more`);
    for (const m of g.mergedSamples) lines.push(`  one country, several samples: ${m.country} counts as ${m.used.join(' + ')}${m.dropped.length ? `; not counted: ${m.dropped.join(', ')}` : ''}`);
  } else {
    const w = r as WvbOutput;
    lines.push(`${w.answers.length} answers from ${new Set(w.answers.map((a) => a.participant)).size} participants to ${w.questions.length} questions, ${w.rejected.length} rejected rows, ${w.warnings.length} warnings`);
    for (const q of w.questions.slice(0, 5)) lines.push(`  ${q.id}  ${q.text.replace(/\s+/g, ' ').slice(0, 80)}  [${q.options.join(' | ')}]`);
    if (w.questions.length > 5) lines.push(`  … ${w.questions.length - 5} more`);
  }
  if (r.rejected.length) lines.push('rejected:', ...r.rejected.map((i) => `  ${where(i)}: ${i.reason}`));
  if (r.warnings.length) lines.push('warnings:', ...r.warnings.map((i) => `  ${where(i)}: ${i.reason}`));
  return lines.join('\n') + '\n';
}
