// WebGPU in Node through the `webgpu` package (Dawn). Dawn needs a Vulkan driver (VK_ICD_FILENAMES); which one:
//   - ATLAS_VULKAN=lavapipe | swiftshader forces one (lavapipe must have been fetched: bash scripts/lavapipe.sh);
//   - else VK_ICD_FILENAMES if set (any driver);
//   - else Mesa lavapipe from .cache/lavapipe/ when scripts/lavapipe.sh has fetched it (about 10× faster than
//     SwiftShader), except under Vitest, where the tests stay on SwiftShader unless ATLAS_VULKAN says otherwise;
//   - else SwiftShader from Debian's chromium.
// The lavapipe ICD names its library by absolute path and links against the system's libraries, so it loads
// without LD_LIBRARY_PATH (which a running process cannot change); scripts/gpu-env.sh also puts the newer
// libdrm that Debian's package asks for on LD_LIBRARY_PATH before Node starts (npm run cli / bench use it).
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { acquireGpu, type Gpu, type Requirements } from './device';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The folder scripts/lavapipe.sh fills (the repository's .cache/lavapipe). */
export function lavapipeDir(): string {
  const fromHere = join(dirname(fileURLToPath(import.meta.url)), '../../.cache/lavapipe');
  return existsSync(fromHere) ? fromHere : join(process.cwd(), '.cache/lavapipe');
}

function lavapipeIcd(): string | null {
  const icd = join(lavapipeDir(), 'lvp_icd.json');
  if (!existsSync(icd)) return null;
  try {
    const lib = (JSON.parse(readFileSync(icd, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
    return lib && existsSync(lib) ? icd : null;
  } catch {
    return null;
  }
}

export interface VulkanChoice {
  driver: 'lavapipe' | 'swiftshader' | 'other' | 'default';
  icd: string | null;
  why: string;
}

/** Picks the Vulkan driver for Dawn from the environment (see the top of this file); sets nothing. */
export function chooseVulkan(env: NodeJS.ProcessEnv = process.env): VulkanChoice {
  const force = env.ATLAS_VULKAN?.trim().toLowerCase();
  if (force === 'lavapipe') {
    const icd = lavapipeIcd();
    if (!icd) throw new Error('ATLAS_VULKAN=lavapipe but lavapipe is not set up: run `bash scripts/lavapipe.sh` first');
    return { driver: 'lavapipe', icd, why: 'ATLAS_VULKAN' };
  }
  if (force === 'swiftshader') {
    if (!existsSync(SWIFTSHADER_ICD)) throw new Error(`ATLAS_VULKAN=swiftshader but ${SWIFTSHADER_ICD} is missing: apt-get install -y chromium`);
    return { driver: 'swiftshader', icd: SWIFTSHADER_ICD, why: 'ATLAS_VULKAN' };
  }
  if (force) throw new Error(`ATLAS_VULKAN must be lavapipe or swiftshader, not "${env.ATLAS_VULKAN}"`);
  if (env.VK_ICD_FILENAMES) {
    const icd = env.VK_ICD_FILENAMES;
    const driver = /swiftshader/i.test(icd) ? 'swiftshader' : /lvp|lavapipe/i.test(icd) ? 'lavapipe' : 'other';
    return { driver, icd, why: 'VK_ICD_FILENAMES' };
  }
  const lvp = env.VITEST ? null : lavapipeIcd();
  if (lvp) return { driver: 'lavapipe', icd: lvp, why: 'found .cache/lavapipe' };
  if (existsSync(SWIFTSHADER_ICD)) return { driver: 'swiftshader', icd: SWIFTSHADER_ICD, why: 'fallback' };
  return { driver: 'default', icd: null, why: "no VK_ICD_FILENAMES: the Vulkan loader's own search" };
}

function describe(c: VulkanChoice): string {
  let name: string = c.driver;
  if (c.driver === 'lavapipe') {
    const v = join(dirname(c.icd!), 'version');
    name = `lavapipe (Mesa ${existsSync(v) ? readFileSync(v, 'utf8').trim() : '?'})`;
  } else if (c.driver === 'swiftshader') name = 'SwiftShader (chromium)';
  const rel = c.icd ? relative(process.cwd(), c.icd) : '';
  const where = !c.icd ? '' : rel.startsWith('..') ? c.icd : rel;
  return `[gpu] Vulkan driver: ${name}${where ? ` ${where}` : ''} (${c.why})`;
}

let gpuObj: GPU | null = null;
export function nodeGPU(): GPU {
  if (!gpuObj) {
    const choice = chooseVulkan();
    if (choice.icd) process.env.VK_ICD_FILENAMES = choice.icd;
    // Not in tests (Vitest sets VITEST, and the CLI processes the tests start inherit it).
    if (!process.env.VITEST) console.error(describe(choice));
    // SwiftShader's Vulkan loader complains on stderr without it.
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
    Object.assign(globalThis, globals);
    gpuObj = create([]) as unknown as GPU;
  }
  return gpuObj;
}

export function acquireNodeGpu(req: Requirements = {}): Promise<Gpu> {
  return acquireGpu(nodeGPU(), req);
}
