import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryFrom, type ShaderLibrary } from './shaders';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../shaders');
export function loadShaderLibrary(): ShaderLibrary {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.endsWith('.wgsl')) files[f] = readFileSync(join(dir, f), 'utf8');
  return libraryFrom(files);
}
