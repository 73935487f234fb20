// The experiment runner on the tiny Llama fixture with a tiny world: every method of Table 1 gets a row
// with finite metrics in range, conditioned methods get per-country signatures, Table 2 has a row per
// zone; the hooks stop, pause and report; and the CLI's `experiment` command writes results.json and table.md.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeModel } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { ConditionSession, type Encoder } from '../../src/adapters/session';
import { worldConfig } from '../../src/data';
import {
  answerTokens,
  experimentConfig,
  isSkipped,
  runExperiment,
  METHODS,
  centerConditions,
  experimentData,
  mergeResults,
  referenceRows,
  heldOutProfiles,
  type MethodRow,
  type Progress,
  type Results,
} from '../../src/experiments/runner';
import { maxRelErr, rand } from '../helpers/gpu';
import { flagRows } from '../../src/experiments/tables';
import { zSignatures } from '../../src/experiments/signatures';
import { countryMacroAccuracy, emdWvb, sigmaInequity } from '../../src/eval/survey';
import { importGlobalOpinions } from '../../src/data/import-goqa';
import { opinionWorld } from '../../src/data/opinion-world';
import { GOQA_TEXT } from '../data/fixtures/real-layouts';
import { linearize } from '../../src/condition/profile';
import type { Adapter } from '../../src/adapters/types';

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
    const cfg = experimentConfig('quick', { seed: 3, steps: 3, batchSize: 2, lr: 1e-2, world: tinyWorld, maxExamples: 8, maxTest: 4, signatureProfiles: 2, loco: { methods: ['cuma'], steps: 1, heldOutProfiles: 0.5 }, personaInPrompt: false });
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
      expect(r.emdCalibration).toBeGreaterThanOrEqual(0);
      expect(r.emdCalibration).toBeLessThanOrEqual(1);
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
      }
      // Eq. 23 over every test answer's (profile, prompt) of the country (a country without one: one profile)
      const { test } = experimentData(experimentConfig('quick', { seed: 3, world: tinyWorld, maxExamples: 8, maxTest: 4 }));
      for (const c of sig.countries) expect(c.profiles).toBe(Math.max(1, test.filter((it) => it.country === c.country).length));
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
      for (const v of [r.full.acc, r.loco.acc, r.full.emdCalibration, r.loco.emdCalibration, r.full.emdWvb, r.loco.emdWvb]) expect(v >= 0 && v <= 1).toBe(true);
      expect(res.table2).toContain(`| ${r.zone} | ${r.label} |`);
      expect(['zone', 'profiles']).toContain(r.split);
    }
    expect(res.table).toMatch(/^\| Method \| Acc ↑ \| Macro-F1 ↑ \| EMD \(WVB\) ↓ \| EMD to P\* ↓ \| Entropy \| Macro-acc ↑ \| σ_inequity ↓ \| Params % \| Zone silhouette ↑ \|/);
    // every number of a row is recomputed from its raw predictions, independently of the runner
    for (const r of res.rows.filter((x): x is MethodRow => !isSkipped(x))) {
      expect(r.predictions.length).toBe(r.nTest);
      for (const p of r.predictions) expect(p.argmax).toBe(p.probs.indexOf(Math.max(...p.probs)));
      expect(r.acc).toBeCloseTo(r.predictions.filter((p) => p.argmax === p.gold).length / r.nTest, 12);
      expect(r.emdWvb).toBeCloseTo(emdWvb(r.predictions), 12);
      expect(r.macroAcc).toBeCloseTo(countryMacroAccuracy(r.predictions), 12);
      const sigma = sigmaInequity(r.predictions); // NaN on so few answers (no two groups of 5)
      if (Number.isNaN(sigma)) expect(r.sigmaInequity).toBeNaN();
      else expect(r.sigmaInequity).toBeCloseTo(sigma, 12);
    }
    for (const r of res.rows) expect(res.table).toContain(`| ${r.label} |`);
    // the reference rows close the table: the question prior (the mean), the zone prior and P* itself
    expect(res.references!.map((r) => r.name)).toEqual(['question-prior', 'zone-prior', 'exact']);
    for (const r of res.references!) expect(res.table).toContain(`| _${r.label}_ | ${r.acc.toFixed(3)} [${r.ci!.acc[0].toFixed(3)}, ${r.ci!.acc[1].toFixed(3)}] |`);
    expect(res.references![2].emdCalibration).toBe(0);
    // every number of Table 1 carries n and its seeded 95% interval, which holds the number itself
    for (const r of [...(res.rows as MethodRow[]), ...res.references!]) {
      expect(r.n).toBe(res.references![0].n);
      for (const k of ['acc', 'macroF1', 'emdWvb', 'emdCalibration'] as const) {
        expect(r.ci![k][0], `${'label' in r ? r.label : ''} ${k}`).toBeLessThanOrEqual(r[k] + 1e-12);
        expect(r.ci![k][1]).toBeGreaterThanOrEqual(r[k] - 1e-12);
      }
    }
    // so few answers: a smoke test, said so; flags (below chance, below the question prior) listed after the note
    expect(res.table).toMatch(/\*\*Smoke test: n = \d+ test answers\*\*/);
    const flags = flagRows(res.rows as MethodRow[], res.references);
    expect(res.table.trim().split('\n').length).toBe(2 + res.rows.length + 3 + 2 + (flags.length ? 1 + flags.length : 0)); // + a blank line and the note
    for (const [label, f] of flags) expect(res.table).toContain(`- ⚠ ${label}: ${f.join('; ')}`);
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

describe('on real opinions (a GlobalOpinionQA file) and with the code recipe', () => {
  it('P* is the file’s distribution; the code recipe trains Zhyper and CUMA on q, v with the profile sentence', { timeout: 300_000 }, async () => {
    const goqa = importGlobalOpinions(GOQA_TEXT);
    const cfg = experimentConfig('quick', {
      seed: 2, steps: 2, batchSize: 2, maxExamples: 12, maxTest: 6, methods: ['persona-prompting', 'zhyper-diag', 'cuma'], loco: { methods: ['cuma'], steps: 1, heldOutProfiles: 0.5 },
      recipe: 'code', data: { kind: 'goqa', file: 'global_opinions.csv', questions: 2, participantsPerCountry: 4 },
    });
    // the profile sentence and the question are longer than the other tests' 256-token context (bytes here)
    const rt2 = await Runtime.create(nodeGPU(), loadShaderLibrary());
    await rt2.load(dirSource(dir), undefined, undefined, { maxChunk: 512, maxContext: 512 });
    await expect(runExperiment(rt2, fakeEncoder, cfg)).rejects.toThrow(/this run's data is the GlobalOpinionQA file global_opinions\.csv/);
    const trained: [string, Adapter][] = [];
    let res: Results;
    const { test, truth } = experimentData(cfg, { goqa });
    const w = opinionWorld(goqa, { seed: 2, questions: 2, participantsPerCountry: 4 });
    const compared: number[][] = [];
    try {
      res = await runExperiment(rt2, fakeEncoder, cfg, { onTrained: (m, a) => void trained.push([m, a]) }, { goqa });
      // Compare (ConditionSession.score) prompts a code-recipe adapter as it was trained: the sentence as the
      // system prompt and e_d text, the one-line question; so it gives the run's own test probabilities
      const s = new ConditionSession(rt2);
      s.setEncoder(fakeEncoder);
      s.useAdapter(trained.find(([x]) => x === 'cuma')![1]);
      for (const it of test.slice(0, 2)) {
        const q = w.questions[it.question];
        compared.push((await s.score({ text: it.profileText, sentence: it.sentence, mode: 'adapter' }, q.text, [...q.options], { chat: !!cfg.chat })).probs);
      }
    } finally {
      rt2.destroy();
    }
    // every test answer's P* is its country's distribution in the file
    test.forEach((it, i) => expect(truth[i]).toEqual(w.dist(it.question, it.country)));
    expect(res.references!.find((r) => r.name === 'exact')!.emdCalibration).toBe(0);
    const rows = res.rows.filter((r): r is MethodRow => !isSkipped(r));
    expect(rows.map((r) => r.method)).toEqual(['persona-prompting', 'zhyper-diag', 'cuma']);
    for (const r of rows) expect(new Set(r.predictions.map((p) => p.question))).toEqual(new Set(test.map((it) => it.questionId)));
    // the code recipe's adapters: q and v, Zhyper's rsLoRA and code trunk, CUMA's double softmax
    const spec = (m: string) => trained.find(([x]) => x === m)![1].spec;
    expect(spec('zhyper-diag')).toMatchObject({ targets: ['q', 'v'], rsLora: true, alpha: 16, zhyper: { trunk: 'code', condScale: 'sqrt-d' } });
    expect(spec('cuma')).toMatchObject({ targets: ['q', 'v'], rsLora: false, alpha: 16, cuma: { gating: 'double' }, prompt: 'code' });
    expect(spec('zhyper-diag').prompt).toBe('code');
    const cumaRow = rows.find((r) => r.method === 'cuma')!;
    compared.forEach((p, i) => p.forEach((x, j) => expect(Math.abs(x - cumaRow.predictions[i].probs[j]), `answer ${i} option ${j}`).toBeLessThan(2e-6)));
    expect(trained.find(([x]) => x === 'zhyper-diag')![1].tensors.has('hyper.out.W2')).toBe(true);
    expect(res.loco.length).toBeGreaterThan(0);
  });
});

describe('one experiment split between runs', () => {
  const world = worldConfig('quick', { countries: ['Norway', 'Nigeria'], participantsPerCountry: 12, questionIds: ['Q1', 'Q2'], questionsPerParticipant: 'all' });
  const cfg = (o: Parameters<typeof experimentConfig>[1]) => experimentConfig('quick', { seed: 4, steps: 2, batchSize: 2, lr: 1e-2, world, maxExamples: 8, maxTest: 6, signatureProfiles: 1, personaInPrompt: false, ...o });

  it('runs of some methods and some zones merge into what one run writes', { timeout: 600_000 }, async () => {
    const loco = { methods: ['cuma' as const], steps: 2 };
    const whole = await runExperiment(rt, fakeEncoder, cfg({ methods: ['lora'], loco }));
    const zones = [...new Set(whole.loco.map((r) => r.zone))];
    expect(zones.length).toBe(2); // the test answers hold both zones, so each part below has work
    const parts = [
      await runExperiment(rt, fakeEncoder, cfg({ methods: [], loco: { ...loco, zones: [zones[1]] } })),
      await runExperiment(rt, fakeEncoder, cfg({ methods: ['lora'], loco: null })),
      await runExperiment(rt, fakeEncoder, cfg({ methods: [], loco: { ...loco, zones: [zones[0]] } })),
    ];
    expect(parts[0].loco.map((r) => r.zone)).toEqual([zones[1]]);
    const merged = mergeResults(parts);
    const metrics = (r: Results) => ({
      rows: r.rows.map((x) => (isSkipped(x) ? x : { method: x.method, acc: x.acc, macroF1: x.macroF1, emd: x.emdCalibration, entropy: x.entropy, losses: x.losses })),
      loco: r.loco,
      references: r.references,
    });
    // the same seed gives the same batches and the same arithmetic in every run
    expect(metrics(merged)).toEqual(metrics(whole));
    expect(merged.table2).toBe(whole.table2);
    expect(merged.config.methods).toEqual(['lora']);
    expect(merged.config.loco).toEqual(loco);
    expect(merged.parts!.length).toBe(3);
    // results from before the reference rows: the merge works them out from the config
    expect(mergeResults([{ ...parts[1], references: undefined }]).references).toEqual(whole.references);
    expect(() => mergeResults([parts[1], parts[1]])).toThrow(/lora is in more than one part/);
    expect(() => mergeResults([parts[0], parts[0]])).toThrow(/Table 2's cuma without .* is in more than one part/);
    expect(() => mergeResults([parts[1], { ...parts[0], config: { ...parts[0].config, seed: 5 } }])).toThrow(/part 2 differs from part 1 in the seed/);
    expect(() => mergeResults([parts[0], { ...parts[2], config: { ...parts[2].config, loco: { ...loco, steps: 3 } } }])).toThrow(/differ in steps \(2, 3\)/);
    expect(() => mergeResults([])).toThrow(/nothing to merge/);

    // the CLI: `merge --from A,B,C --out DIR` writes what mergeResults gives; a part that is no run says so
    const root = mkdtempSync(join(tmpdir(), 'atlas-merge-'));
    const dirs = parts.map((p, i) => {
      const d = join(root, `part${i}`);
      mkdirSync(d);
      writeFileSync(join(d, 'results.json'), JSON.stringify(p));
      return d;
    });
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'src/cli/main.ts', 'merge', '--from', dirs.join(','), '--out', join(root, 'all')]);
    const written = JSON.parse(readFileSync(join(root, 'all', 'results.json'), 'utf8')) as Results;
    expect(metrics(written)).toEqual(JSON.parse(JSON.stringify(metrics(whole)))); // JSON writes NaN (σ_inequity on too few answers) as null
    expect(readFileSync(join(root, 'all', 'table.md'), 'utf8')).toBe(`${whole.table}\n${whole.table2}`);
    expect(stdout).toContain(whole.table2);
    const err = await run('npx', ['tsx', 'src/cli/main.ts', 'merge', '--from', `${dirs[0]},${root}/none`, '--out', join(root, 'x')]).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err!.code).toBe(1);
    expect(err!.stderr).toMatch(/merge: cannot read .*none\/results.json/);
  });

  it('config.chat trains and scores in the chat template (the fixture has one): another prompt, other numbers', { timeout: 300_000 }, async () => {
    const plain = await runExperiment(rt, fakeEncoder, cfg({ methods: ['lora'], loco: null }));
    const chat = await runExperiment(rt, fakeEncoder, cfg({ methods: ['lora'], loco: null, chat: true }));
    const loss = (r: Results) => (r.rows[0] as MethodRow).losses;
    expect(loss(chat)).toHaveLength(loss(plain).length);
    expect(loss(chat)[0]).not.toBeCloseTo(loss(plain)[0], 4);
    expect(() => mergeResults([plain, chat])).toThrow(/chat template/);
  });

  it('refuses an unknown zone', async () => {
    await expect(runExperiment(rt, fakeEncoder, cfg({ methods: [], loco: { methods: ['cuma'], steps: 1, zones: ['Atlantis'] } }))).rejects.toThrow(/loco.zones: unknown zone "Atlantis"/);
  });
});

describe('centred conditions', () => {
  it('(v − μ)/m with μ and m from the training profiles only, by hand', () => {
    const conds = new Map([['a', new Float32Array([1, 0])], ['b', new Float32Array([3, 0])], ['test', new Float32Array([2, 2])]]);
    centerConditions(conds, new Set(['a', 'b']));
    // μ = (2, 0); |a − μ| = |b − μ| = 1, so m = 1
    expect([...conds.get('a')!]).toEqual([-1, 0]);
    expect([...conds.get('b')!]).toEqual([1, 0]);
    expect([...conds.get('test')!]).toEqual([0, 2]);
    const scaled = new Map([['a', new Float32Array([0, 0])], ['b', new Float32Array([0, 8])]]);
    centerConditions(scaled, new Set(['a', 'b']));
    expect([...scaled.get('b')!]).toEqual([0, 1]); // m = 4
    expect(() => centerConditions(new Map([['a', new Float32Array([1, 1])]]), new Set(['a']))).toThrow(/the same condition/);
  });

  it('a centred run keeps adapters with the centring folded in: on raw e_d they give the run\'s z signatures', { timeout: 300_000 }, async () => {
    const cfg = experimentConfig('quick', { seed: 5, steps: 3, batchSize: 2, lr: 1e-2, world: tinyWorld, maxExamples: 8, maxTest: 2, signatureProfiles: 2, loco: null, personaInPrompt: false, centerConditions: true, methods: ['zhyper-diag', 'cuma'] });
    const kept = new Map<string, Adapter>();
    const res = await runExperiment(rt, fakeEncoder, cfg, { onTrained: (m, a) => void kept.set(m, a) });
    expect([...kept.keys()]).toEqual(['zhyper-diag', 'cuma']);
    const row = res.rows.find((r): r is MethodRow => r.method === 'zhyper-diag' && !isSkipped(r))!;
    // the run's signature profiles (Eq. 23: every test profile of a country; a country with no test answer: its
    // first participant), embedded raw
    const byCountry = new Map<string, { zone: string; texts: string[] }>();
    const data = experimentData(cfg);
    for (const it of data.test) {
      const e = byCountry.get(it.country) ?? { zone: it.zone, texts: [] };
      if (!e.texts.includes(it.profileText)) e.texts.push(it.profileText);
      byCountry.set(it.country, e);
    }
    for (const p of data.world.participants) if (!byCountry.has(p.country)) byCountry.set(p.country, { zone: p.zone, texts: [linearize(p.profile)] });
    const countries = await Promise.all([...byCountry].map(async ([country, e]) => ({ country, zone: e.zone, conditions: await fakeEncoder.embed(e.texts) })));
    const raw = zSignatures(kept.get('zhyper-diag')!, rt.dims().numLayers, countries);
    raw.countries.forEach((c, i) => expect(maxRelErr(Float32Array.from(c.vector), Float32Array.from(row.signatures!.countries[i].vector)), c.country).toBeLessThan(1e-4));
    expect(Math.max(...raw.countries[0].vector.map(Math.abs))).toBeGreaterThan(0); // z is not all zero
  });

  it('the contrast preset: only e_d tells people apart, centred; the zones leave a wide gap above the mean', () => {
    const c = experimentConfig('contrast');
    expect(c).toMatchObject({ methods: ['lora', 'zhyper-diag', 'cuma'], personaInPrompt: false, centerConditions: true, lr: 2e-3, lrFor: {}, steps: 150, batchSize: 8, loco: null });
    const { train, test, truth } = experimentData(c);
    expect(new Set(train.map((it) => it.zone)).size).toBe(4);
    expect([train.length, test.length]).toEqual([727, 73]); // 4 × 50 people × 4 questions, split 10:1
    const [q, z] = referenceRows(train, test, truth);
    // what the README reports for this world: the mean at EMD ≈ 0.42, the zone prior at ≈ 0.05
    expect(q.emdCalibration).toBeCloseTo(0.416, 3);
    expect(z.emdCalibration).toBeCloseTo(0.047, 3);
  });
});

describe('reference rows', () => {
  it('question prior, zone prior and P*, by hand', () => {
    // one 2-option question; training answers: zone X picks 0, 0, 1; zone Y picks 1, 1
    const it = (answer: number, zone: string) => ({ response: 0, question: 0, questionId: 'q', participantId: `p${zone}`, answer, K: 2, profileText: '', sentence: '', country: zone, zone, attributes: {} });
    const train = [it(0, 'X'), it(0, 'X'), it(1, 'X'), it(1, 'Y'), it(1, 'Y')];
    const test = [it(0, 'X'), it(1, 'Y')];
    const truth = [[0.9, 0.1], [0.2, 0.8]];
    const [q, z, exact] = referenceRows(train, test, truth);
    // question prior, add-one: (2+1, 3+1)/7 = (3/7, 4/7) for both → argmax 1: right once
    expect(q.acc).toBe(0.5);
    expect(q.emdCalibration).toBeCloseTo((Math.abs(3 / 7 - 0.9) + Math.abs(3 / 7 - 0.2)) / 2, 12); // K = 2: |ΔCDF| at the one inner cut
    expect(q.entropy).toBeCloseTo(-(3 / 7) * Math.log(3 / 7) - (4 / 7) * Math.log(4 / 7), 12);
    // zone prior: X (3/5, 2/5), Y (1/4, 3/4): both right
    expect(z.acc).toBe(1);
    expect(z.emdCalibration).toBeCloseTo((Math.abs(3 / 5 - 0.9) + Math.abs(1 / 4 - 0.2)) / 2, 12);
    expect(exact).toMatchObject({ acc: 1, emdCalibration: 0 });
    expect(q.macroF1).toBeCloseTo(1 / 3, 12); // class 0: F1 0; class 1: P 1/2, R 1 → 2/3
  });

  it('the default world: P* leaves room, and the zone prior is near it', () => {
    const { train, test, truth } = experimentData(experimentConfig('quick'));
    const [q, z, exact] = referenceRows(train, test, truth);
    expect(exact.emdCalibration).toBe(0);
    expect(z.emdCalibration).toBeLessThan(q.emdCalibration); // the quick world's zones are far apart: knowing the zone helps
    expect(exact.acc).toBeGreaterThan(q.acc);
  });
});

describe('zero-shot as Appendix E.2', () => {
  it('holds out a share of the profiles within every zone, and keeps every zone trained on', () => {
    const c = experimentConfig('quick');
    const { train, test } = experimentData(c);
    const held = heldOutProfiles(train, test, 0.2, c.seed);
    const zonesOf = (xs: typeof test) => new Set(xs.map((it) => it.zone));
    const heldZones = zonesOf(test.filter((it) => held.has(it.profileText)));
    // every zone of the test answers has held-out profiles, and is still trained on through its other profiles
    expect([...heldZones].sort()).toEqual([...zonesOf(test)].sort());
    const kept = train.filter((it) => !held.has(it.profileText));
    for (const z of heldZones) expect(kept.some((it) => it.zone === z)).toBe(true);
    // about a fifth of each zone's test profiles
    for (const z of heldZones) {
      const profiles = new Set(test.filter((it) => it.zone === z).map((it) => it.profileText));
      const n = [...profiles].filter((p) => held.has(p)).length;
      expect(n).toBe(Math.max(1, Math.round(0.2 * profiles.size)));
    }
    // seeded: the same set again, another with another seed
    expect([...heldOutProfiles(train, test, 0.2, c.seed)]).toEqual([...held]);
    expect([...heldOutProfiles(train, test, 0.2, c.seed + 1)]).not.toEqual([...held]);
    expect(() => heldOutProfiles(train, test, 1, 1)).toThrow(/between 0 and 1/);
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
    expect(err!.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(/--preset must be quick, default, contrast, got "huge"/);
    const zone = await run('npx', ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--out', '/tmp/x', '--loco-zones', '2,9']).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(zone!.code).toBe(1);
    expect(zone!.stderr).toMatch(/--loco-zones: unknown zone "9" \(1–8, or one of Protestant Europe/);
  });
});
