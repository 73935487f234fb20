import { acquireNodeGpu } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { Kernels, stepBuffer, writeStep } from '../../src/gpu/kernels';
import { storage, readF32 } from '../../src/gpu/buffers';
import { mulberry32 } from '../../src/model/sampling';

/** One real WebGPU device (Dawn on a Vulkan CPU driver) per test file. */
export async function gpuKernels() {
  const gpu = await acquireNodeGpu();
  // Any validation error fails the test instead of silently reading zeros.
  gpu.device.onuncapturederror = (e) => {
    throw new Error(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  };
  const k = new Kernels(gpu.device, loadShaderLibrary());
  const step = stepBuffer(gpu.device);
  return {
    gpu,
    k,
    step,
    dev: gpu.device,
    buf: (d: Float32Array | Uint32Array | number) => storage(gpu.device, d),
    setStep: (T: number, pos0 = 0) => writeStep(gpu.device, step, T, pos0),
    read: (b: GPUBuffer, count?: number) => readF32(gpu.device, b, 0, count),
  };
}

/** Deterministic uniform(-1, 1)·scale values. */
export function rand(n: number, seed = 1, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function maxRelErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / scale;
}
