// `npm run signatures:defaults`: the shipped default adapters' per-country signatures (Zhyper's z̄_c,
// CUMA's ḡ_c) over every profile of the world they were trained on, written to
// public/adapters/signatures.json, so the Atlas shows the country map at first open, with no training.
// train:defaults runs this after it trains; run it alone to refresh the map for the shipped files.
//   npm run signatures:defaults [-- --embeddings FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { conditionEncoder } from '../src/experiments/embeddings-node';
import { loadAdapter } from '../src/adapters/files';
import { choicePromptIds, multipleChoiceBody } from '../src/adapters/session';
import { linearize } from '../src/condition/profile';
import { generateWorld } from '../src/data';
import { adapterSignatures, type CountryProfiles } from '../src/experiments/signatures';
import type { DefaultsManifest } from './defaults-manifest';
import { defaultsWorld } from './defaults-world';
import { DEFAULT_SIGNATURES_FILE, type DefaultSignatures } from '../src/state/defaultSignatures';

export async function writeDefaultSignatures(rt: Runtime, embed: (t: string[]) => Promise<Float32Array[]>, dir: string): Promise<DefaultSignatures> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DefaultsManifest;
  const world = generateWorld(defaultsWorld(manifest.seed));
  const byCountry = new Map<string, CountryProfiles>();
  for (const p of world.participants) {
    const c = byCountry.get(p.country) ?? { country: p.country, zone: p.zone, texts: [] };
    const t = linearize(p.profile);
    if (!c.texts.includes(t)) c.texts.push(t);
    byCountry.set(p.country, c);
  }
  // the prompt every profile is routed on: the world's first question (religion), as the defaults were trained
  const q = world.questions[0];
  const ids = choicePromptIds(rt, multipleChoiceBody(q.text, [...q.options]), manifest.training?.chat ?? true).ids;
  const out: DefaultSignatures = { world: manifest.world, question: q.text, adapters: [] };
  for (const a of manifest.adapters) {
    const adapter = loadAdapter(new Uint8Array(readFileSync(join(dir, a.file))), a.file);
    const set = await adapterSignatures(rt, embed, adapter, [...byCountry.values()], ids);
    out.adapters.push({ method: a.method, label: a.label, file: a.file, set });
    process.stderr.write(`${a.method}: ${set.countries.length} countries, zone silhouette ${set.silhouette?.toFixed(3)}\n`);
  }
  writeFileSync(join(dir, DEFAULT_SIGNATURES_FILE), JSON.stringify(out) + '\n');
  return out;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--embeddings');
  const encoder = await conditionEncoder('use-lite-512', i >= 0 ? process.argv[i + 1] : undefined);
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  try {
    await rt.load(dirSource('public/models/default'), undefined, undefined, { maxChunk: 256, maxContext: 512 });
    await writeDefaultSignatures(rt, (t) => encoder.embed(t), 'public/adapters');
  } finally {
    encoder.dispose?.();
    rt.destroy();
  }
}

if (process.argv[1]?.endsWith('default-signatures.ts')) await main();
