// Fails fast with the install hint when no Vulkan driver is there for Dawn; and gives the run one temporary
// folder, removed at the end, so the fixtures, models and builds the tests write (hundreds of MB a run) do not
// pile up in the system's /tmp. The test workers are forked after this runs, so os.tmpdir() there is this folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  if (!process.env.VK_ICD_FILENAMES && !existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
    throw new Error('No Vulkan driver for WebGPU in Node: run `apt-get install -y chromium libvulkan1` (npm test does this when run as root).');
  }
  const root = mkdtempSync(join(tmpdir(), 'atlas-test-run-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (!process.env.ATLAS_KEEP_TMP) rmSync(root, { recursive: true, force: true });
  };
}
