// The Table 1 experiment runner on the tiny Llama fixture with a tiny world: every method gets a row
// with finite metrics in range, the methods without a backward are listed as skipped, the markdown table
// names them all; and the CLI's `experiment` command writes results.json and table.md.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeModel } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import type { Encoder } from '../../src/adapters/session';
import { worldConfig } from '../../src/data';
import {
  answerTokens,
  experimentConfig,
  isSkipped,
  runExperiment,
  SKIPPED_METHODS,
  TRAINABLE_METHODS,
  type MethodRow,
  type Progress,
  type Results,
} from '../../src/experiments/runner';
import { rand } from '../helpers/gpu';

/** a deterministic stand-in encoder: each text its own fixed random vector */
const fakeEncoder: Encoder = {
  id: 'fake-16',
  dim: 16,
  embed: async (texts) => texts.map((t) => rand(16, [...t].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7))),
};

/** 2 four-option questions, 2 countries × 6 people = 24 answers (22 train, 2 test) */
const tinyWorld = worldConfig('quick', { countries: ['Norway', 'Nigeria'], participantsPerCountry: 6, questionIds: ['Q1', 'Q2'], questionsPerParticipant: 'all' });

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  dir = makeModel('llama', join(mkdtempSync(join(tmpdir(), 'atlas-exp-')), 'llama'));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  await rt.load(dirSource(dir), undefined, undefined, { maxChunk: 256, maxContext: 256 });
});
afterAll(() => rt?.destroy());

describe('runExperiment', () => {
  let res: Results;
  const progress: Progress[] = [];
  beforeAll(async () => {
    const cfg = experimentConfig('quick', { seed: 3, steps: 3, batchSize: 2, lr: 1e-2, world: tinyWorld, maxExamples: 8, maxTest: 4 });
    res = await runExperiment(rt, fakeEncoder, cfg, (p) => progress.push(p));
  });

  it('a row per method with finite metrics in range', () => {
    const trained = res.rows.filter((r): r is MethodRow => !isSkipped(r));
    expect(trained.map((r) => r.method)).toEqual([...TRAINABLE_METHODS]);
    for (const r of trained) {
      expect(r.acc).toBeGreaterThanOrEqual(0);
      expect(r.acc).toBeLessThanOrEqual(1);
      expect(r.macroF1).toBeGreaterThanOrEqual(0);
      expect(r.macroF1).toBeLessThanOrEqual(1);
      expect(r.emd).toBeGreaterThanOrEqual(0);
      expect(r.emd).toBeLessThanOrEqual(1);
      expect(r.entropy).toBeGreaterThanOrEqual(0);
      expect(r.entropy).toBeLessThanOrEqual(Math.log(4) + 1e-9);
      expect(Number.isFinite(r.paramsPct) && r.paramsPct >= 0).toBe(true);
      expect(r.wallSeconds).toBeGreaterThan(0);
      expect(r.nTest).toBe(2);
      expect(r.losses.every(Number.isFinite)).toBe(true);
    }
    const by = Object.fromEntries(trained.map((r) => [r.method, r]));
    expect(by['persona-prompting'].trainableParams).toBe(0);
    expect(by['persona-prompting'].losses).toEqual([]);
    expect(by.lora.losses.length).toBe(3);
    expect(by.lora.paramsPct).toBeGreaterThan(0);
    // Zhyper's hypernetwork is far larger than LoRA on this tiny backbone
    expect(by['zhyper-diag'].trainableParams).toBeGreaterThan(by.lora.trainableParams);
    expect(progress.some((p) => p.phase === 'train' && p.method === 'zhyper-diag')).toBe(true);
  });

  it('lists the methods without a backward as skipped, and the table names every method', () => {
    const skipped = res.rows.filter(isSkipped);
    expect(skipped.map((r) => r.method)).toEqual([...SKIPPED_METHODS]);
    for (const r of skipped) expect(r.skipped).toBe('no backward yet (issue 4)');
    expect(res.table).toMatch(/^\| Method \| Acc ↑ \| Macro-F1 ↑ \| EMD ↓ \| Entropy \| Params % \|/);
    for (const r of res.rows) expect(res.table).toContain(`| ${r.label} |`);
    expect(res.table.trim().split('\n').length).toBe(2 + res.rows.length);
    expect(JSON.parse(JSON.stringify(res)).rows.length).toBe(res.rows.length);
  });
});

describe('answer letters', () => {
  it('one token each: " A" when the tokenizer has it, else "A" after "Answer: ", else a clear error', () => {
    const spaced = answerTokens((t) => ({ ' A': [1], ' B': [2] })[t] ?? [9, 9], 2);
    expect(spaced).toEqual({ form: 'space-letter', ids: [1, 2] });
    // the fixture's byte-level tokenizer: " A" is " " + "A"
    const fixture = answerTokens((t) => rt.tokenizer!.encode(t, false), 4);
    expect(fixture.form).toBe('letter');
    expect(fixture.ids.length).toBe(4);
    expect(() => answerTokens((t) => [...t].map((c) => c.charCodeAt(0) + 1000 * (t.length > 1 ? 1 : 0)), 2)).toThrow(/answer letter " A" is 2 tokens/);
  });

  it('refuses a bad configuration before doing anything', async () => {
    await expect(runExperiment(rt, fakeEncoder, experimentConfig('quick', { steps: 0, world: tinyWorld }))).rejects.toThrow(/steps must be a positive integer/);
  });
});

describe('npm run cli -- experiment', () => {
  const run = promisify(execFile);
  it('writes results.json and table.md and prints the table', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'atlas-exp-out-')), 'run');
    const { stdout } = await run(
      'npx',
      ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--preset', 'quick', '--out', out, '--steps', '2', '--seed', '5',
        '--countries', 'Norway', '--participants', '6', '--questions', 'Q1', '--max-examples', '4', '--max-test', '2', '--batch-size', '2'],
      { maxBuffer: 16 << 20 },
    );
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(res.config.steps).toBe(2);
    expect(res.config.seed).toBe(5);
    expect(res.encoder.id).toBe('use-lite-512');
    expect(res.rows.length).toBe(TRAINABLE_METHODS.length + SKIPPED_METHODS.length);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toBe(res.table);
    expect(stdout).toContain(res.table.split('\n')[0]);
  });

  it('exits 1 with one line on a bad flag', async () => {
    const err = await run('npx', ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--preset', 'huge', '--out', '/tmp/x']).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err!.code).toBe(1);
    expect(err!.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(/--preset must be quick or default/);
  });
});
