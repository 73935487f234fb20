// `npm run record:run`: a short training run recorded as a results file, shipped in public/runs/, so the
// Atlas and the Present deck can replay the country map forming with no training in the page.
// CUMA top-2 of 8 on the contrast world with two countries per zone (Sweden, Norway, Nigeria, Ghana, Japan,
// South Korea, Mexico, Colombia; 25 people each), e_d only, centred conditions, 150 steps of 8 at 2e-3, the
// signatures of every country after every 5 steps. Deterministic on a given WebGPU driver.
//   npm run record:run [-- --steps N --every N --out FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { DEFAULT_ENCODER_ID } from '../src/condition/encoder';
import { conditionEncoder } from '../src/experiments/embeddings-node';
import { experimentConfig, runExperiment, type Progress } from '../src/experiments/runner';
import { worldConfig } from '../src/data';
import { applyEvents, finishRun, newRun, runToExport } from '../src/state/runlog';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const RECORDED_RUN_FILE = 'public/runs/contrast-8-cuma.json';

async function main(): Promise<void> {
  const steps = Number(arg('steps') ?? 150);
  const every = Number(arg('every') ?? 5);
  const out = resolve(arg('out') ?? RECORDED_RUN_FILE);
  const seed = 1;
  const world = worldConfig('quick', {
    seed,
    countries: ['Sweden', 'Norway', 'Nigeria', 'Ghana', 'Japan', 'South Korea', 'Mexico', 'Colombia'],
    participantsPerCountry: 25,
    questionIds: ['Q6', 'Q1', 'Q4', 'Q5'],
    questionsPerParticipant: 'all',
  });
  // as bench/results/experiment-contrast-8-countries-2026-11-23 ran it (plain prompts, as the contrast preset)
  const config = experimentConfig('contrast', { methods: ['cuma'], steps, world });
  const encoder = await conditionEncoder(DEFAULT_ENCODER_ID, arg('embeddings'));
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  try {
    await rt.load(dirSource('public/models/default'), undefined, undefined, { maxChunk: 256, maxContext: 512 });
    const s = rt.summary!;
    let run = newRun('recorded-contrast-8-cuma', config, { encoderId: encoder.id, model: { label: s.label, architecture: s.architecture, numParams: s.numParams }, now: 0 });
    const events: Progress[] = [];
    const t0 = performance.now();
    const res = await runExperiment(rt, encoder, config, {
      signaturesEvery: every,
      metricsEvery: every,
      probeSize: 32,
      onProgress: (p) => {
        events.push(p);
        if (p.phase === 'train' && p.step % 10 === 0) process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0)}s step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}\n`);
        if (p.phase === 'signatures') process.stderr.write(`  signatures at step ${p.step}: zone silhouette ${p.set.silhouette?.toFixed(3)}\n`);
      },
    });
    run = finishRun(applyEvents(run, events, 0), res, 0);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(runToExport(run)) + '\n');
    process.stdout.write(res.table);
    process.stdout.write(`wrote ${out} (${run.recording?.cuma?.length ?? 0} recorded frames)\n`);
  } finally {
    encoder.dispose?.();
    rt.destroy();
  }
}

await main();
