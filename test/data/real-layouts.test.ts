// Survey files in the real public layouts, written by the project (the real data's licences forbid
// committing it), with every hostile case seen in the real files: GlobalOpinionQA's multi-line questions
// with stray quotes, Pew's numeric 0–10 options, its country spellings and several samples of one
// country, a "__proto__" key, other encodings; WorldValuesBench's release (wide TSVs keyed by
// D_INTERVIEW with question_metadata.json and codebook.json) and its "Never justifiable, 2, …, 9" scales.
// Read through the library and through `npm run cli -- import`.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importGlobalOpinions, opinionsByZone } from '../../src/data/import-goqa';
import { decodeSurveyBytes } from '../../src/data/encoding';
import { importWvbRelease } from '../../src/data/import-wvb-release';
import type { GoqaOutput, WvbOutput } from '../../src/cli/import';

import { GOQA_TEXT } from './fixtures/real-layouts';

describe('GlobalOpinionQA in its real layout', () => {
  const r = importGlobalOpinions(GOQA_TEXT);

  it('a stray quote in a multi-line question skips that record whole, once, with no phantom question', () => {
    expect(r.questions.map((q) => q.line)).toEqual([2, 3, 9, 10]);
    expect(r.bad).toEqual([{ line: 6, reason: expect.stringMatching(/^malformed CSV: a stray quote inside a quoted field .*lines 6–8, is skipped whole$/) }]);
    expect(r.questions[1].question).toBe('In political matters, people talk of "the left" and "the right."\n\nHow would you place your views?');
  });

  it("accepts Pew's numeric options, with the labels as the file writes them", () => {
    expect(r.questions[2].options).toEqual(['Not important at all', '1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '8.0', '9.0', 'Very important']);
  });

  it("maps Pew's spellings, lists the unknown ones, and counts one country once in zone statistics", () => {
    expect(r.unknownCountries).toEqual(['Palest. ter.', '__proto__']);
    const zones = opinionsByZone(r.questions[2]).zones;
    // Nigeria: only the national sample counts (its non-national sample would pull the mean to option 2)
    const africa = zones['African-Islamic']!;
    // S. Africa and Nigeria, both national, both peaked at option 10
    expect(africa[10]).toBeCloseTo(0.5, 4);
    // India: the current national sample only
    expect(zones['West & South Asia']![9]).toBeCloseTo(0.5, 4);
    expect(r.mergedSamples).toEqual([
      { country: 'India', used: ['India (Current national sample)'], dropped: ['India (Old national sample)'] },
      { country: 'Nigeria', used: ['Nigeria'], dropped: ['Nigeria (Non-national sample)'] },
    ]);
    expect(opinionsByZone(r.questions[0]).zones['Confucian']).toEqual([0.25, 0.25, 0.25, 0.25]); // S. Korea
    expect(opinionsByZone(r.questions[0]).zones['English-speaking']).toEqual([0.3, 0.1, 0.5, 0.1]); // Britain
  });

  it('keeps a "__proto__" country as a key, and reports a duplicate key', () => {
    const q = r.questions[3];
    expect(Object.keys(q.selections)).toEqual(['__proto__', 'Czech Rep.']);
    expect(q.selections['Czech Rep.']).toEqual([0.4, 0.6]);
    expect(r.warnings).toContainEqual({ line: 10, reason: 'Czech Rep.: appears twice in selections; the first list is dropped, the last kept (as Python reads it)' });
    expect(JSON.parse(JSON.stringify(q.selections))).toEqual(JSON.parse('{"__proto__": [0.5, 0.5], "Czech Rep.": [0.4, 0.6]}'));
  });
});

describe('encodings', () => {
  it('UTF-8 with and without a BOM read alike; UTF-16 is converted with a note', () => {
    const text = 'question,selections\nCôte d’Ivoire,1\n';
    const utf8 = new TextEncoder().encode(text);
    expect(decodeSurveyBytes(utf8)).toEqual({ text, encoding: 'utf-8', warnings: [] });
    expect(decodeSurveyBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8])).text).toBe(text);
    const le = new Uint8Array(2 + text.length * 2);
    le.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) {
      le[2 + 2 * i] = text.charCodeAt(i) & 0xff;
      le[3 + 2 * i] = text.charCodeAt(i) >> 8;
    }
    const d = decodeSurveyBytes(le, 'x.csv');
    expect(d.text).toBe(text);
    expect(d.encoding).toBe('utf-16le');
    expect(d.warnings[0]).toMatch(/x\.csv is UTF-16LE; converted/);
    // without a BOM, big-endian
    const be = new Uint8Array(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      be[2 * i] = text.charCodeAt(i) >> 8;
      be[2 * i + 1] = text.charCodeAt(i) & 0xff;
    }
    expect(decodeSurveyBytes(be).text).toBe(text);
  });

  it('Windows-1252 is named, never read with U+FFFD', () => {
    // "Côte d'Ivoire" in Windows-1252: ô = 0xF4
    const bytes = new Uint8Array([...new TextEncoder().encode('country\nC'), 0xf4, ...new TextEncoder().encode("te d'Ivoire\n")]);
    const d = decodeSurveyBytes(bytes, 'pew.csv');
    expect(d.text).toBe("country\nCôte d'Ivoire\n");
    expect(d.text).not.toContain('\uFFFD');
    expect(d.encoding).toBe('windows-1252');
    expect(d.warnings[0]).toMatch(/pew\.csv is not UTF-8: read as Windows-1252 \(first non-ASCII character on line 2\)/);
  });
});

// ---- WorldValuesBench's release ----
const META = {
  Q177: { question: "On a scale of 1 to 10, 1 meaning 'Never justifiable' and 10 meaning 'Always justifiable', how justifiable is it to claim government benefits to which you are not entitled?", category: 'Ethical Values', use_case: 'value', answer_scale_min: 1, answer_scale_max: 10, answer_data_type: 'ordinal' },
  Q1: { question: 'How important is family in your life?', category: 'Social Values', use_case: 'value', answer_scale_min: 1, answer_scale_max: 4, answer_data_type: 'ordinal' },
  Q46: { question: 'Taking all things together, would you say you are happy?', category: 'Happiness', use_case: 'value', answer_scale_min: 1, answer_scale_max: 4, answer_data_type: 'ordinal' },
  B_COUNTRY: { question: 'In what country was the interview conducted?', category: 'Technical Variables', use_case: 'demographic', answer_scale_min: '', answer_scale_max: '', answer_data_type: 'non_ordinal' },
};
const BOOK = {
  Q177: { question: 'Justifiable: Claiming government benefits', question_instruction: '', type: 'multiple_choice', choices: { '1': 'Never justifiable', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7', '8': '8', '9': '9', '10': 'Always justifiable', '-1': "Don't know", '-2': 'No answer' } },
  Q1: { question: 'Important in life: Family', question_instruction: '', type: 'multiple_choice', choices: { '1': 'Very important', '2': 'Rather important', '3': 'Not very important', '4': 'Not at all important', '-1': "Don't know" } },
  B_COUNTRY: { question: 'Country', type: 'multiple_choice', choices: { '826': 'Great Britain', '566': 'Nigeria', '392': 'Japan' } },
  Q260: { question: 'Sex', type: 'multiple_choice', choices: { '1': 'Male', '2': 'Female', '-2': 'No answer' } },
  Q262: { question: 'Age', type: 'objective', choices: { '-1': "Don't know", '-2': 'No answer', '-4': 'Not asked', '-5': 'Missing; Not available' } },
  Q275: { question: 'Highest educational level', type: 'multiple_choice', choices: { '6': 'Bachelor or equivalent (ISCED 6)', '2': 'Lower secondary education (ISCED 2)' } },
};
const DEMO = [
  'D_INTERVIEW\tA_YEAR\tB_COUNTRY\tQ260\tQ262\tX003R\tQ275',
  '826070001\t2022\tGreat Britain\tFemale\t34\t25-34 years\tBachelor or equivalent (ISCED 6)',
  // codes where a tool wrote codes: 566 = Nigeria, 1 = Male, 2 = ISCED 2
  '566070002\t2018\t566\t1\t51.0\t45-54 years\t2',
  '392070003\t2019\tJapan\tNo answer\t-1\t\t',
  '999\t2019\t\tMale\t40\t\t',
].join('\n');
const VALUE = [
  'D_INTERVIEW\tQ1\tQ177\tQ46\tQ999',
  '826070001\t1\t2.0\t4\t1',
  '566070002\t1.0\t10\t\t1',
  '392070003\t4\t-1\t3\t1',
  '123\t1\t1\t1\t1',
  '826070001\t2\t2\t2\t2',
  '392070003x\t\t\t\t',
].join('\n');
const release = () => ({ demographic: { name: 'test_demographic_qa.tsv', text: DEMO }, value: { name: 'test_value_qa.tsv', text: VALUE }, metadata: { name: 'question_metadata.json', text: JSON.stringify(META) }, codebook: { name: 'codebook.json', text: JSON.stringify(BOOK) } });

describe("WorldValuesBench's release layout", () => {
  const r = importWvbRelease(release());
  const ds = r.dataset;
  const answers = ds.responses.map((x) => [ds.participants[x.participant].id, ds.questions[x.question].id, ds.questions[x.question].options[x.answer]]);

  it('reads the codebook labels as options, in code order', () => {
    expect(ds.questions.find((q) => q.id === 'Q177')!.options).toEqual(['Never justifiable', '2', '3', '4', '5', '6', '7', '8', '9', 'Always justifiable']);
    expect(ds.questions.find((q) => q.id === 'Q177')!.text).toMatch(/^On a scale of 1 to 10/);
    // Q46 has no codebook entry: the metadata's scale as numbers
    expect(ds.questions.find((q) => q.id === 'Q46')!.options).toEqual(['1', '2', '3', '4']);
  });

  it('answers by code: "2.0" is the option coded 2 (index 1), never the label "2" read as an index', () => {
    expect(answers).toEqual([
      ['826070001', 'Q1', 'Very important'],
      ['826070001', 'Q177', '2'],
      ['826070001', 'Q46', '4'],
      ['566070002', 'Q1', 'Very important'],
      ['566070002', 'Q177', 'Always justifiable'],
      ['392070003', 'Q1', 'Not at all important'],
      ['392070003', 'Q46', '3'],
    ]);
    expect(ds.responses[1].answer).toBe(1);
  });

  it('profiles from WVS codes or labels: country, sex, age, education', () => {
    expect(ds.participants.map((p) => p.profile)).toEqual([
      { country: 'Great Britain', gender: 'Female', age: 34, education: 'Bachelor or equivalent (ISCED 6)' },
      { country: 'Nigeria', gender: 'Male', age: 51, education: 'Lower secondary education (ISCED 2)' },
      { country: 'Japan' },
    ]);
  });

  it('reports every skipped row and counts missing answers', () => {
    expect(r.bad.map((b) => b.reason)).toEqual([
      'test_demographic_qa.tsv: B_COUNTRY (country) is missing',
      'test_value_qa.tsv: participant 123 has no usable row in test_demographic_qa.tsv; their answers are skipped',
      'test_value_qa.tsv: participant 826070001 has a second row; skipped',
      'test_value_qa.tsv: participant 392070003x has no usable row in test_demographic_qa.tsv; their answers are skipped',
    ]);
    expect(r.warnings).toContain('2 empty or negative-coded cells (no answer, don\'t know, not asked) are missing answers, not rows');
    expect(r.warnings.some((w) => /1 column not in question_metadata\.json, skipped: Q999/.test(w))).toBe(true);
  });

  it('a code off the scale is a rejected answer with its line', () => {
    const v = importWvbRelease({ ...release(), value: { name: 'v_value_qa.tsv', text: 'D_INTERVIEW\tQ1\n826070001\t7\n' } });
    expect(v.bad.filter((b) => b.reason.startsWith('v_value'))).toEqual([{ line: 2, reason: "v_value_qa.tsv: Q1: code 7 is not on the question's scale (1, 2, 3, 4)" }]);
  });
});

describe('npm run cli -- import', () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) => run('npx', ['tsx', 'src/cli/main.ts', ...args], { maxBuffer: 64 << 20 });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atlas-import-'));
    writeFileSync(join(dir, 'global_opinions.csv'), GOQA_TEXT);
    // the same file saved by a Windows spreadsheet: Windows-1252
    writeFileSync(join(dir, 'cp1252.csv'), Buffer.from('question,selections,options,source\n"Un caf\xe9?","{\'France\': [0.5, 0.5]}","[\'Oui\', \'Non\']",GAS\n', 'latin1'));
    const rel = join(dir, 'wvb');
    mkdirSync(rel);
    const f = release();
    for (const x of [f.demographic, f.value, f.metadata, f.codebook]) writeFileSync(join(rel, x.name), x.text);
  });

  it('--format goqa --json: questions, rejected rows with line and reason, warnings', async () => {
    const { stdout } = await cli('import', '--format', 'goqa', join(dir, 'global_opinions.csv'), join(dir, 'cp1252.csv'), '--json');
    const out = JSON.parse(stdout) as GoqaOutput;
    expect(out.questions.map((q) => q.question.slice(0, 12))).toEqual(['When it come', 'In political', 'How importan', 'Is the econo', 'Un café?']);
    expect(out.questions[2].options[1]).toBe('1.0');
    expect(Object.keys(out.questions[3].selections)).toEqual(['__proto__', 'Czech Rep.']);
    expect(out.rejected).toEqual([{ file: join(dir, 'global_opinions.csv'), line: 6, reason: expect.stringMatching(/stray quote/) }]);
    expect(out.warnings.some((w) => /cp1252\.csv is not UTF-8: read as Windows-1252/.test(w.reason))).toBe(true);
    expect(out.unknownCountries).toEqual(['Palest. ter.', '__proto__']);
  }, 60_000);

  it('--format wvb on the release folder --json: answers with 0-based options', async () => {
    const { stdout } = await cli('import', '--format', 'wvb', join(dir, 'wvb'), '--json');
    const out = JSON.parse(stdout) as WvbOutput;
    expect(out.answers[1]).toEqual({ participant: '826070001', country: 'Great Britain', question: 'Q177', option: 1 });
    expect(out.answers.length).toBe(7);
    expect(out.rejected.length).toBe(4);
    // the human report
    const text = (await cli('import', '--format', 'wvb', join(dir, 'wvb'))).stdout;
    expect(text).toMatch(/^7 answers from 3 participants to 3 questions, 4 rejected rows/);
    expect(text).toContain('participant 123 has no usable row');
  }, 60_000);

  it('fails with one line on a file it cannot read at all', async () => {
    const err = await cli('import', '--format', 'goqa', join(dir, 'nope.csv')).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err!.code).toBe(1);
    expect(err!.stderr).toMatch(/error: cannot read .*nope\.csv: no such file/);
    const err2 = await cli('import', '--format', 'pew', join(dir, 'global_opinions.csv')).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err2!.stderr).toMatch(/import needs --format goqa or --format wvb, got "pew"/);
  }, 60_000);
});
