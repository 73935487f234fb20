// Which variant of a kernel family runs on this device, chosen once per device from a table keyed on the
// adapter's info: the CPU emulators we can measure here (SwiftShader, lavapipe) by `npm run bench:kernels`
// (its `linear` entry times every decode GEMV side by side), and every other adapter, a real GPU, by design:
// coalesced reads. A table rather than a timing at load, so that one device always runs the same arithmetic
// (replays and tests stay exact).
import type { AdapterInfo } from './device';

/**
 * How a decode matrix-vector kernel spreads its rows: one thread per row ('vec4', matvec_vec4: neighbours read K·4
 * bytes apart), a workgroup of 64 per 4 rows with threads striding along K and a tree in workgroup memory
 * ('coalesced'), or one subgroup per block of rows, lanes striding along K, subgroupAdd and no barrier
 * ('subgroup', where the adapter has the `subgroups` feature).
 */
export type GemvForm = 'vec4' | 'coalesced' | 'subgroup';

export interface KernelVariants {
  /** the plain decode matrix-vector product (K % 4 == 0; the down projection, the LM head, unfused projections) */
  gemv: GemvForm;
  /** the same choice for the fused decode kernels (rmsnorm_qkv_rope, rmsnorm_gate_up_silu), measured apart
   *  (npm run bench:variants times every pair) */
  fused: GemvForm;
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
   *  and selecting in JS (npm run bench:kernels -- linear-f16); a GPU saves the read-back, and queues each step on
   *  the token it drew (draw.wgsl; by design: none was lent) */
  sampling: 'gpu' | 'cpu';
  /** where a top-p step without top-k finds its nucleus: on the GPU (nucleus.wgsl, a few KB back; the logits come
   *  back only where the cut is uncertain) or on the CPU from the logits read back and sorted. The GPU on every
   *  adapter: measured no slower on either emulator (SmolLM2's vocabulary: 3.1 ms against 21.6 on lavapipe, 21.3
   *  against 24.0 on SwiftShader; bench/results/kernels-nucleus-2026-12-03/), and a GPU saves the read-back */
  topP: 'gpu' | 'cpu';
  /** why, in words (the CLI's info and the bench report print it) */
  reason: string;
}

const isSwiftShader = (i: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture'>) => /swiftshader/i.test(`${i.vendor} ${i.architecture} ${i.description}`);
const isLavapipe = (i: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture'>) => /llvmpipe|lavapipe/i.test(`${i.vendor} ${i.architecture} ${i.description}`);

/** the subgroup kernels need the feature, and a smallest subgroup of at least 4 lanes (matvec_subgroup's 4 rows) */
const hasSubgroups = (i: Pick<AdapterInfo, 'features' | 'subgroupMinSize'>) => i.features.subgroups && i.subgroupMinSize >= 4 && i.subgroupMinSize <= 128;

export function chooseVariants(info: Pick<AdapterInfo, 'vendor' | 'description' | 'architecture' | 'features' | 'subgroupMinSize'>): KernelVariants {
  const sg = hasSubgroups(info);
  // the emulators, measured (npm run bench:variants; bench/results/*-variants-*.json): greedy decode of the
  // SmolLM2-shaped model with every GEMV subgroup-formed runs 1.6× (SwiftShader) and 1.27× (lavapipe) the per-thread
  // forms; the workgroup-tree forms ('coalesced') 0.26× and 0.41×
  const emulated = (name: string, extra: string) => ({
    gemv: sg ? ('subgroup' as const) : ('vec4' as const),
    fused: sg ? ('subgroup' as const) : ('vec4' as const),
    adapterPath: 'split' as const,
    f16: 'unpack' as const,
    sampling: 'cpu' as const,
    topP: 'gpu' as const,
    reason: `${name}: ${sg ? 'subgroup GEMVs' : 'one row per thread (no subgroups)'}, the split adapter path${extra} and top-k on the CPU measured faster; top-p's nucleus on the GPU no slower (npm run bench:variants, bench:kernels, bench)`,
  });
  if (isSwiftShader(info)) return emulated('SwiftShader', '');
  if (isLavapipe(info)) return emulated('lavapipe', ', f16 unpacked from u32 pairs (not shader-f16)');
  // a GPU, by design (none was lent to measure on): coalesced reads, and subgroupAdd instead of barriers where the
  // adapter has subgroups (llama.cpp's WebGPU GEMV measured 1.45× decode from subgroup reductions)
  const form = sg ? ('subgroup' as const) : ('coalesced' as const);
  return {
    gemv: form,
    fused: form,
    adapterPath: 'fused',
    f16: 'native',
    sampling: 'gpu',
    topP: 'gpu',
    reason: `a GPU: ${sg ? 'subgroup GEMVs (coalesced reads, subgroupAdd, no barriers)' : 'coalesced GEMV reads (no subgroups)'}, the fused adapter kernels (measured on an H100), top-k and top-p's nucleus on the GPU`,
  };
}
