// A folder the user picked or dropped, reduced to the model folder: the one holding config.json.
// Users often pick the parent ("models/") or drop loose files; both resolve here.
import type { LocalFile } from '../worker/protocol';

export interface LocalModelFolder {
  label: string;
  files: File[];
  /** paths as "<folder>/<name>", parallel to files (what fileListSource expects) */
  paths: string[];
}

export class LocalFolderError extends Error {
  override name = 'LocalFolderError';
}

export function pickModelFolder(entries: LocalFile[]): LocalModelFolder {
  const norm = entries.map((e) => ({ file: e.file, path: e.path.replace(/^\/+/, '') }));
  const configs = norm.filter((e) => e.path === 'config.json' || e.path.endsWith('/config.json'));
  if (!configs.length) {
    throw new LocalFolderError(
      `No config.json among the ${entries.length} file(s) chosen. Pick (or drop) the model's folder: it holds config.json, tokenizer.json and *.safetensors.`,
    );
  }
  // The shallowest config.json marks the model folder.
  configs.sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.length - b.path.length);
  const dir = configs[0].path.slice(0, -'config.json'.length).replace(/\/$/, '');
  if (!dir) {
    // loose files (no folder): names are the paths
    return { label: 'dropped files', files: norm.map((e) => e.file), paths: norm.map((e) => e.file.name) };
  }
  const folderName = dir.split('/').pop()!;
  const under = norm.filter((e) => e.path.startsWith(dir + '/'));
  return {
    label: folderName,
    files: under.map((e) => e.file),
    paths: under.map((e) => `${folderName}/${e.path.slice(dir.length + 1)}`),
  };
}
