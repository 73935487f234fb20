// A model folder on disk, for the CLI, tests and benchmarks in Node.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { SourceError, type ModelFiles } from './sources';

export function dirSource(dir: string): ModelFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SourceError(`model folder ${dir} does not exist`);
  const path = (name: string) => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new SourceError(`${name} is missing from ${dir}`);
    return p;
  };
  return {
    label: basename(dir),
    has: async (name) => existsSync(join(dir, name)),
    readText: async (name) => readFileSync(path(name), 'utf8'),
    async readBytes(name, onProgress) {
      const b = readFileSync(path(name));
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      onProgress?.({ file: name, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    },
  };
}
