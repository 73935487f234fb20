// Whether the script node was started with is this module, so a script's CLI does not run when another module
// imports it. By name too: inside an esbuild bundle (scripts/device-pack.sh) every module's import.meta.url is the
// bundle's, so the URL alone would run every bundled script's CLI.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function isMainModule(metaUrl: string, name: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1 || !new RegExp(`${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\.[cm]?[jt]s$`).test(argv1)) return false;
  try {
    return metaUrl === pathToFileURL(realpathSync(argv1)).href;
  } catch {
    return false;
  }
}
