// Buffers and readback. Every tensor lives in one f32 storage buffer.
/** A storage buffer holding `data`, or `data` zeroed 4-byte elements when given a number. */
export function storage(device: GPUDevice, data: Float32Array | Uint32Array | number, label = ''): GPUBuffer {
  const size = typeof data === 'number' ? data * 4 : data.byteLength;
  const buf = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(size / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: typeof data !== 'number',
  });
  if (typeof data !== 'number') {
    const dst = data instanceof Uint32Array ? new Uint32Array(buf.getMappedRange()) : new Float32Array(buf.getMappedRange());
    dst.set(data);
    buf.unmap();
  }
  return buf;
}

export type ParamValue = number | { f32: number };

/** A uniform buffer of 32-bit fields: plain numbers are u32, {f32} are floats. Padded to 16 bytes. */
export function uniform(device: GPUDevice, fields: ParamValue[], label = ''): GPUBuffer {
  const n = Math.max(4, Math.ceil(fields.length / 4) * 4);
  const data = new ArrayBuffer(n * 4);
  const dv = new DataView(data);
  fields.forEach((f, i) => (typeof f === 'number' ? dv.setUint32(i * 4, f, true) : dv.setFloat32(i * 4, f.f32, true)));
  const buf = device.createBuffer({ label, size: n * 4, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}

export async function readF32(device: GPUDevice, src: GPUBuffer, byteOffset = 0, count?: number): Promise<Float32Array> {
  const bytes = count != null ? count * 4 : src.size - byteOffset;
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, byteOffset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}
