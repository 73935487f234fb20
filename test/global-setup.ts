// Fails fast with the install hint when no Vulkan driver is there for Dawn.
import { existsSync } from 'node:fs';
export default function setup() {
  if (!process.env.VK_ICD_FILENAMES && !existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
    throw new Error('No Vulkan driver for WebGPU in Node: run `apt-get install -y chromium libvulkan1` (npm test does this when run as root).');
  }
}
