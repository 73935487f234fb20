// GlobalOpinionQA: importing the CSV (good and bad files) and fetching it from a hub-shaped server.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { HF_BASE_URL, ImportError, fetchGlobalOpinions, globalOpinionsUrl, importGlobalOpinions, opinionsByZone } from '../../src/data';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SAMPLE = readFileSync(join(FIX, 'global_opinions.sample.csv'), 'utf8');
const BAD = readFileSync(join(FIX, 'global_opinions.bad.csv'), 'utf8');

describe('importGlobalOpinions on a good file', () => {
  const r = importGlobalOpinions(SAMPLE);

  it('reads every row, with nothing bad and nothing dropped', () => {
    expect(r.bad).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.ignoredColumns).toEqual([]);
    expect(r.rows).toBe(5);
    expect(r.questions.map((q) => q.line)).toEqual([2, 3, 5, 6, 7]);
  });

  it('parses the Python reprs and keeps the CSV’s embedded quotes and newlines', () => {
    const [eu, homo, god, internet, quotes] = r.questions;
    expect(eu.question).toMatch(/^Do you think Germany has too much influence, too little/);
    expect(eu.options).toEqual(['Too much influence', 'Too little influence', 'About the right amount of influence']);
    expect(eu.selections).toEqual({ Belgium: [0.4, 0.07, 0.53], France: [0.2, 0.09, 0.71], Britain: [0.55, 0.05, 0.4] });
    expect(eu.source).toBe('GAS');
    expect(homo.question).toContain('"Homosexuality" can\nalways be justified');
    expect(Object.keys(homo.selections)).toEqual(['Sweden', 'Nigeria', 'Germany (Old national sample)']);
    expect(god.selections.Egypt).toEqual([0, 0.01, 0.04, 0.95]);
    expect(Object.keys(internet.selections)).toContain("Côte d'Ivoire");
    expect(quotes.options).toEqual(['He said "no" and that\'s final', 'Neither\tnor']);
  });

  it('averages countries per cultural zone, listing countries it cannot place', () => {
    const eu = opinionsByZone(r.questions[0]);
    expect(eu.zones['Catholic Europe']).toEqual([0.30000000000000004, 0.08, 0.62]);
    expect(eu.zones['English-speaking']).toEqual([0.55, 0.05, 0.4]); // "Britain"
    expect(eu.unassigned).toEqual([]);
    expect(opinionsByZone(r.questions[1]).zones['Protestant Europe']).toEqual([0.11, 0.19, 0.7]); // Sweden and "Germany (Old national sample)"
    expect(opinionsByZone(r.questions[3]).unassigned).toEqual(["Côte d'Ivoire"]);
  });
});

describe('importGlobalOpinions on a bad file', () => {
  const r = importGlobalOpinions(BAD);

  it('reports every bad row with its line number and reason, and keeps the good ones', () => {
    expect(r.bad.map((b) => b.line)).toEqual([3, 4, 5, 7, 8, 9, 10, 12, 13]);
    const reason = (line: number) => r.bad.find((b) => b.line === line)!.reason;
    expect(reason(3)).toBe('expected 4 fields, found 2');
    expect(reason(4)).toMatch(/^options is not a Python literal: unclosed "\["/);
    expect(reason(5)).toMatch(/^selections is not a Python literal: calls are not allowed \("__import__\("/);
    expect(reason(7)).toBe('selections must be a dict (or defaultdict) of country → list, got a list');
    expect(reason(8)).toBe('no country has a usable distribution (see warnings)');
    expect(reason(9)).toMatch(/^malformed CSV: unexpected text after a closing quote/);
    expect(reason(10)).toBe('empty question');
    expect(reason(12)).toBe('options must be a non-empty list of strings or numbers, got an empty list');
    expect(reason(13)).toMatch(/^malformed CSV: unterminated quoted field/);
    expect(r.questions.map((q) => [q.line, q.question])).toEqual([
      [2, 'Good row?'],
      [11, 'Partly usable'],
    ]);
    // every data row is accounted for: good + bad = rows read (the unterminated quote swallows the rest)
    expect(r.questions.length + r.bad.length).toBe(r.rows);
  });

  it('reports dropped and normalized countries as warnings with their line', () => {
    expect(r.warnings).toEqual([
      { line: 8, reason: 'Sweden: 3 probabilities for 2 options; dropped' },
      { line: 8, reason: 'Japan: probability 1 is NaN; dropped' },
      { line: 11, reason: 'Sweden: probabilities sum to 0.6; normalized' },
      { line: 11, reason: 'Japan: probability 1 is -0.1; dropped' },
      { line: 11, reason: '5: country key is the number 5, not a string; dropped' },
    ]);
    const partly = r.questions[1];
    expect(partly.selections).toEqual({ Sweden: [0.5, 0.5], Chile: [0.5, 0.5] });
  });

  it('refuses a file it cannot read at all', () => {
    expect(() => importGlobalOpinions('')).toThrow(ImportError);
    expect(() => importGlobalOpinions('question,options\nq,[]')).toThrow(/missing column selections/);
    expect(() => importGlobalOpinions('"question,selections,options\n')).toThrow(/header/);
  });

  it('accepts extra columns (listed) and a missing source column', () => {
    const x = importGlobalOpinions(`Unnamed: 0,question,selections,options\n0,Q?,"{'Sweden': [1.0, 0.0]}","['a', 'b']"\n`);
    expect(x.ignoredColumns).toEqual(['Unnamed: 0']);
    expect(x.questions[0]).toMatchObject({ question: 'Q?', source: '', options: ['a', 'b'], selections: { Sweden: [1, 0] } });
  });
});

describe('fetchGlobalOpinions from a hub-shaped server', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/datasets/Anthropic/llm_global_opinions/resolve/main/data/global_opinions.csv') {
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        res.end(SAMPLE);
      } else if (req.url?.startsWith('/datasets/private/gated/')) {
        res.writeHead(401, 'Unauthorized');
        res.end('login required');
      } else {
        res.writeHead(404, 'Not Found');
        res.end('not found');
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('builds the hub URL from the dataset id', () => {
    expect(globalOpinionsUrl()).toBe(`${HF_BASE_URL}/datasets/Anthropic/llm_global_opinions/resolve/main/data/global_opinions.csv`);
    expect(globalOpinionsUrl({ baseUrl: 'http://h/', datasetId: 'me/copy', revision: 'v1.0' })).toBe('http://h/datasets/me/copy/resolve/v1.0/data/global_opinions.csv');
    expect(() => globalOpinionsUrl({ datasetId: '../../etc' })).toThrow(/owner\/name/);
  });

  it('downloads and imports the file', async () => {
    const r = await fetchGlobalOpinions({ baseUrl: base });
    expect(r.url).toBe(`${base}/datasets/Anthropic/llm_global_opinions/resolve/main/data/global_opinions.csv`);
    expect(seen).toContain('/datasets/Anthropic/llm_global_opinions/resolve/main/data/global_opinions.csv');
    expect(r.questions.length).toBe(5);
    expect(r.bad).toEqual([]);
    expect(r.questions[0].selections.France).toEqual([0.2, 0.09, 0.71]);
  });

  it('fails with the HTTP status (and a hint for gated datasets)', async () => {
    await expect(fetchGlobalOpinions({ baseUrl: base, datasetId: 'nobody/nothing' })).rejects.toThrow(/HTTP 404/);
    await expect(fetchGlobalOpinions({ baseUrl: base, datasetId: 'private/gated' })).rejects.toThrow(/HTTP 401.*login/);
  });

  it('fails clearly when the server cannot be reached', async () => {
    await expect(fetchGlobalOpinions({ baseUrl: 'http://127.0.0.1:9' })).rejects.toThrow(/could not fetch http:\/\/127\.0\.0\.1:9/);
  });
});
