// The run record the Train view keeps: progress events build the log (Table 2's steps told apart by their run fields, from
// Table 1's), the progress bar's numbers, the exports (JSON in the CLI's results.json shape, CSV), and
// the import that refuses anything else with a reason.
import { describe, it, expect } from 'vitest';
import { experimentConfig, type MethodRow, type Progress, type Results } from '../../src/experiments/runner';
import type { SignatureSet } from '../../src/experiments/signatures';
import {
  applyEvents,
  buildConfig,
  defaultForm,
  describeLr,
  failRun,
  finishRun,
  formProblem,
  interruptRun,
  lossSeries,
  metricSeries,
  newRun,
  parseRunFile,
  progressOf,
  recordFrame,
  RECORDING_MAX,
  runToExport,
  RunFileError,
  table1Csv,
  table2Csv,
  worldFor,
  worldPatch,
} from '../../src/state/runlog';

const config = buildConfig({ ...defaultForm(), methods: ['lora', 'zhyper-diag'], world: 'tiny', steps: 3, batchSize: 2 });
const model = { label: 'tiny', architecture: 'LlamaForCausalLM', numParams: 1000 };
const sigs = (step: number): SignatureSet => ({
  kind: 'z',
  countries: ['Norway', 'Japan', 'Nigeria', 'Brazil'].map((c, i) => ({ country: c, zone: ['Protestant Europe', 'Confucian', 'African-Islamic', 'Latin America'][i], vector: [i, step], perLayer: [[i], [step]], profiles: 1 })),
  silhouette: null,
});
const row = (method: 'lora' | 'zhyper-diag', extra: Partial<MethodRow> = {}): MethodRow => ({
  method,
  label: method === 'lora' ? 'LoRA (dense)' : 'Zhyper (diag)',
  acc: 0.5,
  macroF1: 0.4,
  emdWvb: 0.25,
  emdCalibration: 0.2,
  entropy: 1.2,
  macroAcc: 0.5,
  sigmaInequity: 0.1,
  nCountries: 2,
  predictions: [{ question: 'Q1', profile: 'p1', country: 'Japan', gold: 1, argmax: 1, probs: [0.25, 0.75] }],
  paramsPct: 0.5,
  trainableParams: 5,
  wallSeconds: 3,
  nTrain: 10,
  nTest: 4,
  losses: [1.5, 1.4, 1.3],
  ...extra,
});
const steps = (method: string, n: number): Progress[] => Array.from({ length: n }, (_, i) => ({ method, phase: 'train' as const, step: i + 1, steps: n, loss: 2 - i / 10, gradNorm: 1, lr: 1e-3 }));

describe('the form', () => {
  it('builds the runner config: methods in table order, the tiny world, Table 2 only when asked', () => {
    const c = buildConfig({ ...defaultForm(), methods: ['zhyper-diag', 'lora'], world: 'tiny', loco: true, locoMethods: ['persona-prompting', 'zhyper-diag'], locoSteps: 4 });
    expect(c.methods).toEqual(['lora', 'zhyper-diag']);
    expect(c.world.countries).toHaveLength(8);
    expect(c.loco).toEqual({ methods: ['zhyper-diag'], steps: 4, heldOutProfiles: 0.2 });
    expect(buildConfig(defaultForm()).loco).toBeNull();
    expect(worldFor('default', 3)).toMatchObject({ countries: 'all', seed: 3 });
    expect(c.maxOptions).toBeNull();
    expect(buildConfig({ ...defaultForm(), maxOptions: 4 }).maxOptions).toBe(4);
  });
  it('gives Zhyper its own learning rate (the runner\'s 2e-3 by default), or the common one when blank', () => {
    const d = defaultForm();
    expect(d.lrZhyper).toBe(experimentConfig('quick').lrFor!['zhyper-diag']);
    const own = buildConfig({ ...d, methods: ['lora', 'zhyper-diag', 'zhyper-square'], lr: 0.01, lrZhyper: 0.003 });
    expect(own.lrFor).toEqual({ 'zhyper-diag': 0.003, 'zhyper-square': 0.003 });
    expect(describeLr(own)).toBe('0.01 (Zhyper 0.003)');
    const same = buildConfig({ ...d, methods: ['lora', 'zhyper-diag'], lr: 0.01, lrZhyper: null });
    expect(same.lrFor).toEqual({});
    expect(describeLr(same)).toBe('0.01');
    // a run without Zhyper reads as one rate even though the form keeps Zhyper's
    expect(describeLr(buildConfig({ ...d, methods: ['lora', 'cuma'], lr: 0.01 }))).toBe('0.01');
  });
  it('centres conditions and uses the chat template by default, and passes the switches on; the contrast world brings its preset', () => {
    expect(defaultForm().centerConditions).toBe(true);
    expect(buildConfig(defaultForm()).centerConditions).toBe(true);
    expect(buildConfig({ ...defaultForm(), centerConditions: false }).centerConditions).toBe(false);
    expect([buildConfig(defaultForm()).chat, buildConfig({ ...defaultForm(), chat: false }).chat]).toEqual([true, false]);
    const form = { ...defaultForm(), ...worldPatch('contrast') };
    const got = buildConfig(form), want = experimentConfig('contrast');
    for (const k of ['preset', 'methods', 'steps', 'batchSize', 'lr', 'lrFor', 'personaInPrompt', 'centerConditions', 'world', 'maxExamples', 'maxTest', 'signatureProfiles', 'loco'] as const) expect(got[k], k).toEqual(want[k]);
    expect(worldPatch('tiny')).toEqual({ world: 'tiny' }); // other worlds leave the settings alone
  });
  it('says what is wrong', () => {
    expect(formProblem(defaultForm())).toBeNull();
    expect(formProblem({ ...defaultForm(), methods: [] })).toMatch(/at least one method/);
    expect(formProblem({ ...defaultForm(), steps: 0 })).toMatch(/Steps/);
    expect(formProblem({ ...defaultForm(), lr: NaN })).toMatch(/learning rate/);
    expect(formProblem({ ...defaultForm(), lrZhyper: -1 })).toMatch(/Zhyper’s learning rate/);
    expect(formProblem({ ...defaultForm(), lrZhyper: null })).toBeNull();
    expect(formProblem({ ...defaultForm(), maxTest: null })).toBeNull();
    expect(formProblem({ ...defaultForm(), loco: true, locoMethods: ['persona-prompting'] })).toMatch(/Table 2/);
  });
});

describe('the run log', () => {
  it('collects steps, metrics and the newest signatures; Table 2 steps go under their label', () => {
    let run = newRun('r1', { ...config, loco: { methods: ['zhyper-diag'], steps: 2 } }, { encoderId: 'enc', model, now: 1 });
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, ...steps('lora', 3), { method: 'lora', phase: 'metrics', step: 3, acc: 0.5, emd: 0.3 }]);
    expect(progressOf(run).text).toMatch(/method 1 of 2 · LoRA \(dense\) · step 3 of 3/);
    run = applyEvents(run, [{ method: 'lora', phase: 'evaluate' }, { method: 'lora', phase: 'result', row: row('lora') }, { method: 'lora', phase: 'done' }]);
    run = applyEvents(run, [{ method: 'zhyper-diag', phase: 'prepare' }, ...steps('zhyper-diag', 1), { method: 'zhyper-diag', phase: 'signatures', step: 1, set: sigs(1) }]);
    run = applyEvents(run, [{ method: 'zhyper-diag', phase: 'signatures', step: 2, set: sigs(2) }]);
    expect(run.signatures['zhyper-diag']).toMatchObject({ step: 2, updates: 2 });
    const p = progressOf(run);
    expect(p.index).toBe(2);
    expect(p.fraction).toBeGreaterThan(0.5 / 4);
    expect(p.fraction).toBeLessThan(1);
    run = applyEvents(run, [...steps('zhyper-diag', 3).slice(1), { method: 'zhyper-diag', phase: 'result', row: row('zhyper-diag') }, { method: 'zhyper-diag', phase: 'done' }]);
    // Table 2: the runner reports the zone run's steps under the bare method name
    const zoneRun = { table: 2 as const, run: 'zone' as const, zone: 'Confucian' };
    run = applyEvents(run, [{ method: 'zhyper-diag', ...zoneRun, phase: 'prepare' }, ...steps('zhyper-diag', 2).map((e) => ({ ...e, ...zoneRun }))]);
    expect(progressOf(run).table).toBe(2);
    expect(progressOf(run).text).toMatch(/Table 2.*zhyper-diag \(without Confucian\).*step 2 of 2/);
    expect(run.train.filter((t) => t.method === 'zhyper-diag (without Confucian)')).toHaveLength(2);
    const ls = lossSeries(run);
    expect(ls.map((s) => s.method)).toEqual(['lora', 'zhyper-diag']);
    expect(ls[1].steps).toEqual([1, 2, 3]);
    expect(metricSeries(run)[0]).toMatchObject({ method: 'lora', steps: [3], acc: [0.5] });
    expect(run.rows.map((r) => r.method)).toEqual(['lora', 'zhyper-diag']);
  });

  it('records every Table 1 signature event for the Atlas replay (not Table 2), thinned past its limit, and keeps it in a results file', () => {
    let run = newRun('r4', { ...config, loco: { methods: ['zhyper-diag'], steps: 2 } }, { encoderId: 'enc', model, now: 1 });
    run = applyEvents(run, [{ method: 'zhyper-diag', phase: 'prepare' }, ...[1, 2, 3].map((s) => ({ method: 'zhyper-diag', phase: 'signatures' as const, step: s, set: sigs(s) }))]);
    expect(run.recording!['zhyper-diag'].map((f) => f.step)).toEqual([1, 2, 3]);
    const zoneRun = { table: 2 as const, run: 'zone' as const, zone: 'Confucian' };
    run = applyEvents(run, [{ method: 'zhyper-diag', ...zoneRun, phase: 'prepare' }, { method: 'zhyper-diag', ...zoneRun, phase: 'signatures', step: 1, set: sigs(9) }]);
    expect(run.recording!['zhyper-diag']).toHaveLength(3);
    // past the limit, every other earlier frame goes; the first and the newest stay
    let frames: { step: number; set: SignatureSet }[] = [];
    for (let s = 1; s <= RECORDING_MAX + 1; s++) frames = recordFrame(frames, { step: s, set: sigs(s) });
    expect(frames.length).toBeLessThanOrEqual(RECORDING_MAX);
    expect(frames[0].step).toBe(1);
    expect(frames.at(-1)!.step).toBe(RECORDING_MAX + 1);
    expect(frames.map((f) => f.step)).toEqual([...frames.map((f) => f.step)].sort((x, y) => x - y));
    const back = parseRunFile(JSON.stringify(runToExport(run)), 'r.json');
    expect(back.recording!['zhyper-diag'].map((f) => f.step)).toEqual([1, 2, 3]);
  });

  it('finishes, fails and is interrupted keeping what it had', () => {
    let run = newRun('r2', config, { encoderId: 'enc', model });
    run = applyEvents(run, [{ method: 'lora', phase: 'prepare' }, ...steps('lora', 2)]);
    expect(interruptRun(run).status).toBe('interrupted');
    expect(interruptRun(interruptRun(run)).train).toHaveLength(2);
    expect(failRun(run, { name: 'Error', message: 'boom' })).toMatchObject({ status: 'failed', error: { message: 'boom' } });
    const res: Results = { config, model, encoder: { id: 'enc', dim: 16 }, answerForm: 'letter', rows: [row('lora'), row('zhyper-diag', { signatures: sigs(3) })], table: '', loco: [], table2: '', stopped: false };
    const done = finishRun(run, res);
    expect(done.status).toBe('done');
    expect(progressOf(done).fraction).toBe(1);
    expect(done.signatures['zhyper-diag'].step).toBe(3);
    expect(finishRun(run, { ...res, stopped: true }).status).toBe('stopped');
  });
});

describe('files', () => {
  const run = finishRun(applyEvents(newRun('r3', config, { encoderId: 'enc', model }), [{ method: 'lora', phase: 'prepare' }, ...steps('lora', 3)]), {
    config,
    model,
    encoder: { id: 'enc', dim: 16 },
    answerForm: 'letter',
    rows: [row('lora', { label: 'LoRA, "dense"' }), row('zhyper-diag', { signatures: { ...sigs(3), silhouette: 0.25 }, losses: [NaN, 1, 0.9] }), { method: 'cuma', label: 'CUMA', skipped: 'not yet' }],
    table: '',
    loco: [{ method: 'zhyper-diag', label: 'Zhyper (diag)', zone: 'Confucian', nTest: 2, split: 'zone', full: { acc: 0.5, emdWvb: 0.1, emdCalibration: 0.2 }, loco: { acc: 0.25, emdWvb: 0.3, emdCalibration: 0.3 } }],
    table2: '',
    stopped: false,
    references: [
      { name: 'question-prior', label: 'Question prior', acc: 0.4, macroF1: 0.2, emdWvb: 0.4, emdCalibration: 0.35, entropy: 1.4, macroAcc: 0.4, sigmaInequity: 0, nCountries: 2 },
      { name: 'exact', label: 'Exact P*', acc: 0.7, macroF1: 0.45, emdWvb: 0.05, emdCalibration: 0, entropy: 0.7, macroAcc: 0.7, sigmaInequity: 0.05, nCountries: 2 },
    ],
  });

  it('exports JSON in the CLI shape (plus the log) that imports back, NaN losses and all', () => {
    const json = JSON.stringify(runToExport(run));
    const back = parseRunFile(json, 'mine.json');
    expect(back.status).toBe('imported');
    expect(back.source).toBe('mine.json');
    expect(back.id).not.toBe(run.id);
    expect(back.rows).toHaveLength(3);
    expect(back.train).toHaveLength(3);
    expect(back.loco[0].zone).toBe('Confucian');
    expect(back.signatures['zhyper-diag'].set.silhouette).toBe(0.25);
    expect(Number.isNaN((back.rows[1] as MethodRow).losses[0])).toBe(true);
    expect(runToExport(run).table).toMatch(/^\| Method \| Acc ↑/);
    // the reference rows travel and close Table 1
    expect(back.references).toEqual(run.references);
    expect(runToExport(run).table.trim().split('\n').at(-3)).toBe('| _Exact P*_ | 0.700 | 0.450 | 0.050 | 0.000 | 0.700 | 0.700 | 0.050 | — | — |');
    // the raw predictions travel too
    expect((back.rows[0] as MethodRow).predictions).toEqual((run.rows[0] as MethodRow).predictions);
    expect(() => parseRunFile(JSON.stringify({ ...runToExport(run), references: [{ name: 'oracle', label: 'x', acc: 1, macroF1: 1, emd: 0, entropy: 0 }] }), 'x.json')).toThrow(/references\.0\.name/);
  });

  it('reads a results file written before emdWvb: its emd is the per-answer EMD to P*, the numbers it lacks are NaN', () => {
    const old = structuredClone(runToExport(run)) as unknown as { rows: Record<string, unknown>[]; references: Record<string, unknown>[]; loco: { full: Record<string, unknown>; loco: Record<string, unknown> }[] };
    for (const r of [old.rows[0], old.rows[1], ...old.references]) {
      r.emd = r.emdCalibration;
      for (const k of ['emdWvb', 'emdCalibration', 'macroAcc', 'sigmaInequity', 'nCountries', 'predictions']) delete r[k];
    }
    old.loco[0].full = { acc: 0.5, emd: 0.2 };
    old.loco[0].loco = { acc: 0.25, emd: 0.3 };
    const back = parseRunFile(JSON.stringify(old), 'old.json');
    const r0 = back.rows[0] as MethodRow;
    expect(r0.emdCalibration).toBe(0.2);
    expect(Number.isNaN(r0.emdWvb) && Number.isNaN(r0.macroAcc)).toBe(true);
    expect(r0.predictions).toEqual([]);
    expect(back.references![0].emdCalibration).toBe(0.35);
    expect(back.loco[0].loco.emdCalibration).toBe(0.3);
    expect(Number.isNaN(back.loco[0].full.emdWvb)).toBe(true);
  });

  it("imports the CLI's results.json (no log: signatures come from the rows)", () => {
    const cli: Results = { ...runToExport(run), answerForm: 'letter' };
    delete (cli as Partial<ReturnType<typeof runToExport>>).atlas;
    const back = parseRunFile(JSON.stringify(cli), 'results.json');
    expect(back.train).toEqual([]);
    expect(back.signatures['zhyper-diag'].set.countries).toHaveLength(4);
  });

  it('refuses garbage with the reason', () => {
    expect(() => parseRunFile('not json', 'x.json')).toThrow(RunFileError);
    expect(() => parseRunFile('not json', 'x.json')).toThrow(/x\.json is not JSON/);
    expect(() => parseRunFile('{"rows": []}', 'y.json')).toThrow(/y\.json is not a results file.*config/);
    const bad = structuredClone(runToExport(run));
    (bad.rows[0] as { acc: unknown }).acc = 'high';
    expect(() => parseRunFile(JSON.stringify(bad), 'z.json')).toThrow(/rows/);
  });

  it('writes Table 1 and Table 2 as CSV', () => {
    const t1 = table1Csv(run.rows).trim().split('\n');
    expect(t1[0]).toBe('method,label,acc,macro_f1,emd_wvb,emd_calibration,entropy_nats,macro_acc,sigma_inequity,params_pct,trainable_params,zone_silhouette,signature_kind,n_train,n_test,wall_seconds,skipped,acc_lo95,acc_hi95,macro_f1_lo95,macro_f1_hi95,emd_wvb_lo95,emd_wvb_hi95,emd_calibration_lo95,emd_calibration_hi95,flags');
    expect(t1[1]).toMatch(/^lora,"LoRA, ""dense""",0\.5,0\.4,/);
    expect(t1[2]).toContain(',0.25,z,');
    expect(t1[3]).toBe('cuma,CUMA,,,,,,,,,,,,,,,not yet,,,,,,,,,');
    expect(table1Csv(run.rows, run.references).trim().split('\n').slice(4)).toEqual(['reference:question-prior,Question prior,0.4,0.2,0.4,0.35,1.4,0.4,0,,,,,,,,,,,,,,,,,', 'reference:exact,Exact P*,0.7,0.45,0.05,0,0.7,0.7,0.05,,,,,,,,,,,,,,,,,']);
    // intervals and flags, where the row has them
    const withCi = { ...(run.rows[0] as MethodRow), acc: 0.1, ci: { acc: [0.05, 0.2], macroF1: [0.1, 0.3], emdWvb: [0.2, 0.5], emdCalibration: [0.3, 0.4] } } as MethodRow;
    const line = table1Csv([withCi], run.references).trim().split('\n')[1];
    expect(line).toMatch(/,0\.05,0\.2,0\.1,0\.3,0\.2,0\.5,0\.3,0\.4,/);
    expect(line).toMatch(/accuracy below the question prior \(0\.400\)"?$/);
    const t2 = table2Csv(run.loco).trim().split('\n');
    expect(t2[1]).toBe('Confucian,zhyper-diag,Zhyper (diag),zone,2,0.5,0.25,-0.25,0.1,0.3,0.2,0.3');
  });

  it('keeps the quick preset when nothing is overridden', () => {
    expect(experimentConfig('quick').steps).toBe(defaultForm().steps);
  });
});
