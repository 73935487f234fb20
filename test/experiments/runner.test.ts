// The experiment runner on the tiny Llama fixture with a tiny world: every method of Table 1 gets a row
// with finite metrics in range, conditioned methods get per-country signatures, Table 2 has a row per
// zone; the hooks stop, pause and report; and the CLI's `experiment` command writes results.json and table.md.
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
  METHODS,
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
    const cfg = experimentConfig('quick', { seed: 3, steps: 3, batchSize: 2, lr: 1e-2, world: tinyWorld, maxExamples: 8, maxTest: 4, signatureProfiles: 2, loco: { methods: ['cuma'], steps: 1 }, personaInPrompt: false });
    res = await runExperiment(rt, fakeEncoder, cfg, { onProgress: (p) => progress.push(p), metricsEvery: 2, signaturesEvery: 2, probeSize: 2 });
  }, 600_000);

  it('a row per method with finite metrics in range', () => {
    const trained = res.rows.filter((r): r is MethodRow => !isSkipped(r));
    expect(trained.map((r) => r.method)).toEqual([...METHODS]);
    expect(res.stopped).toBe(false);
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

  it('signatures for the conditioned and routed methods, Table 2 per zone, both tables in markdown', () => {
    const by = Object.fromEntries(res.rows.filter((r): r is MethodRow => !isSkipped(r)).map((r) => [r.method, r]));
    expect(by.lora.signatures).toBeUndefined();
    expect(by['persona-prompting'].signatures).toBeUndefined();
    for (const m of ['zhyper-diag', 'zhyper-square'] as const) {
      const sig = by[m].signatures!;
      expect(sig.kind).toBe('z');
      expect(sig.countries.map((c) => c.country).sort()).toEqual(['Nigeria', 'Norway']);
      // Zhyper diag: L·|targets|·r numbers; square: r² per module
      expect(sig.countries[0].perLayer.length).toBe(rt.dims().numLayers);
      expect(sig.countries[0].vector.every(Number.isFinite)).toBe(true);
      expect(sig.silhouette).toBeNull(); // two countries: no silhouette
    }
    for (const m of ['cuma', 'cuma-soft', 'cuma-semantic'] as const) {
      const sig = by[m].signatures!;
      expect(sig.kind).toBe('routing');
      for (const c of sig.countries) {
        expect(c.vector.length).toBe(8);
        expect(c.vector.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4); // each token's gates sum to 1
        expect(c.profiles).toBe(2);
      }
    }
    // live events: steps, probe metrics and signatures during training, a result per method
    expect(progress.filter((p) => p.phase === 'train' && p.method === 'cuma' && p.steps === 3).length).toBe(3);
    expect(progress.some((p) => p.phase === 'metrics' && p.method === 'cuma' && p.step === 2)).toBe(true);
    expect(progress.some((p) => p.phase === 'signatures' && p.method === 'zhyper-diag' && p.step === 2)).toBe(true);
    expect(progress.filter((p) => p.phase === 'result').length).toBe(METHODS.length);
    // Table 2: CUMA once per zone of the test answers
    const zones = [...new Set(res.loco.map((r) => r.zone))];
    expect(zones.length).toBeGreaterThanOrEqual(1);
    for (const r of res.loco) {
      expect(r.method).toBe('cuma');
      for (const v of [r.full.acc, r.loco.acc, r.full.emd, r.loco.emd]) expect(v >= 0 && v <= 1).toBe(true);
      expect(res.table2).toContain(`| ${r.zone} | ${r.label} |`);
    }
    expect(res.table).toMatch(/^\| Method \| Acc ↑ \| Macro-F1 ↑ \| EMD ↓ \| Entropy \| Params % \| Zone silhouette \|/);
    for (const r of res.rows) expect(res.table).toContain(`| ${r.label} |`);
    expect(res.table.trim().split('\n').length).toBe(2 + res.rows.length);
    expect(JSON.parse(JSON.stringify(res)).rows.length).toBe(res.rows.length);
  });

  it('stops when asked and waits while paused', { timeout: 300_000 }, async () => {
    const cfg = experimentConfig('quick', { seed: 3, steps: 4, batchSize: 2, world: tinyWorld, maxExamples: 8, maxTest: 4, methods: ['lora', 'cuma'], loco: null, personaInPrompt: false });
    let steps = 0, pauses = 0;
    const res = await runExperiment(rt, fakeEncoder, cfg, {
      onProgress: (p) => {
        if (p.phase === 'train') steps++;
      },
      whilePaused: async () => {
        pauses++;
      },
      shouldStop: () => steps >= 6,
    });
    expect(res.stopped).toBe(true);
    expect(res.rows.map((r) => r.method)).toEqual(['lora']); // CUMA was stopped after 2 of its 4 steps
    expect(steps).toBe(6);
    expect(pauses).toBeGreaterThanOrEqual(6);
    expect(rt.model!.adapter).toBeNull(); // the stopped method's adapter is taken off
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
        '--countries', 'Norway', '--participants', '6', '--questions', 'Q1', '--max-examples', '4', '--max-test', '2', '--batch-size', '2',
        '--methods', 'persona-prompting,lora,cuma', '--no-loco', '--no-persona'],
      { maxBuffer: 16 << 20 },
    );
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(res.config.steps).toBe(2);
    expect(res.config.seed).toBe(5);
    expect(res.encoder.id).toBe('use-lite-512');
    expect(res.rows.map((r) => r.method)).toEqual(['persona-prompting', 'lora', 'cuma']);
    expect(res.loco).toEqual([]);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toBe(res.table);
    expect(stdout).toContain(res.table.split('\n')[0]);
  }, 300_000);

  it('exits 1 with one line on a bad flag', async () => {
    const err = await run('npx', ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--preset', 'huge', '--out', '/tmp/x']).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err!.code).toBe(1);
    expect(err!.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(/--preset must be quick or default/);
  });
});
