// The trainer's GPU memory, sized once per (model, adapter): the residual stream entering each layer, the
// activations each layer's backward reads (kept per layer, or one set recomputed), the gradient scratch,
// the head's answer-row buffers, and each adapted projection's and router's gradients.
import type { LlamaModel } from '../model/model';
import { ropeInvFreq, ropeTable } from '../model/config';
import { stepBuffer, type LoraBinding } from '../gpu/kernels';
import { storage } from '../gpu/buffers';
import type { GpuAdapter, Projection } from '../adapters/gpu';
import type { Target } from '../adapters/types';
import { sqNormSlots, loraScratch, routerScratch } from './kernels';
import { KEEP_ACTIVATIONS_BYTES } from './api';

/** One adapted projection of one layer: its packed parameters (the GpuAdapter's), gradients, and moments. */
export interface Slot {
  layer: number;
  proj: Projection;
  lora: LoraBinding & { targets: Target[] };
  /** input width of the projection */
  K: number;
  /** its segments: the target, its rows in the projection's output, and offsets into packed A, B, z */
  segs: { target: Target; start: number; len: number; aOff: number; bOff: number; zOff: number }[];
  nA: number;
  nB: number;
  nZ: number;
  dA: GPUBuffer;
  dB: GPUBuffer;
  /** Zhyper: dz of the current sequence */
  dz: GPUBuffer | null;
  /** z numbers per segment (r diag, r² square, 0 otherwise) */
  zLen: number;
  /** this slot's z in one sequence's row of the dz log */
  zBase: number;
}

/** The trainer's own GPU buffers (sizes in the constructor). */
export type BufferName =
  | 'ids' | 'cosSin' | 'U'
  | 'dx' | 'dh' | 'dact' | 'dgu' | 'datt' | 'dqkv' | 'dK' | 'dV' | 'stats' | 'ug'
  | 'ansRows' | 'rowOf' | 'targets' | 'xa' | 'ha' | 'logits' | 'loss' | 'dha' | 'dxa' | 'partials'
  | 'dgates' | 'routerOut' | 'lbSeq' | 'junk';

/** A layer's activations that its backward reads. */
export interface Acts {
  /** x_l + attention: the post-attention norm's input */
  xmid: GPUBuffer;
  /** RMSNorm(x_l): the qkv projection's (and CUMA's router's) input */
  h1: GPUBuffer;
  /** RMSNorm(xmid): the gate/up projections' input */
  h2: GPUBuffer;
  qkv: GPUBuffer;
  /** Qwen3: the q and k heads before their RMSNorm (rope overwrites them; the norm's backward needs them) */
  qkPre: GPUBuffer;
  kc: GPUBuffer;
  vc: GPUBuffer;
  att: GPUBuffer;
  /** [g | u] pre-activations */
  gu: GPUBuffer;
  /** SiLU(g)·u: the down projection's input */
  act: GPUBuffer;
}

/** CUMA: one layer's router on the GPU, its gradients, and its CPU half (W1e, b1, trained on the CPU). */
export interface RouterSlot {
  layer: number;
  dW1h: GPUBuffer;
  dW2: GPUBuffer;
  db2: GPUBuffer;
  /** dL/dc of the current sequence (c = W1e·e_d + b1) */
  dc: GPUBuffer;
}

export interface TrainDims { H: number; D: number; I: number; nH: number; nKV: number; qDim: number; kvDim: number; qkvDim: number; V: number; L: number; eps: number; Tm: number }

export interface TrainBuffers {
  d: TrainDims;
  /** the Step uniforms: {T, 0} for per-token kernels, {answer tokens, 0} for the head */
  stepT: GPUBuffer;
  stepA: GPUBuffer;
  /** x_0 … x_L: the residual stream entering each layer, and leaving the last */
  xs: GPUBuffer[];
  b: Record<BufferName, GPUBuffer>;
  /** per layer: the activations its backward reads (one shared set when they are recomputed) */
  acts: Acts[];
  keepActivations: boolean;
  slots: Slot[];
  routers: RouterSlot[];
  /** z numbers of one sequence in the dz log */
  zPerSeq: number;
  /** every GPU gradient with its parameter, in the order of the sq_norm slots */
  grads: { n: number; grad: GPUBuffer; param: GPUBuffer }[];
  /** sq_norm slots of the GPU gradients; the one after them holds the CPU gradients' Σ g² */
  hyperSlot: number;
  nPartials: number;
  /** everything allocated here (destroy() frees them) */
  owned: GPUBuffer[];
  buf: (n: number, label: string) => GPUBuffer;
}

export function trainBuffers(model: LlamaModel, ad: GpuAdapter, o: { maxAns: number; keepActivations?: boolean }): TrainBuffers {
  const device = model.kernels.device, c = model.config, spec = ad.adapter.spec;
  const zhyper = spec.method === 'zhyper', cuma = spec.method === 'cuma';
  const H = c.hiddenSize, D = c.headDim, I = c.intermediateSize, nH = c.numHeads, nKV = c.numKVHeads;
  const qDim = nH * D, kvDim = nKV * D, qkvDim = qDim + 2 * kvDim, V = c.vocabSize, L = c.numLayers, Tm = model.maxChunk;
  const d: TrainDims = { H, D, I, nH, nKV, qDim, kvDim, qkvDim, V, L, eps: c.rmsNormEps, Tm };
  const owned: GPUBuffer[] = [];
  const buf = (n: number, label: string) => {
    const b = storage(device, n, `train.${label}`);
    owned.push(b);
    return b;
  };
  const stepT = stepBuffer(device);
  const stepA = stepBuffer(device);
  const A = o.maxAns;
  const xs = Array.from({ length: L + 1 }, (_, l) => buf(Tm * H, `x${l}`));
  const b: Omit<Record<BufferName, GPUBuffer>, 'partials'> = {
    ids: buf(Tm, 'ids'),
    cosSin: storage(device, ropeTable(ropeInvFreq(c), Tm), 'train.cos_sin'),
    U: buf(Tm * Math.max(1, ad.maxRows), 'lora.U'),
    // CUMA: dL/dgates of the layer being pulled back, the router backward's rows, the load-balance sum
    dgates: buf(cuma ? Tm * spec.cuma!.experts : 1, 'router.dgates'),
    routerOut: buf(cuma ? Tm * routerScratch(spec.cuma!.routerHidden, spec.cuma!.experts) : 1, 'router.out'),
    lbSeq: buf(1, 'router.lb'),
    junk: buf(1, 'router.lb_sq'),
    // their gradients
    dx: buf(Tm * H, 'dx'),
    dh: buf(Tm * H, 'dh'),
    dact: buf(Tm * I, 'dact'),
    dgu: buf(Tm * 2 * I, 'dgu'),
    datt: buf(Tm * qDim, 'datt'),
    dqkv: buf(Tm * qkvDim, 'dqkv'),
    dK: buf(Tm * kvDim, 'dK'),
    dV: buf(Tm * kvDim, 'dV'),
    stats: buf(Tm * nH * 2, 'attn.stats'),
    ug: buf(Tm * loraScratch(spec.r, spec.cuma?.experts ?? 1, spec.cuma ? (spec.cuma.sharedA ? 1 : spec.cuma.experts) : 1), 'lora.ug'),
    // the head, on the answer rows only
    ansRows: buf(A, 'answer_rows'),
    rowOf: buf(Tm, 'row_of'), // token t → its answer row, or IGNORE
    targets: buf(A, 'targets'),
    xa: buf(A * H, 'x_answer'),
    ha: buf(A * H, 'h_answer'),
    logits: buf(A * V, 'logits'), // becomes dlogits in place
    loss: buf(A + 1, 'loss'),
    dha: buf(A * H, 'dh_answer'),
    dxa: buf(A * H, 'dx_answer'),
  };
  owned.push(b.cosSin, stepT, stepA);
  const qkPreN = c.qkNorm ? Tm * (nH + nKV) * D : 1;
  const actFloats = Tm * (3 * H + qkvDim + 2 * kvDim + qDim + 3 * I) + qkPreN;
  const keepActivations = o.keepActivations ?? L * actFloats * 4 <= KEEP_ACTIVATIONS_BYTES;
  const actSet = (tag: string): Acts => ({
    xmid: buf(Tm * H, `${tag}xmid`),
    h1: buf(Tm * H, `${tag}h1`),
    h2: buf(Tm * H, `${tag}h2`),
    qkv: buf(Tm * qkvDim, `${tag}qkv`),
    qkPre: buf(qkPreN, `${tag}qk_pre`),
    kc: buf(Tm * kvDim, `${tag}k_cache`),
    vc: buf(Tm * kvDim, `${tag}v_cache`),
    att: buf(Tm * qDim, `${tag}att`),
    gu: buf(Tm * 2 * I, `${tag}gate_up`),
    act: buf(Tm * I, `${tag}act`),
  });
  let acts: Acts[];
  if (keepActivations) acts = Array.from({ length: L }, (_, l) => actSet(`${l}.`));
  else {
    const shared = actSet('');
    acts = Array.from({ length: L }, () => shared);
  }

  // The adapted projections, in layer order, with their gradient buffers.
  const projK: Record<Projection, number> = { qkv: H, o: qDim, gate: H, up: H, down: I };
  const r = spec.r;
  const zLen = zhyper ? (spec.zhyper!.variant === 'square' ? r * r : r) : 0;
  const slots: Slot[] = [];
  const routers: RouterSlot[] = [];
  let zBase = 0;
  ad.layers.forEach((st, layer) => {
    for (const proj of ['qkv', 'o', 'gate', 'up', 'down'] as Projection[]) {
      const lora = st.bindings[proj];
      if (!lora) continue;
      const K = projK[proj];
      let bOff = 0;
      // packed as GpuAdapter uploads them: per segment EA·r·K of A, E·len·r of B, zLen of z
      const segs = lora.targets.map((target, i) => {
        const { start, len } = lora.segs[i];
        const s = { target, start, len, aOff: i * lora.EA * r * K, bOff, zOff: i * zLen };
        bOff += lora.E * len * r;
        return s;
      });
      const nA = segs.length * lora.EA * r * K, nB = bOff, nZ = segs.length * zLen;
      slots.push({
        layer, proj, lora, K, segs, nA, nB, nZ, zBase, zLen,
        dA: buf(nA, `${layer}.${proj}.dA`),
        dB: buf(nB, `${layer}.${proj}.dB`),
        dz: zhyper ? buf(nZ, `${layer}.${proj}.dz`) : null,
      });
      zBase += nZ;
    }
    if (st.router) {
      const { R, E } = st.router;
      routers.push({ layer, dW1h: buf(R * H, `${layer}.router.dW1h`), dW2: buf(E * R, `${layer}.router.dW2`), db2: buf(E, `${layer}.router.db2`), dc: buf(R, `${layer}.router.dc`) });
    }
  });
  const zPerSeq = zBase;

  // Optimizer: every gradient's Σ g² into its own slots of one partials buffer, then AdamW per tensor;
  // adamw.wgsl sums all partials (the CPU hypernetwork's share included) for the global norm.
  const grads = [
    ...slots.flatMap((s) => [
      { n: s.nA, grad: s.dA, param: s.lora.A },
      { n: s.nB, grad: s.dB, param: s.lora.B },
    ]),
    ...routers.flatMap((rs) => {
      const rb = ad.layers[rs.layer].router!;
      return [
        { n: rb.R * H, grad: rs.dW1h, param: rb.W1h },
        { n: rb.E * rb.R, grad: rs.dW2, param: rb.W2 },
        { n: rb.E, grad: rs.db2, param: rb.b2 },
      ];
    }),
  ];
  const hyperSlot = grads.reduce((a, g) => a + sqNormSlots(g.n), 0);
  const nPartials = hyperSlot + 1;
  const partials = buf(nPartials, 'grad.partials');
  return { d, stepT, stepA, xs, b: { ...b, partials }, acts, keepActivations, slots, routers, zPerSeq, grads, hyperSlot, nPartials, owned, buf };
}
