// `npm run train:defaults`: the adapters the app opens with. Zhyper (diag) and CUMA (top-2 of 8) are
// trained on the embedded default model (public/models/default) with the synthetic world, by the same
// runner as `npm run cli -- experiment`, and written to public/adapters/ as adapter-atlas safetensors,
// with manifest.json (what each was trained on, its Table 1 metrics, its per-country signatures).
// Deterministic: the world, the split, the initialisation and the batches all come from the seed, and
// the kernels have no atomics, so a rerun on the same WebGPU driver writes the same files.
//
//   npm run train:defaults [-- --steps N --out DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { createEncoder, DEFAULT_ENCODER_ID } from '../src/condition/encoder';
import { saveAdapter } from '../src/adapters/files';
import { experimentConfig, runExperiment, isSkipped, type ExperimentMethod, type MethodRow } from '../src/experiments/runner';
import { worldConfig } from '../src/data';

/** What the app reads to offer the defaults (public/adapters/manifest.json). */
export interface DefaultsManifest {
  model: string;
  encoder: string;
  seed: number;
  steps: number;
  world: string;
  adapters: { method: ExperimentMethod; file: string; label: string; acc: number; emd: number; entropy: number; silhouette: number | null }[];
}

export const DEFAULT_METHODS: ExperimentMethod[] = ['zhyper-diag', 'cuma'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const out = resolve(arg('out') ?? 'public/adapters');
  const steps = Number(arg('steps') ?? 80);
  const modelDir = 'public/models/default';
  const seed = 1;
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  const encoder = await createEncoder(DEFAULT_ENCODER_ID);
  try {
    await rt.load(dirSource(modelDir), undefined, undefined, { maxChunk: 256, maxContext: 512 });
    // every country of the map, a few people each (personas built in the app can name any of them), and
    // four importance questions with religion first, the Compare view's default: with a budget this small
    // an adapter learns persona → answer only where it sees each question often
    const world = worldConfig('default', { seed, participantsPerCountry: 8, questionIds: ['Q6', 'Q1', 'Q4', 'Q5'], questionsPerParticipant: 'all' });
    const config = experimentConfig('quick', { seed, methods: DEFAULT_METHODS, steps, world, maxExamples: 2048, maxTest: 128, signatureProfiles: 2, loco: null });
    const files = new Map<ExperimentMethod, Uint8Array>();
    const t0 = performance.now();
    const res = await runExperiment(rt, encoder, config, {
      onProgress: (p) => {
        if (p.phase === 'train' && (p.step % 10 === 0 || p.step === 1)) process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0)}s [${p.method}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}\n`);
      },
      onTrained: (method, adapter) => {
        files.set(method, saveAdapter(adapter));
      },
    });
    mkdirSync(out, { recursive: true });
    const manifest: DefaultsManifest = {
      model: 'embedded default (public/models/default)',
      encoder: encoder.id,
      seed,
      steps,
      world: `synthetic world: every country, ${world.participantsPerCountry} people per country, questions ${world.questionIds!.join(', ')}`,
      adapters: [],
    };
    for (const row of res.rows) {
      if (isSkipped(row)) continue;
      const r = row as MethodRow;
      const bytes = files.get(r.method);
      if (!bytes) throw new Error(`no trained adapter for ${r.method}`);
      const file = `${r.method}.safetensors`;
      writeFileSync(join(out, file), bytes);
      manifest.adapters.push({ method: r.method, file, label: r.label, acc: r.acc, emd: r.emd, entropy: r.entropy, silhouette: r.signatures?.silhouette ?? null });
    }
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    process.stdout.write(res.table);
    process.stdout.write(`wrote ${manifest.adapters.map((a) => a.file).join(', ')} and manifest.json to ${out}\n`);
  } finally {
    encoder.dispose?.();
    rt.destroy();
  }
}

await main();
