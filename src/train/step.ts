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
import { writeStep, type Dispatch } from '../gpu/kernels';
import type { AdapterPath } from '../model/layer';
import { readF32, storage } from '../gpu/buffers';
import type { GpuAdapter } from '../adapters/gpu';
import { tensorName, type Adapter } from '../adapters/types';
import { TrainKernels, IGNORE, packTargets, sqNormSlots, type AdamwDispatch } from './kernels';
import { hypernetForward, zeroHyperGrads, type HyperGrads, type HypernetTape } from './hypernet-backward';
import { clipFactor, CpuAdamW, sumSquares, type CpuAdamWState, type LrSchedule } from './optim';
import { NonFiniteStepError, type StepResult, type TrainExample, type TrainOptions } from './api';
import { trainBuffers, type Acts, type BufferName, type RouterSlot, type Slot, type TrainDims } from './buffers';
import { head, layerBackward, layerForward, routerOps, type TrainGraph } from './graph';

export { KEEP_ACTIVATIONS_BYTES, NonFiniteStepError, type StepResult, type TrainExample, type TrainOptions } from './api';

/** A trainer's state at a step (saveState / restoreState). */
export interface TrainerState {
  step: number;
  /** the GPU tensors in the trainer's order: each trained group, its m, its v */
  gpu: Float32Array[];
  /** the CPU-trained parameters (Zhyper's hypernetwork, CUMA's W1e and b1) and their f64 moments */
  cpu: CpuAdamWState | null;
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
  private readonly routers: RouterSlot[];
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
  private readonly d: TrainDims;
  private readonly owned: GPUBuffer[] = [];
  private readonly slots: Slot[];
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
  /** what a checkpoint holds on the GPU: each trained tensor group, then its AdamW m and v */
  private readonly gpuState: { buf: GPUBuffer; n: number }[] = [];
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
    const spec = ad.adapter.spec;
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

    const g = trainBuffers(model, ad, { maxAns: this.maxAns, keepActivations: opts.keepActivations });
    ({ d: this.d, stepT: this.stepT, stepA: this.stepA, xs: this.xs, b: this.b, acts: this.acts, keepActivations: this.keepActivations, slots: this.slots, routers: this.routers, zPerSeq: this.zPerSeq, hyperSlot: this.hyperSlot, nPartials: this.nPartials } = g);
    this.owned.push(...g.owned);
    const { H } = this.d, buf = g.buf, grads = g.grads, partials = this.b.partials;
    const graph: TrainGraph = { ...g, model, ad, tk: this.tk, cuma: this.cuma, lbForm: this.lbForm, lbScaled: this.lbScaled, maxAns: this.maxAns, smoothing };

    // training runs T tokens at once, where 'split' is 'unfused' (layer.ts)
    const path: AdapterPath = opts.fused === false ? 'unfused' : 'fused';
    this.embedOps = model.weights.embed.chunks.map((ch) => model.kernels.embedding(this.stepT, { H, rowStart: ch.rowStart, rowCount: ch.rowCount, ids: this.b.ids, table: ch.buf, out: this.xs[0], wDtype: model.weights.embed.dtype }));
    const forward = this.xs.slice(1).map((x, l) => layerForward(graph, l, x, path));
    this.forwardOps = forward.map((f) => f.upToDown);
    this.downOps = forward.map((f) => f.down);
    this.recomputeOps = this.keepActivations ? [] : this.xs.slice(1).map((_, l) => layerForward(graph, l, this.acts[l].xmid, path).upToDown);
    this.backwardOps = this.xs.slice(1).map((_, l) => layerBackward(graph, l));
    this.lbForwardOps = this.xs.slice(1).map((_, l) => (this.cuma ? routerOps(graph, l, false) : []));
    [this.headForwardOps, this.ceOps, this.headBackwardOps] = head(graph);

    // sq_norm per gradient into its slots, AdamW per tensor
    let slot = 0;
    this.sqNormOps = grads.map((g) => {
      const d = this.tk.sqNorm({ n: g.n, outIndex: slot, x: g.grad, partials });
      slot += sqNormSlots(g.n);
      return d;
    });
    this.adamwOps = grads.map((g) => {
      const m = buf(g.n, 'adam.m'), v = buf(g.n, 'adam.v');
      this.gpuState.push({ buf: g.param, n: g.n }, { buf: m, n: g.n }, { buf: v, n: g.n });
      return this.tk.adamw({
        n: g.n, lr: 0, beta1: hyper.beta1, beta2: hyper.beta2, eps: hyper.eps, wd: hyper.wd, maxNorm: this.maxNorm,
        nPartials: this.nPartials, partials, param: g.param, grad: g.grad, m, v,
      });
    });
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

  /**
   * Everything a resumed run needs to go on exactly as if never stopped: the step count, every trained tensor
   * and its AdamW moments, on the GPU and on the CPU (train/checkpoint.ts writes it to a file).
   */
  async saveState(): Promise<TrainerState> {
    return this.exclusive('saveState', async () => ({
      step: this.stepCount,
      gpu: await Promise.all(this.gpuState.map((s) => readF32(this.device, s.buf, 0, s.n))),
      cpu: this.hyperOpt?.state() ?? null,
    }));
  }

  /** Put a saveState() back (same adapter spec, same backbone); the next step() is step state.step + 1. */
  restoreState(st: TrainerState): void {
    if (this.busy) throw new Error('Trainer.restoreState() was called while another call was still running');
    if (st.gpu.length !== this.gpuState.length || st.gpu.some((a, i) => a.length !== this.gpuState[i].n)) throw new Error("the checkpoint's trained tensors do not fit this adapter (another method, rank or model?)");
    if (!!st.cpu !== !!this.hyperOpt) throw new Error("the checkpoint's CPU-trained parameters do not fit this adapter");
    st.gpu.forEach((a, i) => this.device.queue.writeBuffer(this.gpuState[i].buf, 0, new Float32Array(a)));
    if (st.cpu) this.hyperOpt!.setState(st.cpu);
    this.stepCount = st.step;
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
