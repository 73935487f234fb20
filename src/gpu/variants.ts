// Which variant of a kernel family runs on this device, chosen once per device from a table keyed on the
// adapter's info: the CPU emulators we can measure here (SwiftShader, lavapipe) by `npm run bench:kernels`
// (its `linear` entry times every decode GEMV side by side), and every other adapter, a real GPU, by design:
// coalesced reads. A table rather than a timing at load, so that one device always runs the same arithmetic
// (replays and tests stay exact).
import type { AdapterInfo } from './device';

export interface KernelVariants {
  /** the decode matrix-vector product (K % 4 == 0): one thread per row (matvec_vec4), or a workgroup per 4 rows
   *  with threads striding along K (matvec_coalesced) */
  gemv: 'vec4' | 'coalesced';
  /** how adapted projections run (model/layer.ts AdapterPath): on an H100 the fused kernels cost Zhyper 1.01× and
   *  CUMA 1.82× the backbone against 1.13× and 2.00× split (bench/results/2026-11-23-01-02-07-node-h100.json); on
   *  the emulators the split path's extra small dispatch costs less than the fused kernels' barriers */
  adapterPath: 'fused' | 'split' | 'unfused';
  /** how f16 weights are read where the device has shader-f16: as f16 ('native'), or always unpacked from u32 pairs
   *  ('unpack', which every device has); the same values either way. On lavapipe, which has shader-f16, unpacking
   *  measured faster (bench/results/kernels-f16-2026-12-03/); a GPU reads array<f16> (by design: no GPU was lent) */
  f16: 'native' | 'unpack';
  /** where a sampled decode step picks its top-k candidates: on the GPU (topk.wgsl, 8k bytes back) or on the CPU
   *  from the logits read back. The emulators run the k rounds of topk.wgsl 3–15× slower than reading 196 KB back
   *  and selecting in JS (npm run bench:kernels -- linear-f16); a GPU saves the read-back (by design: none was lent) */
  sampling: 'gpu' | 'cpu';
  /** why, in words (the CLI's info and the bench report print it) */
  reason: string;
}

const isSwiftShader = (i: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture'>) => /swiftshader/i.test(`${i.vendor} ${i.architecture} ${i.description}`);
const isLavapipe = (i: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture'>) => /llvmpipe|lavapipe/i.test(`${i.vendor} ${i.architecture} ${i.description}`);

export function chooseVariants(info: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture'>): KernelVariants {
  if (isSwiftShader(info)) return { gemv: 'vec4', adapterPath: 'split', f16: 'unpack', sampling: 'cpu', reason: 'SwiftShader: one row per thread, the split adapter path and top-k on the CPU measured faster (npm run bench:kernels, npm run bench)' };
  if (isLavapipe(info)) return { gemv: 'vec4', adapterPath: 'split', f16: 'unpack', sampling: 'cpu', reason: 'lavapipe: one row per thread, the split adapter path, f16 unpacked from u32 pairs (not shader-f16) and top-k on the CPU measured faster (npm run bench:kernels, npm run bench)' };
  return { gemv: 'coalesced', adapterPath: 'fused', f16: 'native', sampling: 'gpu', reason: 'a GPU: coalesced GEMV reads, the fused adapter kernels (measured on an H100), top-k on the GPU' };
}
