// WorldValuesBench-style CSV / JSONL import: good files, bad rows with line numbers, and the world's
// own answers written out and read back.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ImportError,
  WVB_COLUMNS,
  csvLine,
  generateWorld,
  importWorldValuesBench,
  importWvbCsv,
  importWvbJsonl,
  leaveOneClusterOut,
  sftExamples,
  worldConfig,
} from '../../src/data';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');

describe('a good WorldValuesBench-style file', () => {
  const csv = importWvbCsv(read('wvb.sample.csv'));
  const jsonl = importWvbJsonl(read('wvb.sample.jsonl'));

  it('reads every row of the CSV', () => {
    expect(csv.bad).toEqual([]);
    expect(csv.rows).toBe(6);
    expect(csv.ignoredColumns).toEqual(['wave']);
    expect(csv.unknownCountries).toEqual(['Atlantis']);
    const ds = csv.dataset;
    expect(ds.participants.map((p) => p.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(ds.questions.map((q) => q.id)).toEqual(['Q164', 'Q1', 'Q29', 'Q300']);
    expect(ds.responses.length).toBe(6);
  });

  it('builds Profiles, leaving blank attributes out', () => {
    const [p1, p2, p3, p4] = csv.dataset.participants;
    expect(p1.profile).toEqual({ country: 'Sweden', age: 34, gender: 'Female', education: "Master's degree", religion: 'No religion', employment: 'Full-time employed' });
    expect(p2.profile.ethnicity).toBe('Hausa');
    expect(p3.profile).toEqual({ country: 'Atlantis' });
    expect(p4.profile.country).toBe('Britain');
  });

  it('reads options as a JSON list or |-separated, and answers as labels or 0-based indices', () => {
    const ds = csv.dataset;
    const ans = ds.responses.map((r) => [ds.participants[r.participant].id, ds.questions[r.question].id, r.answer]);
    expect(ans).toEqual([
      ['p1', 'Q164', 2], // "3" is the label "3" → index 2
      ['p1', 'Q1', 0], // label
      ['p2', 'Q1', 0], // index
      ['p2', 'Q29', 0], // label, case-insensitive
      ['p3', 'Q29', 3], // not a label → index
      ['p4', 'Q300', 1],
    ]);
    expect(ds.questions[0].options.length).toBe(10);
    expect(ds.questions[1].options).toEqual(['Very important', 'Rather important', 'Not very important', 'Not at all important']);
    expect(ds.questions[3].text).toBe('A question that says "hello",\nand goes on a second line');
  });

  it('the JSONL version gives the same dataset', () => {
    expect(jsonl.bad).toEqual([]);
    expect(jsonl.rows).toBe(6);
    expect(jsonl.ignoredColumns).toEqual(['wave']);
    expect(jsonl.dataset).toEqual(csv.dataset);
    expect(importWorldValuesBench(read('wvb.sample.jsonl'))).toEqual(jsonl);
    expect(importWorldValuesBench(read('wvb.sample.csv'))).toEqual(csv);
  });

  it('feeds prompts and splits like the synthetic world', () => {
    const ex = sftExamples(csv.dataset);
    expect(ex[0].target).toBe('C');
    expect(ex[0].system).toContain('Country: Sweden.');
    const loco = leaveOneClusterOut(csv.dataset, 'African-Islamic');
    expect(loco.test.map((i) => csv.dataset.participants[csv.dataset.responses[i].participant].id)).toEqual(['p2', 'p2']);
    const unassigned = leaveOneClusterOut(csv.dataset, 'Unassigned');
    expect(unassigned.test.length).toBe(1); // Atlantis
  });
});

describe('a bad WorldValuesBench-style file', () => {
  const r = importWvbCsv(read('wvb.bad.csv'));

  it('reports every bad row with its line and reason; nothing is dropped silently', () => {
    expect(r.bad).toEqual([
      { line: 3, reason: 'answer is missing (give answer, answer_index or answer_score)' },
      { line: 4, reason: 'age must be a whole number of years, got "thirty"' },
      { line: 5, reason: expect.stringMatching(/^answer "7" is not one of the options .*matched against the labels only\. If 7 is a number, name its coding: answer_index \(0-based\) or answer_score \(WVS, 1-based\)\.$/) },
      { line: 6, reason: expect.stringMatching(/^participant p1 has a different profile than on line 2 \(.*age 35.* vs .*age 34/) },
      { line: 7, reason: 'question Q1 has different options than on line 2' },
      { line: 8, reason: 'participant p1 already answered question Q1 on line 2' },
      { line: 9, reason: 'expected 13 fields, found 9' },
      { line: 12, reason: expect.stringMatching(/^malformed CSV: unexpected text after a closing quote in field 3/) },
      { line: 13, reason: 'options must have at least 2 labels, got 1' },
      { line: 14, reason: 'answer "Maybe" is not one of the options (Yes | No); answer is matched against the labels only.' },
      { line: 15, reason: 'country is missing' },
      { line: 16, reason: 'age must be between 0 and 120' },
      { line: 17, reason: expect.stringMatching(/^options looks like a JSON list but is not valid JSON/) },
    ]);
    // the good rows: line 2, the two-line record at 10–11, and line 18
    const ds = r.dataset;
    expect(ds.responses.map((x) => ds.participants[x.participant].id)).toEqual(['p1', 'p7', 'p14']);
    expect(ds.questions.find((q) => q.id === 'Q2')!.text).toBe('How important are friends\nin your life?');
    expect(r.rows).toBe(ds.responses.length + r.bad.length);
  });

  it('JSONL: invalid JSON, non-objects and wrong types are bad rows with their line', () => {
    const text = [
      '{"participant_id": 1, "country": "Chile", "question_id": 7, "question": "Q?", "options": ["a", "b"], "answer_index": 1}',
      '',
      '{"participant_id": 2, "country": "Chile", "question_id": 7, "question": "Q?", "options": ["a", "b"], "answer_index": 2}',
      'not json',
      '[1, 2]',
      '{"participant_id": 3, "country": ["Chile"], "question_id": 7, "question": "Q?", "options": ["a", "b"], "answer": 0}',
      '{"participant_id": 4, "country": "Chile", "question_id": 7, "question": "Q?", "options": ["a", 5], "answer": 0}',
      '{"participant_id": 5, "country": "Chile", "age": 33.5, "question_id": 7, "question": "Q?", "options": ["a", "b"], "answer": 0}',
      '{"participant_id": 6, "country": "Chile", "question_id": 7, "question": "Q?", "options": ["a", "a"], "answer": 0}',
    ].join('\n');
    const j = importWvbJsonl(text);
    expect(j.dataset.responses).toEqual([{ participant: 0, question: 0, answer: 1 }]);
    expect(j.dataset.participants[0].id).toBe('1');
    expect(j.bad.map((b) => b.line)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(j.bad[0].reason).toBe('answer_index 2 is not in 0–1 (2 options)');
    expect(j.bad[1].reason).toMatch(/^not valid JSON/);
    expect(j.bad[2].reason).toBe('expected a JSON object, got an array');
    expect(j.bad[3].reason).toBe('country must be text, got a list');
    expect(j.bad[4].reason).toBe('options must be a list of strings');
    expect(j.bad[5].reason).toBe('age must be a whole number of years');
    expect(j.bad[6].reason).toBe('options has the label "a" twice');
    expect(j.rows).toBe(8);
  });

  it('refuses files it cannot read at all', () => {
    expect(() => importWvbCsv('')).toThrow(ImportError);
    expect(() => importWvbCsv('participant_id,country\np,Chile')).toThrow(/missing columns question_id, question, options/);
    expect(() => importWvbCsv('participant_id,country,question_id,question,options\np,Chile,q,Q?,a|b')).toThrow(/no answer column: give answer \(the label text\), answer_index \(0-based\) or answer_score/);
    expect(() => importWvbCsv('D_INTERVIEW,Q1,Q2\n1,2,3')).toThrow(/WorldValuesBench’s release.*_demographic_qa\.tsv/);
    expect(() => importWvbCsv(`${WVB_COLUMNS.join(',')},country\n`)).toThrow(/column country appears twice/);
  });
});

describe("WorldValuesBench's 10-point scales: an answer names its coding", () => {
  const opts = JSON.stringify(['Never justifiable', '2', '3', '4', '5', '6', '7', '8', '9', 'Always justifiable']);
  const file = (col: string, v: string) => `participant_id,country,question_id,question,options,${col}\np1,Chile,Q177,Justifiable: claiming benefits?,${csvLine([opts])},${v}\n`;
  it('"2" in answer is the label "2" (index 1); answer_index 2 is index 2; answer_score 2 is index 1', () => {
    expect(importWvbCsv(file('answer', '2')).dataset.responses[0].answer).toBe(1);
    expect(importWvbCsv(file('answer_index', '2')).dataset.responses[0].answer).toBe(2);
    expect(importWvbCsv(file('answer_score', '2')).dataset.responses[0].answer).toBe(1);
    expect(importWvbCsv(file('answer_score', '10')).dataset.responses[0].answer).toBe(9);
    expect(importWvbCsv(file('answer', 'always justifiable')).dataset.responses[0].answer).toBe(9);
  });
  it('an answer that is no label is refused, never read as an index', () => {
    const r = importWvbCsv(file('answer', '10'));
    expect(r.dataset.responses).toEqual([]);
    expect(r.bad[0].reason).toMatch(/^answer "10" is not one of the options .* answer_index \(0-based\) or answer_score \(WVS, 1-based\)/);
    expect(importWvbCsv(file('answer_score', '0')).bad[0].reason).toBe('answer_score 0 is not in 1–10 (10 options)');
    expect(importWvbCsv(file('answer_index', '1.5')).bad[0].reason).toBe('answer_index must be a whole number, got "1.5"');
  });
  it('two answer columns in one row are refused', () => {
    const r = importWvbCsv(`participant_id,country,question_id,question,options,answer,answer_index\np1,Chile,Q1,Q?,a|b,a,0\n`);
    expect(r.bad[0].reason).toBe('the answer is given twice (answer and answer_index): give one column');
  });
});

describe('round trip: the synthetic world written as a WVB CSV reads back identically', () => {
  it('same participants, questions and answers', () => {
    const w = generateWorld(worldConfig('quick', { participantsPerCountry: 3, questionsPerParticipant: 5 }));
    const lines = [csvLine(WVB_COLUMNS.slice(0, WVB_COLUMNS.indexOf('answer') + 1))];
    for (const r of w.responses) {
      const p = w.participants[r.participant];
      const q = w.questions[r.question];
      lines.push(
        csvLine([
          p.id,
          p.profile.country ?? '',
          String(p.profile.age ?? ''),
          p.profile.gender ?? '',
          p.profile.education ?? '',
          p.profile.religion ?? '',
          p.profile.ethnicity ?? '',
          p.profile.employment ?? '',
          q.id,
          q.text,
          JSON.stringify(q.options),
          q.options[r.answer], // a label: an index string like "3" would be read as the label "3" on 10-point scales
        ]),
      );
    }
    const back = importWvbCsv(lines.join('\n'));
    expect(back.bad).toEqual([]);
    expect(back.unknownCountries).toEqual([]);
    const key = (ds: typeof back.dataset) =>
      ds.responses.map((r) => [ds.participants[r.participant].id, ds.participants[r.participant].profile, ds.questions[r.question].id, ds.questions[r.question].options, r.answer]);
    expect(key(back.dataset)).toEqual(key(w));
  });
});
