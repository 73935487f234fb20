// WebGPU in Node through the `webgpu` package (Dawn). The Vulkan driver is chosen by the environment
// (VK_ICD_FILENAMES); scripts/gpu-env.sh points it at SwiftShader or lavapipe.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { create, globals } from 'webgpu';
import { acquireGpu, type Gpu, type Requirements } from './device';

let gpuObj: GPU | null = null;
export function nodeGPU(): GPU {
  if (!gpuObj) {
    // Default to the SwiftShader Vulkan driver that Debian's chromium ships (scripts/gpu-env.sh may pick lavapipe).
    const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
    if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
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
