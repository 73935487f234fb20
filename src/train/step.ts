// Training an adapter (plain LoRA, Zhyper diag or square, CUMA) on a frozen Llama / Qwen2 backbone, on the GPU.
//
// One optimizer step over a micro-batch of sequences, top to bottom:
//
//   zero the gradients
//   for each sequence (ids, answer rows, targets, Zhyper: its condition c):
//     Zhyper: z[l][t] = H(c, l, t) on the CPU, with a tape for its backward; z uploaded
//     CUMA: c_l = W1e·e_d + b1 per layer on the CPU (setCondition); the routers run on the GPU
//     forward:   x_0 = embed(ids);  x_{l+1} = layer_l(x_l)       every x_l is kept: the only saved activations
//     head:      h = RMSNorm(x_L[answer rows]);  logits = h·lm_headᵀ;  loss = CE_ε(logits, targets)
//     backward:  dlogits scaled by 1/N (N = answer tokens in the whole batch: the batch mean's gradient)
//                dx = ∂/∂x_L, then for l = L−1 … 0: recompute layer l's forward from x_l (q, k, v, the
//                attention, the gate/up pre-activations), pull dx back through it; each adapted projection
//                adds its dA, dB (Zhyper: dz) into the gradient buffers
//                CUMA: the layer's projections sum dL/dgates; the router's backward (top-k held fixed,
//                plus the load-balancing loss λ·N·Σ_i f_i·P_i) gives dW1h, dW2, db2 on the GPU, dc_l for
//                the CPU, and its share of dh
//     Zhyper: this sequence's dz read back (its z was its own), backprop through the hypernetwork
//     CUMA: dW1e += dc_l ⊗ e_d, db1 += dc_l on the CPU
//   ‖g‖ over every gradient (GPU: sq_norm partials; CPU: the hypernetwork's, W1e's, b1's); NaN/Inf → skipped
//   AdamW with global-norm clipping: A, B, W1h, W2, b2 on the GPU (adamw.wgsl); the hypernetwork, W1e, b1 on the CPU
//
// Only the answer rows reach lm_head: their hidden states are gathered first (the embedding kernel is a
// row gather), and their gradients scattered back the same way, so the vocabulary-wide buffers are
// [answer tokens, V], not [T, V].
import type { LlamaModel } from '../model/model';
import { ropeInvFreq, ropeTable } from '../model/config';
import { LORA_MODE, stepBuffer, writeStep, type Dispatch, type LoraBinding } from '../gpu/kernels';
import { layerDispatches, layerPlan, plainLinear, type AdapterPath } from '../model/layer';
import { readF32, storage } from '../gpu/buffers';
import type { GpuAdapter, Projection } from '../adapters/gpu';
import { tensorName, type Adapter, type Target } from '../adapters/types';
import { TrainKernels, IGNORE, packTargets, sqNormSlots, loraScratch, routerScratch, type AdamwDispatch } from './kernels';
import { hypernetForward, zeroHyperGrads, type HyperGrads, type HypernetTape } from './hypernet-backward';
import { clipFactor, CpuAdamW, sumSquares, type LrSchedule } from './optim';

/** One training sequence. */
export interface TrainExample {
  /** the tokens, starting at position 0 (at most the model's maxChunk) */
  ids: number[];
  /** rows t whose NEXT token is scored: the logits after ids[0..t] against targets[i] */
  answerPositions: number[];
  targets: number[];
  /** Zhyper's c or CUMA's e_d: the condition embedding (the encoder's output for this sequence's persona) */
  condition?: Float32Array;
}

export interface TrainOptions {
  /** learning rate: a constant, or a schedule of the 1-based step (warmupCosine in optim.ts) */
  lr: number | LrSchedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** decoupled weight decay on every trained tensor (torch.optim.AdamW's default 0.01) */
  weightDecay?: number;
  /** global gradient-norm clipping (1.0 as in most LoRA recipes); 0 = off */
  maxGradNorm?: number;
  /** label smoothing ε of the cross-entropy (Zhyper's code uses 0.1) */
  labelSmoothing?: number;
  /** CUMA's load balance: 'dense' (Mixtral's form, the default) or 'sparse' (the CUMA code's: f = count/(T·k), P the mean final gate) */
  loadBalanceForm?: 'dense' | 'sparse';
  /** most answer tokens in one sequence (sizes the [rows, V] logits buffer; default 32) */
  maxAnswerTokens?: number;
  /** false: adapted projections run as base + lora_down + lora_up (the unfused path) */
  fused?: boolean;
  /** CUMA: the load-balancing weight λ of λ·Σ_layers N·Σ_i f_i·P_i (0.01 in the authors' code; 0 = off) */
  loadBalance?: number;
  /**
   * true: every layer keeps its activations from the forward for the backward; false: one set of buffers,
   * each layer's forward recomputed from its input before its backward (a third more work, L times less
   * memory). Default: keep them when they take at most KEEP_ACTIVATIONS_BYTES.
   */
  keepActivations?: boolean;
}

/** keepActivations' default limit: every layer's activations at maxChunk tokens */
export const KEEP_ACTIVATIONS_BYTES = 256 * 2 ** 20;

export interface StepResult {
  /** the optimizer step just taken (1-based) */
  step: number;
  /** mean cross-entropy over the batch's answer tokens, before the update */
  loss: number;
  /** CUMA: λ·(the load-balancing loss summed over layers, mean over sequences); 0 otherwise */
  aux: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  lr: number;
  /** answer tokens in the batch */
  tokens: number;
}

/** A step whose loss, gradient norm or learning rate is NaN or infinite: nothing was updated. */
export class NonFiniteStepError extends Error {
  override name = 'NonFiniteStepError';
}

/** One adapted projection of one layer: its packed parameters (the GpuAdapter's), gradients, and moments. */
interface Slot {
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
type BufferName =
  | 'ids' | 'cosSin' | 'U'
  | 'dx' | 'dh' | 'dact' | 'dgu' | 'datt' | 'dqkv' | 'dK' | 'dV' | 'stats' | 'ug'
  | 'ansRows' | 'rowOf' | 'targets' | 'xa' | 'ha' | 'logits' | 'loss' | 'dha' | 'dxa' | 'partials'
  | 'dgates' | 'routerOut' | 'lbSeq' | 'junk';

/** A layer's activations that its backward reads. */
interface Acts {
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
interface RouterSlot {
  layer: number;
  dW1h: GPUBuffer;
  dW2: GPUBuffer;
  db2: GPUBuffer;
  /** dL/dc of the current sequence (c = W1e·e_d + b1) */
  dc: GPUBuffer;
}

export class Trainer {
  readonly adapter: Adapter;
  /** optimizer steps taken */
  stepCount = 0;
  private readonly schedule: LrSchedule;
  private readonly tk: TrainKernels;
  private readonly ad: GpuAdapter;
  private readonly device: GPUDevice;
  private readonly zhyper: boolean;
  private readonly cuma: boolean;
  private readonly routers: RouterSlot[] = [];
  /** λ of the load-balancing loss (CUMA) */
  private readonly lbLambda: number;
  private readonly lbForm: 'dense' | 'sparse';
  /** per layer, forward-only runs: the router's load-balance share (router_backward with dL/dgates = 0) */
  private readonly lbForwardOps: Dispatch[][];
  /** router_backward dispatches, whose Params carry lbScale (rewritten per batch) */
  private readonly lbScaled: Dispatch[] = [];
  private dcLog: GPUBuffer | null = null;
  private lbLog: GPUBuffer | null = null;
  private readonly smoothing: number;
  private readonly maxNorm: number;
  private readonly maxAns: number;
  private readonly d: { H: number; D: number; I: number; nH: number; nKV: number; qDim: number; kvDim: number; qkvDim: number; V: number; L: number; eps: number; Tm: number };
  private readonly owned: GPUBuffer[] = [];
  private readonly slots: Slot[] = [];
  /** the Step uniforms: {T, 0} for per-token kernels, {answer tokens, 0} for the head */
  private readonly stepT: GPUBuffer;
  private readonly stepA: GPUBuffer;
  private readonly b: Record<BufferName, GPUBuffer>;
  /** x_0 … x_L: the residual stream entering each layer, and leaving the last */
  private readonly xs: GPUBuffer[];
  private readonly embedOps: Dispatch[];
  /** per layer: the activations its backward reads (one shared set when they are recomputed) */
  private readonly acts: Acts[];
  /** whether acts are kept per layer from the forward (no recompute) */
  readonly keepActivations: boolean;
  /** per layer: its forward into x_{l+1} up to the down projection, then the down projection (the driver
   *  copies xmid out between them when activations are kept), its recompute (no down projection) into
   *  xmid when they are not, and its backward */
  private readonly forwardOps: Dispatch[][];
  private readonly downOps: Dispatch[][];
  private readonly recomputeOps: Dispatch[][];
  private readonly backwardOps: Dispatch[][];
  private readonly headForwardOps: Dispatch[];
  private readonly headBackwardOps: Dispatch[];
  private readonly ceOps: Dispatch[];
  private readonly sqNormOps: Dispatch[];
  private readonly adamwOps: AdamwDispatch[];
  /** sq_norm slots of the GPU gradients; the one after them holds the CPU gradients' Σ g² */
  private readonly nPartials: number;
  private readonly hyperSlot: number;
  private readonly zPerSeq: number;
  private readonly hyperOpt: CpuAdamW | null;
  private lossLog: GPUBuffer | null = null;
  private dzLog: GPUBuffer | null = null;
  private logCapacity = 0;
  private busy = false;

  /** Train the adapter attached to `model` (Runtime.attachAdapter puts it there). */
  constructor(
    readonly model: LlamaModel,
    opts: TrainOptions,
  ) {
    const ad = model.adapter;
    if (!ad) throw new Error('no adapter is attached to the model: attach the adapter to train first (Runtime.attachAdapter)');
    const c = model.config, spec = ad.adapter.spec;
    const smoothing = opts.labelSmoothing ?? 0;
    if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`label smoothing must be in [0, 1), got ${smoothing}`);
    this.ad = ad;
    this.adapter = ad.adapter;
    this.device = model.kernels.device;
    this.tk = new TrainKernels(model.kernels);
    this.zhyper = spec.method === 'zhyper';
    this.cuma = spec.method === 'cuma';
    this.lbLambda = opts.loadBalance ?? 0.01;
    this.lbForm = opts.loadBalanceForm ?? 'dense';
    if (!(this.lbLambda >= 0 && Number.isFinite(this.lbLambda))) throw new Error(`loadBalance (λ) must be a number ≥ 0, got ${opts.loadBalance}`);
    this.smoothing = smoothing;
    this.maxNorm = opts.maxGradNorm ?? 1;
    this.maxAns = opts.maxAnswerTokens ?? 32;
    if (!Number.isInteger(this.maxAns) || this.maxAns < 1 || this.maxAns > 65535) throw new Error(`maxAnswerTokens must be an integer from 1 to 65535, got ${this.maxAns}`);
    const lr = opts.lr;
    this.schedule = typeof lr === 'number' ? () => lr : lr;
    const hyper = { beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: opts.eps ?? 1e-8, wd: opts.weightDecay ?? 0.01 };

    const H = c.hiddenSize, D = c.headDim, I = c.intermediateSize, nH = c.numHeads, nKV = c.numKVHeads;
    const qDim = nH * D, kvDim = nKV * D, qkvDim = qDim + 2 * kvDim, V = c.vocabSize, L = c.numLayers, Tm = model.maxChunk;
    this.d = { H, D, I, nH, nKV, qDim, kvDim, qkvDim, V, L, eps: c.rmsNormEps, Tm };
    const buf = (n: number, label: string) => {
      const b = storage(this.device, n, `train.${label}`);
      this.owned.push(b);
      return b;
    };
    this.stepT = stepBuffer(this.device);
    this.stepA = stepBuffer(this.device);
    const A = this.maxAns;
    this.xs = Array.from({ length: L + 1 }, (_, l) => buf(Tm * H, `x${l}`));
    const b: Omit<Record<BufferName, GPUBuffer>, 'partials'> = {
      ids: buf(Tm, 'ids'),
      cosSin: storage(this.device, ropeTable(ropeInvFreq(c), Tm), 'train.cos_sin'),
      U: buf(Tm * Math.max(1, ad.maxRows), 'lora.U'),
      // CUMA: dL/dgates of the layer being pulled back, the router backward's rows, the load-balance sum
      dgates: buf(this.cuma ? Tm * spec.cuma!.experts : 1, 'router.dgates'),
      routerOut: buf(this.cuma ? Tm * routerScratch(spec.cuma!.routerHidden, spec.cuma!.experts) : 1, 'router.out'),
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
    this.owned.push(b.cosSin, this.stepT, this.stepA);
    const qkPreN = c.qkNorm ? Tm * (nH + nKV) * D : 1;
    const actFloats = Tm * (3 * H + qkvDim + 2 * kvDim + qDim + 3 * I) + qkPreN;
    this.keepActivations = opts.keepActivations ?? L * actFloats * 4 <= KEEP_ACTIVATIONS_BYTES;
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
    if (this.keepActivations) this.acts = Array.from({ length: L }, (_, l) => actSet(`${l}.`));
    else {
      const shared = actSet('');
      this.acts = Array.from({ length: L }, () => shared);
    }

    // The adapted projections, in layer order, with their gradient buffers.
    const projK: Record<Projection, number> = { qkv: H, o: qDim, gate: H, up: H, down: I };
    const r = spec.r;
    const zLen = this.zhyper ? (spec.zhyper!.variant === 'square' ? r * r : r) : 0;
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
        this.slots.push({
          layer, proj, lora, K, segs, nA, nB, nZ, zBase, zLen,
          dA: buf(nA, `${layer}.${proj}.dA`),
          dB: buf(nB, `${layer}.${proj}.dB`),
          dz: this.zhyper ? buf(nZ, `${layer}.${proj}.dz`) : null,
        });
        zBase += nZ;
      }
      if (st.router) {
        const { R, E } = st.router;
        this.routers.push({ layer, dW1h: buf(R * H, `${layer}.router.dW1h`), dW2: buf(E * R, `${layer}.router.dW2`), db2: buf(E, `${layer}.router.db2`), dc: buf(R, `${layer}.router.dc`) });
      }
    });
    this.zPerSeq = zBase;

    // Optimizer: every gradient's Σ g² into its own slots of one partials buffer, then AdamW per tensor;
    // adamw.wgsl sums all partials (the CPU hypernetwork's share included) for the global norm.
    const grads = [
      ...this.slots.flatMap((s) => [
        { n: s.nA, grad: s.dA, param: s.lora.A },
        { n: s.nB, grad: s.dB, param: s.lora.B },
      ]),
      ...this.routers.flatMap((rs) => {
        const rb = ad.layers[rs.layer].router!;
        return [
          { n: rb.R * H, grad: rs.dW1h, param: rb.W1h },
          { n: rb.E * rb.R, grad: rs.dW2, param: rb.W2 },
          { n: rb.E, grad: rs.db2, param: rb.b2 },
        ];
      }),
    ];
    this.hyperSlot = grads.reduce((a, g) => a + sqNormSlots(g.n), 0);
    this.nPartials = this.hyperSlot + 1;
    const partials = buf(this.nPartials, 'grad.partials');
    this.b = { ...b, partials };

    // training runs T tokens at once, where 'split' is 'unfused' (layer.ts)
    const path: AdapterPath = opts.fused === false ? 'unfused' : 'fused';
    this.embedOps = model.weights.embed.chunks.map((ch) => model.kernels.embedding(this.stepT, { H, rowStart: ch.rowStart, rowCount: ch.rowCount, ids: this.b.ids, table: ch.buf, out: this.xs[0] }));
    const forward = this.xs.slice(1).map((x, l) => this.layerForward(l, x, path));
    this.forwardOps = forward.map((f) => f.upToDown);
    this.downOps = forward.map((f) => f.down);
    this.recomputeOps = this.keepActivations ? [] : this.xs.slice(1).map((_, l) => this.layerForward(l, this.acts[l].xmid, path).upToDown);
    this.backwardOps = this.xs.slice(1).map((_, l) => this.layerBackward(l));
    this.lbForwardOps = this.xs.slice(1).map((_, l) => (this.cuma ? this.routerOps(l, false) : []));
    [this.headForwardOps, this.ceOps, this.headBackwardOps] = this.head();

    // sq_norm per gradient into its slots, AdamW per tensor
    let slot = 0;
    this.sqNormOps = grads.map((g) => {
      const d = this.tk.sqNorm({ n: g.n, outIndex: slot, x: g.grad, partials });
      slot += sqNormSlots(g.n);
      return d;
    });
    this.adamwOps = grads.map((g) =>
      this.tk.adamw({
        n: g.n, lr: 0, beta1: hyper.beta1, beta2: hyper.beta2, eps: hyper.eps, wd: hyper.wd, maxNorm: this.maxNorm,
        nPartials: this.nPartials, partials, param: g.param, grad: g.grad, m: buf(g.n, 'adam.m'), v: buf(g.n, 'adam.v'),
      }),
    );
    // on the CPU, in place: Zhyper's hypernetwork in the adapter's tensors (which Hypernet reads); CUMA's
    // W1e and b1 in the GpuAdapter's copies (which setCondition reads)
    const cpuParams = new Map<string, Float32Array>();
    for (const [name, t] of this.adapter.tensors) if (name.startsWith('hyper.')) cpuParams.set(name, t.data);
    for (const rs of this.routers) {
      const rb = ad.layers[rs.layer].router!;
      if (rb.W1e) cpuParams.set(tensorName(rs.layer, 'router', 'W1e'), rb.W1e);
      cpuParams.set(tensorName(rs.layer, 'router', 'b1'), rb.b1);
    }
    this.hyperOpt = cpuParams.size ? new CpuAdamW(cpuParams, hyper) : null;
  }

  // ---- building the dispatches -------------------------------------------------------------------

  /**
   * Layer l's forward (layer.ts, as inference builds it, with gate and up kept as two projections): x holds
   * x_l when it starts (the driver copies it in). `upToDown` ends with x = x_l + attention (xmid) and act
   * ready; `down` then adds the MLP's output (x_{l+1}). The recompute before the backward is upToDown on
   * acts.xmid.
   */
  private layerForward(l: number, x: GPUBuffer, path: AdapterPath): { upToDown: Dispatch[]; down: Dispatch[] } {
    const { h1, h2, qkv, qkPre, kc, vc, att, gu, act } = this.acts[l];
    const b = { x, h1, h2, qkv, qkPre, kCache: kc, vCache: vc, att, act, gu, U: this.b.U, cosSin: this.b.cosSin };
    const d = layerDispatches(this.model.kernels, this.stepT, this.model.config, this.model.weights.layers[l], this.ad.layers[l], b, layerPlan({ prefill: true, path, training: true }));
    return { upToDown: [...d.attention, ...d.mlp], down: d.down };
  }

  /** The adapter's backward on one projection: dA, dB (dz) accumulate; its share of dX adds onto dX. */
  private loraBackward(l: number, proj: Projection, o: { x: GPUBuffer; dY: GPUBuffer; ldDY: number; dyOff?: number; dX?: GPUBuffer }): Dispatch[] {
    const slot = this.slots.find((s) => s.layer === l && s.proj === proj);
    if (!slot) return [];
    const { lora } = slot;
    return slot.segs.flatMap((sg) =>
      this.tk.loraBackward(this.stepT, {
        K: slot.K, N: sg.len, r: lora.r, scale: lora.scale, mode: lora.mode, E: lora.E, EA: lora.EA,
        ldDY: o.ldDY, dyOff: (o.dyOff ?? 0) + sg.start, aOff: sg.aOff, bOff: sg.bOff, zOff: sg.zOff, accumulate: true,
        x: o.x, dY: o.dY, A: lora.A, B: lora.B, z: lora.mode !== LORA_MODE.plain ? lora.cond : undefined, ug: this.b.ug,
        dA: slot.dA, dB: slot.dB, dz: slot.dz ?? undefined, dgates: lora.mode === LORA_MODE.gatedExperts ? this.b.dgates : undefined, dX: o.dX,
      }),
    );
  }

  /**
   * CUMA, layer l: the router's backward from the dL/dgates its projections summed (backward), or with
   * dL/dgates = 0 for the load-balance share alone (forward-only runs); the share is summed into lbSeq.
   * With backward, also dW1h, dc, dW2, db2 (accumulated) and, above layer 0, W1hᵀ·dpre into dh.
   */
  private routerOps(l: number, backward: boolean): Dispatch[] {
    const rt = this.ad.layers[l].router!, rs = this.routers.find((x) => x.layer === l)!;
    const { H } = this.d;
    const S = routerScratch(rt.R, rt.E), lbCol = 2 * rt.R + rt.E;
    const [rb, ...grads] = this.tk.routerBackward(
      this.stepT,
      { H, R: rt.R, E: rt.E, k: rt.k, gating: rt.gating, lbScale: 0, lbForm: this.lbForm, h: this.acts[l].h1, W1h: rt.W1h, c: rt.c, W2: rt.W2, b2: rt.b2, gates: rt.gates, dgates: this.b.dgates, out: this.b.routerOut },
      { dW1h: rs.dW1h, dc: rs.dc, dW2: rs.dW2, db2: rs.db2, accumulate: true },
    );
    this.lbScaled.push(rb);
    // Σ_t of the load-balance column: weight_grad's bias sum (its dW, Σ lb², goes to a junk buffer)
    const lb = this.tk.weightGrad(this.stepT, { N: 1, K: 1, ldDY: S, dyOff: lbCol, ldX: S, xOff: lbCol, accumulate: true, dY: this.b.routerOut, X: this.b.routerOut, dW: this.b.junk, db: this.b.lbSeq });
    if (!backward) return [rb, lb];
    const dh = l === 0 ? [] : [this.tk.linearBackwardInput(this.stepT, { N: rt.R, K: H, ldDY: S, dyOff: rt.R, accumulate: true, dY: this.b.routerOut, W: rt.W1h, dX: this.b.dh })];
    return [rb, lb, ...grads, ...dh];
  }

  /**
   * Layer l's backward, after its recompute: dx holds dL/dx_{l+1} and ends as dL/dx_l.
   *   x_{l+1} = xmid + down(SiLU(g)·u),  [g | u] = RMSNorm(xmid)·[W_gate | W_up]ᵀ
   *   xmid    = x_l + o(attention(RoPE(RMSNorm(x_l)·W_qkvᵀ)))
   * Both residual adds pass dx through unchanged; each branch adds its part on top (accumulate).
   */
  private layerBackward(l: number): Dispatch[] {
    const tk = this.tk, s = this.stepT;
    const { H, D, I, nH, nKV, qDim, kvDim, qkvDim, eps } = this.d;
    const W = this.model.weights.layers[l];
    const { cosSin, dx, dh, dact, dgu, datt, dqkv, dK, dV, stats } = this.b;
    const { xmid, h1, h2, qkv, qkPre, kc, vc, att, gu, act } = this.acts[l];
    const mlp = [
      tk.linearBackwardInput(s, { N: H, K: I, dY: dx, W: W.Wdown, dX: dact }),
      ...this.loraBackward(l, 'down', { x: act, dY: dx, ldDY: H, dX: dact }),
      tk.siluGateBackward(s, { I, gu, dOut: dact, dgu }),
      tk.linearBackwardInput(s, { N: I, K: H, ldDY: 2 * I, dyOff: 0, dY: dgu, W: W.Wgate, dX: dh }),
      tk.linearBackwardInput(s, { N: I, K: H, ldDY: 2 * I, dyOff: I, accumulate: true, dY: dgu, W: W.Wup, dX: dh }),
      ...this.loraBackward(l, 'gate', { x: h2, dY: dgu, ldDY: 2 * I, dyOff: 0, dX: dh }),
      ...this.loraBackward(l, 'up', { x: h2, dY: dgu, ldDY: 2 * I, dyOff: I, dX: dh }),
      tk.rmsnormBackward(s, { dim: H, eps, accumulate: true, x: xmid, w: W.postNorm, dy: dh, dx }),
    ];
    // Below layer 0 are the frozen embeddings: its attention branch needs no input gradient, only the
    // adapter's parameter gradients.
    const first = l === 0;
    const attention = [
      tk.linearBackwardInput(s, { N: H, K: qDim, dY: dx, W: W.Wo, dX: datt }),
      ...this.loraBackward(l, 'o', { x: att, dY: dx, ldDY: H, dX: datt }),
      ...tk.attentionBackward(s, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: qkvDim, qkv, kCache: kc, vCache: vc, dO: datt, stats, dqkv, dK, dV, past: 0 }),
      tk.kvAppendBackward(s, { kvDim, ldQKV: qkvDim, kOff: qDim, vOff: qDim + kvDim, dK, dV, dqkv }),
      tk.ropeBackward(s, { headDim: D, nHeads: nH + nKV, ldQKV: qkvDim, cosSin, dqkv, ...(W.qkNorm ? { normW: W.qkNorm, nQHeads: nH, eps, pre: qkPre } : {}) }),
      ...(first ? [] : [tk.linearBackwardInput(s, { N: qkvDim, K: H, dY: dqkv, W: W.Wqkv, dX: dh })]),
      ...this.loraBackward(l, 'qkv', { x: h1, dY: dqkv, ldDY: qkvDim, dX: first ? undefined : dh }),
      ...(this.cuma ? this.routerOps(l, true) : []),
      ...(first ? [] : [tk.rmsnormBackward(s, { dim: H, eps, accumulate: true, x: this.xs[l], w: W.inputNorm, dy: dh, dx })]),
    ];
    return [...mlp, ...attention];
  }

  /**
   * The head on the answer rows: gather x_L's answer rows (the embedding kernel as a row gather), final
   * RMSNorm, lm_head per row chunk, cross-entropy (logits become dlogits in place); then back through
   * lm_head and the norm, and scatter the rows' gradients into dx (a gather by the inverse map).
   */
  private head(): [Dispatch[], Dispatch[], Dispatch[]] {
    const k = this.model.kernels, tk = this.tk, a = this.stepA;
    const { H, V, eps, Tm } = this.d;
    const w = this.model.weights;
    const { ansRows, rowOf, targets, xa, ha, logits, loss, dha, dxa, dx } = this.b;
    const chunks = w.lmHead.chunks;
    const forward = [
      k.embedding(a, { H, rowStart: 0, rowCount: Tm, ids: ansRows, table: this.xs[this.d.L], out: xa }),
      k.rmsnorm(a, { dim: H, eps, x: xa, w: w.finalNorm, y: ha }),
      ...chunks.map((ch) => plainLinear(k, a, { N: ch.rowCount, K: H, ldY: V, nOff: ch.rowStart, x: ha, W: ch.buf, y: logits }, true)),
    ];
    // rows = maxAns: rows past this sequence's answers are IGNORE (loss 0, gradient 0); count and
    // gradScale are rewritten per sequence (setLossScale)
    const ce = tk.crossEntropy({ V, rows: this.maxAns, count: 1, eps: this.smoothing, targets, logits, loss });
    const backward = [
      ...chunks.map((ch, i) => tk.linearBackwardInput(a, { N: ch.rowCount, K: H, ldDY: V, dyOff: ch.rowStart, accumulate: i > 0, dY: logits, W: ch.buf, dX: dha })),
      tk.rmsnormBackward(a, { dim: H, eps, x: xa, w: w.finalNorm, dy: dha, dx: dxa }),
      k.embedding(this.stepT, { H, rowStart: 0, rowCount: this.maxAns, ids: rowOf, table: dxa, out: dx }),
    ];
    return [forward, ce, backward];
  }

  // ---- running ------------------------------------------------------------------------------------

  /** cross_entropy's count and gradScale, per sequence (TrainKernels.crossEntropy). */
  private setLossScale(count: number, gradScale: number): void {
    for (const d of this.ceOps) {
      this.model.kernels.setParam(d, 'count', count);
      this.model.kernels.setParam(d, 'gradScale', gradScale);
    }
  }

  private check(ex: TrainExample, i: number): void {
    const { V, Tm } = this.d;
    const T = ex.ids.length, n = ex.answerPositions.length;
    if (T < 1 || T > Tm) throw new Error(`example ${i} has ${T} tokens; a training sequence has 1 to ${Tm} (the model's maxChunk)`);
    for (const id of ex.ids) if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`example ${i}: token id ${id} is outside the vocabulary [0, ${V})`);
    if (n === 0) throw new Error(`example ${i} has no answer tokens`);
    if (ex.targets.length !== n) throw new Error(`example ${i} has ${n} answer positions but ${ex.targets.length} targets`);
    if (n > this.maxAns) throw new Error(`example ${i} has ${n} answer tokens, more than maxAnswerTokens = ${this.maxAns}`);
    for (const t of ex.answerPositions) if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`example ${i}: answer position ${t} is outside its ${T} tokens`);
    if (new Set(ex.answerPositions).size !== n) throw new Error(`example ${i} lists an answer position twice`);
    for (const y of ex.targets) if (!Number.isInteger(y) || y < 0 || y >= V) throw new Error(`example ${i}: target ${y} is outside the vocabulary [0, ${V})`);
    const spec = this.adapter.spec;
    const cd = this.zhyper ? spec.zhyper!.condDim : this.cuma && !spec.cuma!.semanticOnly ? spec.cuma!.condDim : 0;
    if (cd) {
      if (!ex.condition) throw new Error(`example ${i} has no condition embedding: ${this.zhyper ? 'Zhyper' : 'CUMA'} trains on (condition, sequence) pairs`);
      if (ex.condition.length !== cd) throw new Error(`example ${i}: condition embedding has ${ex.condition.length} numbers; this adapter was made for ${cd}`);
    }
  }

  private ensureLogs(n: number): void {
    if (n <= this.logCapacity) return;
    this.lossLog?.destroy();
    this.dzLog?.destroy();
    this.dcLog?.destroy();
    this.lbLog?.destroy();
    this.logCapacity = Math.max(n, 2 * this.logCapacity);
    this.lossLog = storage(this.device, this.logCapacity, 'train.loss_log');
    this.dzLog = storage(this.device, Math.max(1, this.logCapacity * this.zPerSeq), 'train.dz_log');
    this.dcLog = storage(this.device, Math.max(1, this.logCapacity * this.dcPerSeq), 'train.dc_log');
    this.lbLog = storage(this.device, this.logCapacity, 'train.lb_log');
  }

  /** Zhyper: upload this sequence's z into the adapted projections' cond buffers. */
  private uploadZ(z: Record<string, Float32Array>[]): void {
    for (const s of this.slots) {
      const packed = new Float32Array(s.nZ);
      s.lora.targets.forEach((t, i) => packed.set(z[s.layer][t], i * s.zLen));
      this.device.queue.writeBuffer(s.lora.cond, 0, packed);
    }
  }

  /** dc numbers per sequence in the dc log: every router's R */
  private get dcPerSeq(): number {
    return this.routers.reduce((a, rs) => a + this.ad.layers[rs.layer].router!.R, 0);
  }

  /** CUMA: the load-balancing scale λ·N·w of every router backward (w = a sequence's weight: 1/batch). */
  private setLbScale(weight: number): void {
    if (!this.cuma) return;
    const v = this.lbLambda * this.adapter.spec.cuma!.experts * weight;
    for (const d of this.lbScaled) this.model.kernels.setParam(d, 'lbScale', v);
  }

  /** Put sequence `ex`'s condition on the adapter: Zhyper's z (with a tape when training), CUMA's c. */
  private condition(ex: TrainExample, tape: boolean): HypernetTape | null {
    if (this.zhyper) {
      const t = hypernetForward(this.adapter, ex.condition!, this.d.L);
      this.uploadZ(t.z);
      return tape ? t : null;
    }
    if (this.cuma) this.ad.setCondition(this.adapter.spec.cuma!.semanticOnly ? null : ex.condition!);
    return null;
  }

  /**
   * Forward (and with `backward`, backward) of sequence `ex` as the i-th of a batch: its mean loss goes
   * to lossLog[i], and with Zhyper its dz to row i of dzLog. Gradients accumulate (scaled by gradScale).
   * One submit per layer, as the model's prefill does, so no single GPU job grows with the depth.
   */
  private runSequence(ex: TrainExample, i: number, gradScale: number, backward: boolean): void {
    const dev = this.device, q = dev.queue, k = this.model.kernels;
    const { H, L } = this.d;
    const T = ex.ids.length, n = ex.answerPositions.length;
    q.writeBuffer(this.b.ids, 0, new Uint32Array(ex.ids));
    writeStep(dev, this.stepT, T, 0);
    writeStep(dev, this.stepA, n, 0);
    q.writeBuffer(this.b.ansRows, 0, new Uint32Array(ex.answerPositions));
    const rowOf = new Uint32Array(T).fill(IGNORE);
    ex.answerPositions.forEach((t, j) => (rowOf[t] = j));
    q.writeBuffer(this.b.rowOf, 0, rowOf);
    const { targets } = packTargets(ex.targets.map((y, j) => [j, y]), this.maxAns, this.d.V);
    q.writeBuffer(this.b.targets, 0, targets as Uint32Array<ArrayBuffer>);
    this.setLossScale(n, gradScale);
    const bytes = T * H * 4;
    const lbForward = this.cuma && !backward;

    for (let l = 0; l < L; l++) {
      const enc = dev.createCommandEncoder();
      if (l === 0) {
        enc.clearBuffer(this.b.lbSeq);
        if (lbForward) enc.clearBuffer(this.b.dgates);
        k.encode(enc, this.embedOps, T);
      }
      enc.copyBufferToBuffer(this.xs[l], 0, this.xs[l + 1], 0, bytes); // x_{l+1} starts as x_l: the residual
      const rest = [...this.downOps[l], ...(lbForward ? this.lbForwardOps[l] : [])];
      if (this.keepActivations) {
        k.encode(enc, this.forwardOps[l], T);
        enc.copyBufferToBuffer(this.xs[l + 1], 0, this.acts[l].xmid, 0, bytes); // xmid, for the post-attention norm's backward
        k.encode(enc, rest, T);
      } else k.encode(enc, [...this.forwardOps[l], ...rest], T);
      q.submit([enc.finish()]);
    }
    const enc = dev.createCommandEncoder();
    enc.clearBuffer(this.b.dx); // rows that are not answers get no gradient from the head
    enc.clearBuffer(this.b.dxa); // the scatter reads all maxAns rows: stale ones must not be NaN
    for (const s of this.slots) if (s.dz) enc.clearBuffer(s.dz);
    k.encode(enc, [...this.headForwardOps, ...this.ceOps, ...(backward ? this.headBackwardOps : [])], T);
    enc.copyBufferToBuffer(this.b.loss, this.maxAns * 4, this.lossLog!, i * 4, 4);
    if (lbForward) enc.copyBufferToBuffer(this.b.lbSeq, 0, this.lbLog!, i * 4, 4);
    for (const rs of this.routers) enc.clearBuffer(rs.dc); // dc is per sequence (its own e_d)
    q.submit([enc.finish()]);
    if (!backward) return;

    let dcOff = i * this.dcPerSeq;
    for (let l = L - 1; l >= 0; l--) {
      const enc = dev.createCommandEncoder();
      if (!this.keepActivations) enc.copyBufferToBuffer(this.xs[l], 0, this.acts[l].xmid, 0, bytes);
      if (this.cuma) enc.clearBuffer(this.b.dgates);
      k.encode(enc, this.keepActivations ? this.backwardOps[l] : [...this.recomputeOps[l], ...this.backwardOps[l]], T);
      if (l === 0) for (const s of this.slots) if (s.dz) enc.copyBufferToBuffer(s.dz, 0, this.dzLog!, (i * this.zPerSeq + s.zBase) * 4, s.nZ * 4);
      if (l === 0 && this.cuma) enc.copyBufferToBuffer(this.b.lbSeq, 0, this.lbLog!, i * 4, 4);
      q.submit([enc.finish()]);
    }
    // the routers' dc, in layer order
    if (this.cuma) {
      const enc = dev.createCommandEncoder();
      for (const rs of this.routers) {
        const R = this.ad.layers[rs.layer].router!.R;
        enc.copyBufferToBuffer(rs.dc, 0, this.dcLog!, dcOff * 4, R * 4);
        dcOff += R;
      }
      q.submit([enc.finish()]);
    }
  }

  /**
   * Forward and backward of a batch, gradients summed on the GPU (and for the CPU-side parameters:
   * Zhyper's hypernetwork, CUMA's W1e and b1, on the CPU). Nothing is updated.
   */
  private async accumulate(batch: TrainExample[]): Promise<{ loss: number; aux: number; tokens: number; gpuSq: number; dz: Record<string, Float32Array>[][]; cpuGrads: HyperGrads | null }> {
    if (batch.length === 0) throw new Error('a training batch needs at least one example');
    batch.forEach((ex, i) => this.check(ex, i));
    this.ensureLogs(batch.length);
    const tokens = batch.reduce((a, ex) => a + ex.answerPositions.length, 0);
    const enc = this.device.createCommandEncoder();
    for (const s of this.slots) {
      enc.clearBuffer(s.dA);
      enc.clearBuffer(s.dB);
    }
    for (const rs of this.routers) for (const g of [rs.dW1h, rs.dW2, rs.db2]) enc.clearBuffer(g);
    this.device.queue.submit([enc.finish()]);
    this.setLbScale(1 / batch.length);

    const tapes: HypernetTape[] = [];
    batch.forEach((ex, i) => {
      const tape = this.condition(ex, true);
      if (tape) tapes.push(tape);
      this.runSequence(ex, i, 1 / tokens, true);
    });
    this.model.kernels.run(this.sqNormOps, 1);

    const [means, partials, dzAll, dcAll, lbs] = await Promise.all([
      readF32(this.device, this.lossLog!, 0, batch.length),
      readF32(this.device, this.b.partials, 0, this.hyperSlot || 1),
      this.zhyper ? readF32(this.device, this.dzLog!, 0, batch.length * this.zPerSeq) : null,
      this.cuma ? readF32(this.device, this.dcLog!, 0, batch.length * this.dcPerSeq) : null,
      this.cuma ? readF32(this.device, this.lbLog!, 0, batch.length) : null,
    ]);
    const loss = batch.reduce((a, ex, i) => a + means[i] * ex.answerPositions.length, 0) / tokens;
    const aux = lbs ? lbs.reduce((a, b) => a + b, 0) : 0;
    let gpuSq = 0;
    for (let j = 0; j < this.hyperSlot; j++) gpuSq += partials[j];

    // Zhyper: each sequence's dz through its own hypernetwork forward
    const dz: Record<string, Float32Array>[][] = [];
    let cpuGrads: HyperGrads | null = null;
    if (dzAll) {
      cpuGrads = zeroHyperGrads(this.adapter);
      batch.forEach((_, i) => {
        const zi: Record<string, Float32Array>[] = Array.from({ length: this.d.L }, () => ({}));
        for (const s of this.slots)
          s.segs.forEach((sg) => {
            const o = i * this.zPerSeq + s.zBase + sg.zOff;
            zi[s.layer][sg.target] = dzAll.slice(o, o + s.zLen);
          });
        tapes[i].backward((l, t) => zi[l][t], cpuGrads!);
        dz.push(zi);
      });
    }
    // CUMA: c = W1e·e_d + b1, so dW1e += dc ⊗ e_d and db1 += dc, per sequence
    if (dcAll) {
      cpuGrads = new Map();
      const D = this.adapter.spec.cuma!.semanticOnly ? 0 : this.adapter.spec.cuma!.condDim;
      for (const rs of this.routers) {
        const R = this.ad.layers[rs.layer].router!.R;
        if (D) cpuGrads.set(tensorName(rs.layer, 'router', 'W1e'), new Float64Array(R * D));
        cpuGrads.set(tensorName(rs.layer, 'router', 'b1'), new Float64Array(R));
      }
      batch.forEach((ex, i) => {
        let off = i * this.dcPerSeq;
        for (const rs of this.routers) {
          const R = this.ad.layers[rs.layer].router!.R;
          const db1 = cpuGrads!.get(tensorName(rs.layer, 'router', 'b1'))!;
          const dW1e = D ? cpuGrads!.get(tensorName(rs.layer, 'router', 'W1e'))! : null;
          for (let j = 0; j < R; j++) {
            const g = dcAll[off + j];
            db1[j] += g;
            if (dW1e && g !== 0) for (let k = 0; k < D; k++) dW1e[j * D + k] += g * ex.condition![k];
          }
          off += R;
        }
      });
    }
    return { loss, aux, tokens, gpuSq, dz, cpuGrads };
  }

  /**
   * One optimizer step on a micro-batch (gradients of the mean loss over all its answer tokens). A step
   * whose learning rate, loss or gradient norm is not finite throws NonFiniteStepError and changes
   * nothing (parameters, moments, step count).
   */
  async step(batch: TrainExample[]): Promise<StepResult> {
    return this.exclusive('step', async () => {
      const t = this.stepCount + 1;
      const lr = this.schedule(t);
      if (!Number.isFinite(lr) || lr < 0) throw new NonFiniteStepError(`step ${t} skipped, parameters unchanged: the learning rate is ${lr} (it must be finite and ≥ 0)`);
      const { loss, aux, tokens, gpuSq, cpuGrads } = await this.accumulate(batch);
      const hyperSq = cpuGrads ? sumSquares(cpuGrads.values()) : 0;
      const gradNorm = Math.sqrt(gpuSq + hyperSq);
      if (!Number.isFinite(loss) || !Number.isFinite(aux) || !Number.isFinite(gradNorm)) {
        throw new NonFiniteStepError(`step ${t} skipped, parameters unchanged: the loss is ${loss} and the gradient norm ${gradNorm} (NaN or infinite; check the inputs, condition embeddings and learning rate)`);
      }
      // GPU: the CPU gradients' Σ g² joins the partials so adamw.wgsl clips by the same global norm
      this.device.queue.writeBuffer(this.b.partials, this.hyperSlot * 4, new Float32Array([hyperSq]));
      for (const d of this.adamwOps) d.setStep(t, lr);
      this.model.kernels.run(this.adamwOps, 1);
      this.hyperOpt?.step(cpuGrads!, t, lr, clipFactor(gradNorm, this.maxNorm));
      this.stepCount = t;
      return { step: t, loss, aux, gradNorm, lr, tokens };
    });
  }

  /**
   * The loss a step on `examples` would see, forward only: the mean cross-entropy over their answer
   * tokens, plus for CUMA λ·(load balance summed over layers, mean over the sequences).
   */
  async loss(examples: TrainExample[]): Promise<number> {
    return this.exclusive('loss', async () => {
      if (examples.length === 0) throw new Error('loss needs at least one example');
      examples.forEach((ex, i) => this.check(ex, i));
      this.ensureLogs(examples.length);
      this.setLbScale(1 / examples.length);
      examples.forEach((ex, i) => {
        this.condition(ex, false);
        this.runSequence(ex, i, 1, false);
      });
      const [means, lbs] = await Promise.all([readF32(this.device, this.lossLog!, 0, examples.length), this.cuma ? readF32(this.device, this.lbLog!, 0, examples.length) : null]);
      const tokens = examples.reduce((a, ex) => a + ex.answerPositions.length, 0);
      const ce = examples.reduce((a, ex, i) => a + means[i] * ex.answerPositions.length, 0) / tokens;
      return ce + (lbs ? lbs.reduce((a, b) => a + b, 0) : 0);
    });
  }

  /**
   * The gradients a step on `batch` would apply, without applying them: the loss (cross-entropy, plus
   * CUMA's λ·load balance), every trained tensor's gradient by its adapter name (layers.{l}.{t}.A / .B,
   * layers.{l}.router.W1 / b1 / W2 / b2, hyper.*), and Zhyper's dz per sequence, dz[i][layer][target].
   * For tests and inspection.
   */
  async gradients(batch: TrainExample[]): Promise<{ loss: number; grads: Map<string, Float32Array>; dz: Record<string, Float32Array>[][] }> {
    return this.exclusive('gradients', async () => {
      const { loss, aux, dz, cpuGrads } = await this.accumulate(batch);
      const grads = new Map<string, Float32Array>();
      for (const s of this.slots) {
        const [dA, dB] = await Promise.all([readF32(this.device, s.dA, 0, s.nA), readF32(this.device, s.dB, 0, s.nB)]);
        for (const sg of s.segs) {
          grads.set(tensorName(s.layer, sg.target, 'A'), dA.slice(sg.aOff, sg.aOff + s.lora.EA * s.lora.r * s.K));
          grads.set(tensorName(s.layer, sg.target, 'B'), dB.slice(sg.bOff, sg.bOff + s.lora.E * sg.len * s.lora.r));
        }
      }
      for (const rs of this.routers) {
        const rt = this.ad.layers[rs.layer].router!;
        const [dW1h, dW2, db2] = await Promise.all([readF32(this.device, rs.dW1h, 0, rt.R * rt.H), readF32(this.device, rs.dW2, 0, rt.E * rt.R), readF32(this.device, rs.db2, 0, rt.E)]);
        const dW1e = cpuGrads!.get(tensorName(rs.layer, 'router', 'W1e'));
        grads.set(tensorName(rs.layer, 'router', 'W1'), joinW1(dW1h, dW1e ?? null, rt.R, rt.H));
        grads.set(tensorName(rs.layer, 'router', 'b1'), Float32Array.from(cpuGrads!.get(tensorName(rs.layer, 'router', 'b1'))!));
        grads.set(tensorName(rs.layer, 'router', 'W2'), dW2);
        grads.set(tensorName(rs.layer, 'router', 'b2'), db2);
      }
      if (this.zhyper) for (const [name, g] of cpuGrads ?? []) grads.set(name, Float32Array.from(g));
      return { loss: loss + aux, grads, dz };
    });
  }

  /**
   * Probabilities of each option token after each example's prompt (its ids up to the first answer
   * position), through the model's ordinary forward with the adapter as trained so far (Zhyper: under
   * the example's condition). answer: the index of the example's first target among the options (−1
   * when it is none of them).
   */
  async evaluate(examples: TrainExample[], optionTokenIds: number[]): Promise<{ probs: number[]; predicted: number; answer: number }[]> {
    return this.exclusive('evaluate', async () => {
      if (optionTokenIds.length === 0) throw new Error('evaluate needs at least one option token');
      const out: { probs: number[]; predicted: number; answer: number }[] = [];
      for (const [i, ex] of examples.entries()) {
        this.check(ex, i);
        if (this.zhyper) this.ad.setCondition(ex.condition!);
        if (this.cuma) this.ad.setCondition(this.adapter.spec.cuma!.semanticOnly ? null : ex.condition!);
        this.model.reset();
        const logits = await this.model.forward(ex.ids.slice(0, ex.answerPositions[0] + 1));
        const m = Math.max(...optionTokenIds.map((id) => logits[id]));
        const e = optionTokenIds.map((id) => Math.exp(logits[id] - m));
        const z = e.reduce((a, b) => a + b, 0);
        const probs = e.map((v) => v / z);
        out.push({ probs, predicted: probs.indexOf(Math.max(...probs)), answer: optionTokenIds.indexOf(ex.targets[0]) });
      }
      this.model.reset();
      return out;
    });
  }

  /**
   * Read the trained GPU tensors (A, B; CUMA's W1's h columns, W2, b2) back into the adapter's tensors,
   * with CUMA's CPU-trained W1e and b1 (the hypernetwork's are updated in place every step), so
   * saveAdapter / PEFT export write the trained values. Returns the adapter.
   */
  async syncAdapter(): Promise<Adapter> {
    return this.exclusive('syncAdapter', async () => {
      const put = (name: string, v: Float32Array) => this.adapter.tensors.get(name)!.data.set(v);
      for (const s of this.slots) {
        const [A, B] = await Promise.all([readF32(this.device, s.lora.A, 0, s.nA), readF32(this.device, s.lora.B, 0, s.nB)]);
        for (const sg of s.segs) {
          put(tensorName(s.layer, sg.target, 'A'), A.subarray(sg.aOff, sg.aOff + s.lora.EA * s.lora.r * s.K));
          put(tensorName(s.layer, sg.target, 'B'), B.subarray(sg.bOff, sg.bOff + s.lora.E * sg.len * s.lora.r));
        }
      }
      for (const rs of this.routers) {
        const rt = this.ad.layers[rs.layer].router!;
        const [W1h, W2, b2] = await Promise.all([readF32(this.device, rt.W1h, 0, rt.R * rt.H), readF32(this.device, rt.W2, 0, rt.E * rt.R), readF32(this.device, rt.b2, 0, rt.E)]);
        put(tensorName(rs.layer, 'router', 'W1'), joinW1(W1h, rt.W1e, rt.R, rt.H));
        put(tensorName(rs.layer, 'router', 'b1'), rt.b1);
        put(tensorName(rs.layer, 'router', 'W2'), W2);
        put(tensorName(rs.layer, 'router', 'b2'), b2);
      }
      return this.adapter;
    });
  }

  /** The trainer's buffers (and the adapter's z) hold one sequence at a time: public calls must not overlap. */
  private async exclusive<R>(what: string, f: () => Promise<R>): Promise<R> {
    if (this.busy) throw new Error(`Trainer.${what}() was called while another call was still running: await each call before the next`);
    this.busy = true;
    try {
      return await f();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Where a GPU-trained tensor lives: buffer, element offset, length. Names: layers.{l}.{t}.A or .B, and
   * CUMA's layers.{l}.router.W2, .b2 and .W1h (W1's h columns, [R, H]; its e_d columns and b1 are CPU's).
   */
  parameterLocation(name: string): { buffer: GPUBuffer; offset: number; length: number } {
    for (const s of this.slots)
      for (const sg of s.segs) {
        if (name === tensorName(s.layer, sg.target, 'A')) return { buffer: s.lora.A, offset: sg.aOff, length: s.lora.EA * s.lora.r * s.K };
        if (name === tensorName(s.layer, sg.target, 'B')) return { buffer: s.lora.B, offset: sg.bOff, length: s.lora.E * sg.len * s.lora.r };
      }
    for (const rs of this.routers) {
      const rt = this.ad.layers[rs.layer].router!;
      if (name === tensorName(rs.layer, 'router', 'W2')) return { buffer: rt.W2, offset: 0, length: rt.E * rt.R };
      if (name === tensorName(rs.layer, 'router', 'b2')) return { buffer: rt.b2, offset: 0, length: rt.E };
      if (name === tensorName(rs.layer, 'router', 'W1h')) return { buffer: rt.W1h, offset: 0, length: rt.R * rt.H };
    }
    throw new Error(`${name} is not a trained GPU tensor of this adapter`);
  }

  /** Free the trainer's buffers (the adapter's own stay with the model). */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.lossLog?.destroy();
    this.dzLog?.destroy();
    this.dcLog?.destroy();
    this.lbLog?.destroy();
  }
}

/** CUMA's W1 [R, H + D] from its h columns [R, H] and e_d columns [R, D] (absent: semantic-only, D = 0). */
function joinW1(W1h: ArrayLike<number>, W1e: ArrayLike<number> | null, R: number, H: number): Float32Array {
  const D = W1e ? W1e.length / R : 0;
  const out = new Float32Array(R * (H + D));
  for (let j = 0; j < R; j++) {
    for (let i = 0; i < H; i++) out[j * (H + D) + i] = W1h[j * H + i];
    for (let i = 0; i < D; i++) out[j * (H + D) + H + i] = W1e![j * D + i];
  }
  return out;
}
