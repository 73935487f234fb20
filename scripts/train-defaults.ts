// `npm run train:defaults`: the adapters the app opens with. Zhyper (diag) and CUMA (top-2 of 8) are
// trained on the embedded default model (public/models/default) with the synthetic world, by the same
// runner as `npm run cli -- experiment`, and written to public/adapters/ as adapter-atlas safetensors,
// with manifest.json (what each was trained on, its Table 1 metrics, its per-country signatures).
// Deterministic: the world, the split, the initialisation and the batches all come from the seed, and
// the kernels have no atomics, so a rerun on the same WebGPU driver writes the same files.
//
//   npm run train:defaults [-- --steps N --batch-size N --lr X --zhyper-trunk code|atlas --methods zhyper-diag,cuma --out DIR --embeddings FILE [--embed-only]]
// --embeddings keeps the profiles' condition embeddings in FILE (see src/experiments/embeddings-node.ts), so a
// machine without the encoder's model files (the lent GPU machine, scripts/device-pack.sh) can train.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { DEFAULT_ENCODER_ID } from '../src/condition/encoder';
import { conditionEncoder, embedWorldProfiles } from '../src/experiments/embeddings-node';
import { saveAdapter } from '../src/adapters/files';
import { experimentConfig, runExperiment, isSkipped, type ExperimentMethod, type MethodRow } from '../src/experiments/runner';
import { defaultsWorld } from './defaults-world';
import type { DefaultsManifest } from './defaults-manifest';
import { writeDefaultSignatures } from './default-signatures';

export type { DefaultsManifest };

export const DEFAULT_METHODS: ExperimentMethod[] = ['zhyper-diag', 'cuma'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const out = resolve(arg('out') ?? 'public/adapters');
  // 400 steps of 8 answers (~1.5 epochs of the 2,048): fewer leave Zhyper's personas alike (80 of 4 did)
  const steps = Number(arg('steps') ?? 400);
  const batchSize = Number(arg('batch-size') ?? 8);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(batchSize) || batchSize < 1) throw new Error('--steps and --batch-size must be positive integers');
  const lr = Number(arg('lr') ?? 2e-3);
  if (!(lr > 0)) throw new Error(`--lr must be a number > 0, got "${arg('lr')}"`);
  // Zhyper's trunk and condition scale as the authors' code (LayerNorms, normalize(c)·√d): with ours, centred
  // conditions reach the hypernetwork too small and its personas came out alike (TV 0.04 on the religion
  // question against 0.51; bench/results/persona-check-2026-12-03/)
  const trunk = arg('zhyper-trunk') ?? 'code';
  if (trunk !== 'code' && trunk !== 'atlas') throw new Error(`--zhyper-trunk must be code or atlas, got "${trunk}"`);
  const modelDir = 'public/models/default';
  const seed = 1;
  const encoder = await conditionEncoder(DEFAULT_ENCODER_ID, arg('embeddings'));
  if (process.argv.includes('--embed-only')) {
    if (!arg('embeddings')) throw new Error('--embed-only needs --embeddings FILE');
    try {
      await embedWorldProfiles(encoder, defaultsWorld(1));
    } finally {
      encoder.dispose?.();
    }
    return;
  }
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  try {
    await rt.load(dirSource(modelDir), undefined, undefined, { maxChunk: 256, maxContext: 512 });
    const world = defaultsWorld(seed);
    // As the app uses them: in Compare an adapter's persona reaches the model only through e_d (no profile
    // text in the prompt), in the chat template by default, so they train that way. Centred conditions
    // (folded into the kept weights), at the contrast preset's 2e-3 for both: at 1e-2 centred CUMA spikes.
    // --methods zhyper-diag retrains one of them; the others' files and manifest entries stay as they are
    const methods = (arg('methods')?.split(',') ?? DEFAULT_METHODS) as ExperimentMethod[];
    for (const m of methods) if (!DEFAULT_METHODS.includes(m)) throw new Error(`--methods: the defaults are ${DEFAULT_METHODS.join(', ')}, not "${m}"`);
    const config = experimentConfig('quick', { seed, methods, steps, batchSize, lr, lrFor: {}, personaInPrompt: false, centerConditions: true, chat: true, world, maxExamples: 2048, maxTest: 128, signatureProfiles: 2, loco: null, zhyperTrunk: { trunk, condScale: trunk === 'code' ? 'sqrt-d' : 'raw' } });
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
      batchSize,
      world: `synthetic world: every country, ${world.participantsPerCountry} people per country, questions ${world.questionIds!.join(', ')}`,
      training: { personaInPrompt: config.personaInPrompt, centredConditions: !!config.centerConditions, chat: !!config.chat, lr: config.lr, recipe: config.recipe ?? 'atlas', zhyperTrunk: trunk },
      adapters: [],
    };
    const old = existsSync(join(out, 'manifest.json')) ? (JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DefaultsManifest) : null;
    for (const row of res.rows) {
      if (isSkipped(row)) continue;
      const r = row as MethodRow;
      const bytes = files.get(r.method);
      if (!bytes) throw new Error(`no trained adapter for ${r.method}`);
      const file = `${r.method}.safetensors`;
      writeFileSync(join(out, file), bytes);
      manifest.adapters.push({ method: r.method, file, label: r.label, acc: r.acc, emd: r.emdCalibration, emdWvb: r.emdWvb, entropy: r.entropy, silhouette: r.signatures?.silhouette ?? null });
    }
    for (const a of old?.adapters ?? []) if (!methods.includes(a.method) && existsSync(join(out, a.file))) manifest.adapters.push(a);
    manifest.adapters.sort((a, b) => DEFAULT_METHODS.indexOf(a.method) - DEFAULT_METHODS.indexOf(b.method));
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // the Atlas's country map of the shipped adapters (public/adapters/signatures.json)
    await writeDefaultSignatures(rt, (t) => encoder.embed(t), out);
    process.stdout.write(res.table);
    process.stdout.write(`wrote ${manifest.adapters.map((a) => a.file).join(', ')} and manifest.json to ${out}\n`);
  } finally {
    encoder.dispose?.();
    rt.destroy();
  }
}

await main();
