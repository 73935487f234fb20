// The decoder, top to bottom (Llama / Qwen2 / Qwen3 share it; see config.ts for what differs).
//
//   x = embed[ids]
//   for each layer:
//     h    = RMSNorm(x) · w_in
//     q,k,v = h·Wqkvᵀ (+ b)                         one fused projection
//     q,k  = RoPE(q), RoPE(k)   (Qwen3: per-head RMSNorm first)
//     cache[pos0 : pos0+T] = k, v
//     x   += CausalGQA(q, K_cache, V_cache)·Woᵀ     residual fused into the projection
//     h    = RMSNorm(x) · w_post
//     x   += (SiLU(h·Wgateᵀ) ⊙ (h·Wupᵀ))·Wdownᵀ    gate/up fused, residual fused
//   logits = RMSNorm(x[last]) · lm_headᵀ
//
// Every dispatch of a forward is built once at load time and encoded into one compute pass;
// a forward writes only the Step uniform {T, pos0} and the token ids, then submits.
import type { ModelConfig } from './config';
import { ropeInvFreq, ropeTable } from './config';
import type { Weights } from './weights';
import { Kernels, stepBuffer, writeStep, type Dispatch, type LoraBinding, type WeightDtype } from '../gpu/kernels';
import { layerDispatches, layerPlan, plainLinear, type AdapterPath } from './layer';
import type { GpuAdapter } from '../adapters/gpu';
import { storage } from '../gpu/buffers';

export interface ModelOptions {
  /** KV cache length; prompts plus generations longer than this stop with 'context_full' */
  maxContext?: number;
  /** tokens per prefill chunk (activation buffers are sized for this) */
  maxChunk?: number;
  /** cap on one storage binding below the adapter's own (tests of the split/refuse paths) */
  maxBindingBytes?: number;
  /** how the weight matrices are stored on the GPU: f16 (the default: half the memory and bandwidth), f32, or
   *  group-wise 8- or 4-bit integers (q8, q4: src/model/quant.ts) */
  weights?: WeightDtype;
}

export type { AdapterPath } from './layer';

/** the largest k sampling's top-k runs on the GPU (larger: the logits come back and the CPU selects) */
export const TOPK_GPU_MAX = 256;
/** the most top-p candidates the GPU hands back (nucleus.wgsl; a larger nucleus: the logits come back) */
export const NUCLEUS_GPU_MAX = 1024;

/** a sampled decode step's top-k candidates, and the token the GPU drew from them (draw.wgsl) */
export interface SampledStep {
  idx: Uint32Array;
  vals: Float32Array;
  drawn: number;
}

export class LlamaModel {
  readonly maxContext: number;
  readonly maxChunk: number;
  /** tokens already in the KV cache */
  pos = 0;
  private readonly step: GPUBuffer;
  private readonly ids: GPUBuffer;
  private readonly logits: GPUBuffer;
  private readonly staging: GPUBuffer;
  /** greedy decoding: the argmax of the logits, on the GPU, and its 16-byte staging */
  private readonly argmaxOut: GPUBuffer;
  private readonly argmaxStaging: GPUBuffer;
  private readonly argmaxOp: Dispatch;
  /** sampling's top-k on the GPU: the candidates (index, logit bits) of the last step, and one dispatch per k used */
  private readonly topkOut: GPUBuffer;
  private readonly nucleusOut: GPUBuffer;
  private readonly nucleusStaging: GPUBuffer;
  private nucleusOp: Dispatch | null = null;
  private readonly topkOps = new Map<number, Dispatch>();
  /** sampledStep's token drawn on the GPU (draw.wgsl), which a queued step reads as its input, and its dispatches */
  private readonly drawOut: GPUBuffer;
  private readonly drawOps = new Map<number, Dispatch>();
  /** the queued steps' (greedyStep, sampledStep) two read-back slots, which one is next, and whether each is being read */
  private readonly queuedStaging: GPUBuffer[];
  private queuedSlot = 0;
  private readonly queuedBusy = [false, false];
  /** prefill dispatches, one group per layer: each group is its own submit, so a long prompt never
   *  becomes one multi-second GPU job (which drivers, Windows' TDR among them, kill as a hang) */
  private prefillGroups: Dispatch[][];
  private decodeOps: Dispatch[];
  private readonly bufs: { x: GPUBuffer; h: GPUBuffer; qkv: GPUBuffer; att: GPUBuffer; mlp: GPUBuffer; part: GPUBuffer; cosSin: GPUBuffer; kCache: GPUBuffer[]; vCache: GPUBuffer[] };
  private readonly dims: { H: number; D: number; I: number; qDim: number; kvDim: number; qkvDim: number };
  /** the adapted dispatches, whose scale setStrength rewrites */
  private adapted: { d: Dispatch; lora: LoraBinding }[] = [];
  /** scratch for the unfused adapter path (U = A·x) and for adapted gate/up projections */
  private U: GPUBuffer | null = null;
  private gu: GPUBuffer | null = null;
  adapter: GpuAdapter | null = null;
  strength = 1;
  private readonly owned: GPUBuffer[] = [];

  constructor(
    private readonly k: Kernels,
    readonly config: ModelConfig,
    readonly weights: Weights,
    opts: ModelOptions = {},
  ) {
    const c = config;
    const dev = k.device;
    this.maxContext = Math.min(opts.maxContext ?? 2048, c.maxPositionEmbeddings);
    this.maxChunk = Math.min(opts.maxChunk ?? 256, this.maxContext);
    const H = c.hiddenSize, D = c.headDim, I = c.intermediateSize;
    const qDim = c.numHeads * D, kvDim = c.numKVHeads * D, qkvDim = qDim + 2 * kvDim;
    const Tm = this.maxChunk;
    const buf = (n: number, label: string) => {
      const b = storage(dev, n, label);
      this.owned.push(b);
      return b;
    };
    this.step = stepBuffer(dev);
    this.ids = buf(Tm, 'ids');
    const x = buf(Tm * H, 'x'); // residual stream
    const h = buf(Tm * H, 'h'); // normed
    const qkv = buf(Tm * qkvDim, 'qkv');
    const att = buf(Tm * qDim, 'attn');
    const mlp = buf(Tm * I, 'mlp');
    const part = buf(c.numHeads * H, 'attn.part'); // decode: each head's share of Wo·attention
    this.logits = buf(c.vocabSize, 'logits');
    this.staging = dev.createBuffer({ label: 'logits-staging', size: c.vocabSize * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.argmaxOut = buf(4, 'argmax');
    this.argmaxStaging = dev.createBuffer({ label: 'argmax-staging', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.argmaxOp = k.argmax({ n: c.vocabSize, x: this.logits, out: this.argmaxOut });
    // a slot holds a step's token (4 bytes, then padding) and, for a sampled step, its top-k candidates from byte 16
    this.queuedStaging = [0, 1].map((i) => dev.createBuffer({ label: `queued-staging-${i}`, size: 16 + 8 * TOPK_GPU_MAX, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    this.drawOut = buf(4, 'draw');
    this.topkOut = buf(2 * TOPK_GPU_MAX, 'topk');
    this.nucleusOut = buf(4 + 2 * NUCLEUS_GPU_MAX, 'nucleus');
    this.nucleusStaging = dev.createBuffer({ label: 'nucleus-staging', size: 4 * (4 + 2 * NUCLEUS_GPU_MAX), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const cosSin = storage(dev, ropeTable(ropeInvFreq(c), this.maxContext), 'rope.cos_sin');
    this.owned.push(cosSin);
    const kCache = weights.layers.map((_, i) => buf(this.maxContext * kvDim, `k_cache.${i}`));
    const vCache = weights.layers.map((_, i) => buf(this.maxContext * kvDim, `v_cache.${i}`));

    this.bufs = { x, h, qkv, att, mlp, part, cosSin, kCache, vCache };
    this.dims = { H, D, I, qDim, kvDim, qkvDim };
    [this.prefillGroups, this.decodeOps] = this.buildAll(null);
  }

  /**
   * Build the dispatches of a forward: prefill (one group per layer) and decode, each layer by
   * layerDispatches (layer.ts), which also chooses each kernel variant for the adapter path.
   */
  private buildAll(ad: GpuAdapter | null, path: AdapterPath = this.k.variants.adapterPath): [Dispatch[][], Dispatch[]] {
    const k = this.k, c = this.config, weights = this.weights, s = this.step;
    const { x, h, qkv, att, mlp, part, cosSin, kCache, vCache } = this.bufs;
    const { H } = this.dims;
    this.adapted = [];
    if (ad) {
      const rows = ad.maxRows;
      if (rows > 0) this.U = this.scratch(this.U, this.maxChunk * Math.max(rows, 1), 'lora.U');
      if (ad.adapter.spec.targets.some((t) => t === 'gate' || t === 'up')) this.gu = this.scratch(this.gu, this.maxChunk * 2 * c.intermediateSize, 'mlp.gate_up');
    }
    const build = (prefill: boolean): Dispatch[][] => {
      const plan = layerPlan({ prefill, path });
      const onAdapted = (d: Dispatch, lora: LoraBinding) => void this.adapted.push({ d, lora });
      const embed = weights.embed.chunks.map((ch) => k.embedding(s, { H, rowStart: ch.rowStart, rowCount: ch.rowCount, ids: this.ids, table: ch.buf, out: x, wDtype: weights.embed.dtype }));
      const groups: Dispatch[][] = weights.layers.map((L, i) => {
        const b = { x, h1: h, h2: h, qkv, kCache: kCache[i], vCache: vCache[i], att, act: mlp, gu: this.gu, U: this.U, cosSin, part };
        const { attention, mlp: up, down } = layerDispatches(k, s, c, L, ad?.layers[i], b, plan, onAdapted);
        return [...attention, ...up, ...down];
      });
      groups[0].unshift(...embed);
      const last = groups[groups.length - 1];
      last.push(k.rmsnorm(s, { dim: H, eps: c.rmsNormEps, lastRowOnly: true, x, w: weights.finalNorm, y: h }));
      for (const ch of weights.lmHead.chunks) last.push(plainLinear(k, s, { N: ch.rowCount, K: H, ldY: c.vocabSize, nOff: ch.rowStart, x: h, W: ch.buf, wDtype: weights.lmHead.dtype, y: this.logits }, false));
      return groups;
    };
    return [build(true), build(false).flat()];
  }

  private scratch(old: GPUBuffer | null, n: number, label: string): GPUBuffer {
    if (old && old.size >= n * 4) return old;
    old?.destroy();
    const b = storage(this.k.device, n, label);
    return b;
  }

  /**
   * Put an adapter on the model (null takes it off). The KV cache is kept: callers that change the
   * adapter or its condition mid-conversation should reset() first, since cached k, v were made without it.
   */
  attach(ad: GpuAdapter | null, opts: { path?: AdapterPath } = {}): void {
    [this.prefillGroups, this.decodeOps] = this.buildAll(ad, opts.path ?? this.k.variants.adapterPath);
    this.adapter = ad;
    this.strength = 1;
  }

  /** Multiply the adapter's update by `m` (0 = backbone, 1 = as trained, 2 = doubled). */
  setStrength(m: number): void {
    this.strength = m;
    for (const { d, lora } of this.adapted) this.k.setParam(d, 'scale', lora.scale * m);
  }

  /** Forget the KV cache (a new conversation). */
  reset(): void {
    this.pos = 0;
  }

  /**
   * Run `ids` at positions pos..pos+n-1 (in chunks of maxChunk), append them to the KV cache,
   * and return the logits at the last position.
   */
  async forward(ids: number[]): Promise<Float32Array> {
    this.run(ids, (enc) => enc.copyBufferToBuffer(this.logits, 0, this.staging, 0, this.staging.size));
    await this.staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return out;
  }

  /**
   * forward() for greedy decoding: the argmax of the last position's logits, found on the GPU (argmax.wgsl), so a
   * step reads back 4 bytes instead of vocabSize·4.
   */
  async forwardArgmax(ids: number[]): Promise<number> {
    this.run(ids, (enc) => {
      this.k.encode(enc, [this.argmaxOp], 1);
      enc.copyBufferToBuffer(this.argmaxOut, 0, this.argmaxStaging, 0, 16);
    });
    await this.argmaxStaging.mapAsync(GPUMapMode.READ);
    const id = new Uint32Array(this.argmaxStaging.getMappedRange())[0];
    this.argmaxStaging.unmap();
    return id;
  }

  /**
   * Greedy decoding with the next step queued before this one's id is read: `greedyStep(ids)` submits the forward of
   * ids and its argmax at once and returns the promise of that argmax; `greedyStep(null)` submits one step whose
   * token is the last step's argmax, copied on the GPU, so it can be queued before that argmax is known. The GPU then
   * never idles through a read-back's round trip.
   */
  async greedyStep(ids: number[] | null): Promise<number> {
    const bytes = await this.queuedStep(ids, this.argmaxOut, (enc, staging) => {
      this.k.encode(enc, [this.argmaxOp], 1);
      enc.copyBufferToBuffer(this.argmaxOut, 0, staging, 0, 4);
    }, 4);
    return new Uint32Array(bytes)[0];
  }

  /**
   * Sampled decoding queued the same way: the forward of ids, its top-k candidates (topk.wgsl) and a token drawn from
   * them on the GPU with this step's uniform u (draw.wgsl). `sampledStep(null, …)` runs one step on the token the last
   * step drew on the GPU. Returns the candidates (the CPU draws its own token from them) and the GPU's token `drawn`:
   * the input of a step queued after this one. 1 ≤ k ≤ TOPK_GPU_MAX.
   */
  async sampledStep(ids: number[] | null, o: { k: number; temperature: number; topP: number; u: number }): Promise<SampledStep> {
    const kk = Math.min(o.k, this.config.vocabSize);
    if (!(kk >= 1 && kk <= TOPK_GPU_MAX)) throw new Error(`top-k on the GPU takes 1 ≤ k ≤ ${TOPK_GPU_MAX}, got ${o.k}`);
    const topk = this.topkOp(kk);
    let draw = this.drawOps.get(kk);
    if (!draw) this.drawOps.set(kk, (draw = this.k.draw({ k: kk, invT: 1, topP: 1, u: 0, pairs: this.topkOut, out: this.drawOut })));
    // written on the queue, so they reach this step's draw and not one queued before it
    this.k.setParam(draw, 'invT', 1 / o.temperature);
    this.k.setParam(draw, 'topP', o.topP);
    this.k.setParam(draw, 'u', o.u);
    const bytes = await this.queuedStep(ids, this.drawOut, (enc, staging) => {
      this.k.encode(enc, [topk, draw], 1);
      enc.copyBufferToBuffer(this.drawOut, 0, staging, 0, 4);
      enc.copyBufferToBuffer(this.topkOut, 0, staging, 16, 8 * kk);
    }, 16 + 8 * kk);
    return { ...this.candidates(new Uint32Array(bytes, 16, 2 * kk)), drawn: new Uint32Array(bytes, 0, 1)[0] };
  }

  /**
   * One decode step submitted now, its read-back awaited later: with ids, their forward; with null, one token whose id
   * `source` holds on the GPU (the last step's argmax or draw). `readBack` encodes what the step reads back into its
   * slot; two slots take turns, so a caller keeps at most two steps in flight.
   */
  private queuedStep(ids: number[] | null, source: GPUBuffer, readBack: (enc: GPUCommandEncoder, staging: GPUBuffer) => void, bytes: number): Promise<ArrayBuffer> {
    const s = this.queuedSlot++ % 2;
    if (this.queuedBusy[s]) throw new Error('a third decode step was queued before the first one was read');
    const staging = this.queuedStaging[s];
    if (ids) this.run(ids, (enc) => readBack(enc, staging));
    else {
      if (this.pos + 1 > this.maxContext) throw new Error(`context full: ${this.pos} + 1 tokens > ${this.maxContext}`);
      const dev = this.k.device;
      writeStep(dev, this.step, 1, this.pos);
      const enc = dev.createCommandEncoder();
      enc.copyBufferToBuffer(source, 0, this.ids, 0, 4);
      this.k.encode(enc, this.decodeOps, 1);
      readBack(enc, staging);
      dev.queue.submit([enc.finish()]);
      this.pos += 1;
    }
    this.queuedBusy[s] = true;
    return staging.mapAsync(GPUMapMode.READ, 0, bytes).then(
      () => {
        const v = staging.getMappedRange(0, bytes).slice(0);
        staging.unmap();
        this.queuedBusy[s] = false;
        return v;
      },
      (e: unknown) => {
        this.queuedBusy[s] = false;
        throw e;
      },
    );
  }

  private topkOp(kk: number): Dispatch {
    let op = this.topkOps.get(kk);
    if (!op) this.topkOps.set(kk, (op = this.k.topk({ n: this.config.vocabSize, k: kk, x: this.logits, out: this.topkOut })));
    return op;
  }

  /** top-k's (index, logit bits) pairs as the CPU sampler takes them, refusing a non-finite forward by name */
  private candidates(pairs: Uint32Array): { idx: Uint32Array; vals: Float32Array } {
    const kk = pairs.length / 2;
    const idx = new Uint32Array(kk), vals = new Float32Array(kk);
    const bits = new Float32Array(pairs.buffer, pairs.byteOffset, pairs.length);
    for (let j = 0; j < kk; j++) {
      idx[j] = pairs[2 * j];
      vals[j] = bits[2 * j + 1];
      if (idx[j] >= this.config.vocabSize || !Number.isFinite(vals[j])) throw new Error(`the logits hold NaN or ±inf (top-k candidate ${j}): the forward is not finite`);
    }
    return { idx, vals };
  }

  /**
   * Forward `ids` and return top-p's candidates at the last position (nucleus.wgsl: a top set by value holding at
   * least topP of the mass at the temperature, unordered) with Z, the whole vocabulary's mass relative to the largest
   * logit; null where the nucleus is larger than NUCLEUS_GPU_MAX (then readLogits() gives the logits of this step).
   * Reads back 16 + 8·count bytes.
   */
  async forwardNucleus(ids: number[], temperature: number, topP: number): Promise<{ idx: Uint32Array; vals: Float32Array; Z: number } | null> {
    if (!(temperature > 0 && topP > 0 && topP < 1)) throw new Error(`top-p on the GPU takes temperature > 0 and 0 < top-p < 1, got ${temperature}, ${topP}`);
    const op = (this.nucleusOp ??= this.k.nucleus({ n: this.config.vocabSize, cap: NUCLEUS_GPU_MAX, invT: 1, topP: 0.5, x: this.logits, out: this.nucleusOut }));
    this.k.setParam(op, 'invT', 1 / temperature);
    this.k.setParam(op, 'topP', topP);
    this.run(ids, (enc) => {
      this.k.encode(enc, [op], 1);
      enc.copyBufferToBuffer(this.nucleusOut, 0, this.nucleusStaging, 0, this.nucleusStaging.size);
    });
    await this.nucleusStaging.mapAsync(GPUMapMode.READ);
    try {
      // only the header and the candidates are copied out of the mapping
      const head = new Uint32Array(this.nucleusStaging.getMappedRange(0, 16).slice(0));
      const n = head[0];
      if (n > NUCLEUS_GPU_MAX) return null;
      const pairs = new Uint32Array(this.nucleusStaging.getMappedRange(16, 8 * Math.max(1, n)).slice(0));
      const bits = new Float32Array(pairs.buffer);
      const idx = new Uint32Array(n), vals = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        idx[j] = pairs[2 * j];
        vals[j] = bits[2 * j + 1];
      }
      return { idx, vals, Z: new Float32Array(head.buffer)[2] };
    } finally {
      this.nucleusStaging.unmap();
    }
  }

  /** The last position's logits of the step already run (after forwardNucleus gave null): nothing is recomputed. */
  async readLogits(): Promise<Float32Array> {
    const enc = this.k.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.logits, 0, this.staging, 0, this.staging.size);
    this.k.device.queue.submit([enc.finish()]);
    await this.staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return out;
  }

  /** Submit the forward of `ids` in chunks; `last` adds to the final submit what reads the logits back. */
  private run(ids: number[], last: (enc: GPUCommandEncoder) => void): void {
    if (ids.length === 0) throw new Error('forward needs at least one token');
    if (this.pos + ids.length > this.maxContext) {
      throw new Error(`context full: ${this.pos} + ${ids.length} tokens > ${this.maxContext}`);
    }
    const dev = this.k.device;
    for (let i = 0; i < ids.length; i += this.maxChunk) {
      const chunk = ids.slice(i, i + this.maxChunk);
      const T = chunk.length;
      dev.queue.writeBuffer(this.ids, 0, new Uint32Array(chunk));
      writeStep(dev, this.step, T, this.pos);
      const groups = T === 1 ? [this.decodeOps] : this.prefillGroups;
      groups.forEach((ops, g) => {
        const enc = dev.createCommandEncoder();
        this.k.encode(enc, ops, T);
        if (g === groups.length - 1 && i + this.maxChunk >= ids.length) last(enc);
        dev.queue.submit([enc.finish()]);
      });
      this.pos += T;
    }
  }

  /** The kernels this model's dispatches are built with (training builds its own dispatches on them). */
  get kernels(): Kernels {
    return this.k;
  }

  /** Number of dispatches per decoded token (shown by the benchmark). */
  get decodeDispatches(): number {
    return this.decodeOps.length;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.U?.destroy();
    this.gu?.destroy();
    this.staging.destroy();
    this.argmaxStaging.destroy();
    this.nucleusStaging.destroy();
    for (const b of this.queuedStaging) b.destroy();
    this.step.destroy();
    const w = this.weights;
    const bufs = new Set<GPUBuffer>();
    for (const ch of [...w.embed.chunks, ...w.lmHead.chunks]) bufs.add(ch.buf);
    for (const L of w.layers) for (const b of Object.values(L)) if (b && typeof b === 'object') bufs.add(b);
    bufs.add(w.finalNorm);
    for (const b of bufs) b.destroy();
  }
}
