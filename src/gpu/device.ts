// Adapter and device acquisition, the same in a page, a worker and Node (npm `webgpu`).
// The caller passes the GPU object (navigator.gpu, or `create([])` from the webgpu package),
// so nothing here knows where it runs.

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: { shaderF16: boolean; subgroups: boolean; timestampQuery: boolean };
  /** the smallest subgroup the adapter may run (GPUAdapterInfo.subgroupMinSize; 0 where it does not say) */
  subgroupMinSize: number;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number };
  isFallbackAdapter: boolean;
}

export class GPUUnavailableError extends Error {
  override name = 'GPUUnavailableError';
}

export class GPULimitError extends Error {
  override name = 'GPULimitError';
}

export interface Requirements {
  /** largest single storage binding the model needs, in bytes */
  maxStorageBufferBindingSize?: number;
  /** largest single buffer, in bytes */
  maxBufferSize?: number;
}

export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterInfo;
  /** resolves when the device is lost, with the reason to show the user */
  lost: Promise<string>;
}

export function noWebGPUMessage(): string {
  return (
    'WebGPU is not available in this browser. Use Chrome or Edge 113+ (desktop), or Firefox 141+ / Safari 26+; ' +
    'on Linux start Chrome with --enable-unsafe-webgpu (or enable chrome://flags/#enable-unsafe-webgpu).'
  );
}

export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const i = adapter.info ?? ({} as GPUAdapterInfo);
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    features: {
      shaderF16: adapter.features.has('shader-f16'),
      subgroups: adapter.features.has('subgroups'),
      timestampQuery: adapter.features.has('timestamp-query'),
    },
    subgroupMinSize: (i as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
    limits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
    },
    isFallbackAdapter: (i as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
  };
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * Ask for the adapter's full storage limits (never less than what the model needs) so one
 * device serves every model the adapter can hold; refuse with the numbers when it cannot.
 */
export async function acquireGpu(gpu: GPU | undefined | null, req: Requirements = {}): Promise<Gpu> {
  if (!gpu) throw new GPUUnavailableError(noWebGPUMessage());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GPUUnavailableError('WebGPU is present but no GPU adapter was found. ' + noWebGPUMessage());
  const info = describeAdapter(adapter);
  const need = {
    maxStorageBufferBindingSize: req.maxStorageBufferBindingSize ?? 0,
    maxBufferSize: req.maxBufferSize ?? 0,
  };
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
    if (need[k] > adapter.limits[k]) {
      throw new GPULimitError(
        `This GPU adapter allows ${k} = ${mib(adapter.limits[k])}, but the model needs ${mib(need[k])}. Try a smaller model or another GPU.`,
      );
    }
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (info.features.timestampQuery) requiredFeatures.push('timestamp-query');
  // f16 weights are read as f16 where the adapter can (kernels.ts weightFormat), unpacked from u32 pairs elsewhere
  if (info.features.shaderF16) requiredFeatures.push('shader-f16');
  // the subgroup kernels (matvec_subgroup) run where the adapter has subgroups; the others everywhere
  if (info.features.subgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(10, adapter.limits.maxStorageBuffersPerShaderStage),
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: Math.min(256, adapter.limits.maxComputeInvocationsPerWorkgroup),
      maxComputeWorkgroupSizeX: Math.min(256, adapter.limits.maxComputeWorkgroupSizeX),
    },
  });
  const lost = device.lost.then((l) => `The GPU device was lost (${l.reason}${l.message ? ': ' + l.message : ''}). Reload the model to start again.`);
  return { device, adapter, info, lost };
}
