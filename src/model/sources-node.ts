// A model folder on disk, for the CLI, tests and benchmarks in Node.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
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
      // readFileSync stops at 2 GiB; 1B-parameter checkpoints are bigger, so read in 64 MiB pieces.
      const p = path(name);
      const size = statSync(p).size;
      const bytes = new Uint8Array(size);
      const fd = openSync(p, 'r');
      try {
        for (let off = 0; off < size; ) {
          const n = readSync(fd, bytes, off, Math.min(64 << 20, size - off), off);
          if (n <= 0) throw new SourceError(`${name}: read stopped at byte ${off} of ${size}`);
          off += n;
          onProgress?.({ file: name, loaded: off, total: size });
        }
      } finally {
        closeSync(fd);
      }
      return bytes;
    },
  };
}
