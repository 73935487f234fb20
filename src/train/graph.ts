// The dispatches of one training sequence, built once: each layer's forward (layer.ts, as inference builds
// it), its backward, CUMA's router backward, and the head on the answer rows with its cross-entropy.
import type { LlamaModel } from '../model/model';
import { LORA_MODE, type Dispatch } from '../gpu/kernels';
import { layerDispatches, layerPlan, plainLinear, type AdapterPath } from '../model/layer';
import type { GpuAdapter, Projection } from '../adapters/gpu';
import { TrainKernels, routerScratch } from './kernels';
import type { TrainBuffers } from './buffers';

/** What the builders read: the trainer's buffers, its model and adapter, and its loss settings. */
export interface TrainGraph extends TrainBuffers {
  model: LlamaModel;
  ad: GpuAdapter;
  tk: TrainKernels;
  cuma: boolean;
  lbForm: 'dense' | 'sparse';
  /** router_backward dispatches, whose Params carry lbScale (rewritten per batch): the builders add to it */
  lbScaled: Dispatch[];
  maxAns: number;
  smoothing: number;
}

/**
 * Layer l's forward (layer.ts, as inference builds it, with gate and up kept as two projections): x holds
 * x_l when it starts (the driver copies it in). `upToDown` ends with x = x_l + attention (xmid) and act
 * ready; `down` then adds the MLP's output (x_{l+1}). The recompute before the backward is upToDown on
 * acts.xmid.
 */
export function layerForward(g: TrainGraph, l: number, x: GPUBuffer, path: AdapterPath): { upToDown: Dispatch[]; down: Dispatch[] } {
  const { h1, h2, qkv, qkPre, kc, vc, att, gu, act } = g.acts[l];
  const b = { x, h1, h2, qkv, qkPre, kCache: kc, vCache: vc, att, act, gu, U: g.b.U, cosSin: g.b.cosSin };
  const d = layerDispatches(g.model.kernels, g.stepT, g.model.config, g.model.weights.layers[l], g.ad.layers[l], b, layerPlan({ prefill: true, path, training: true }));
  return { upToDown: [...d.attention, ...d.mlp], down: d.down };
}

/** The adapter's backward on one projection: dA, dB (dz) accumulate; its share of dX adds onto dX. */
export function loraBackward(g: TrainGraph, l: number, proj: Projection, o: { x: GPUBuffer; dY: GPUBuffer; ldDY: number; dyOff?: number; dX?: GPUBuffer }): Dispatch[] {
  const slot = g.slots.find((s) => s.layer === l && s.proj === proj);
  if (!slot) return [];
  const { lora } = slot;
  return slot.segs.flatMap((sg) =>
    g.tk.loraBackward(g.stepT, {
      K: slot.K, N: sg.len, r: lora.r, scale: lora.scale, mode: lora.mode, E: lora.E, EA: lora.EA,
      ldDY: o.ldDY, dyOff: (o.dyOff ?? 0) + sg.start, aOff: sg.aOff, bOff: sg.bOff, zOff: sg.zOff, accumulate: true,
      x: o.x, dY: o.dY, A: lora.A, B: lora.B, z: lora.mode !== LORA_MODE.plain ? lora.cond : undefined, ug: g.b.ug,
      dA: slot.dA, dB: slot.dB, dz: slot.dz ?? undefined, dgates: lora.mode === LORA_MODE.gatedExperts ? g.b.dgates : undefined, dX: o.dX,
    }),
  );
}

/**
 * CUMA, layer l: the router's backward from the dL/dgates its projections summed (backward), or with
 * dL/dgates = 0 for the load-balance share alone (forward-only runs); the share is summed into lbSeq.
 * With backward, also dW1h, dc, dW2, db2 (accumulated) and, above layer 0, W1hᵀ·dpre into dh.
 */
export function routerOps(g: TrainGraph, l: number, backward: boolean): Dispatch[] {
  const rt = g.ad.layers[l].router!, rs = g.routers.find((x) => x.layer === l)!;
  const { H } = g.d;
  const S = routerScratch(rt.R, rt.E), lbCol = 2 * rt.R + rt.E;
  const [rb, ...grads] = g.tk.routerBackward(
    g.stepT,
    { H, R: rt.R, E: rt.E, k: rt.k, gating: rt.gating, lbScale: 0, lbForm: g.lbForm, h: g.acts[l].h1, W1h: rt.W1h, c: rt.c, W2: rt.W2, b2: rt.b2, gates: rt.gates, dgates: g.b.dgates, out: g.b.routerOut },
    { dW1h: rs.dW1h, dc: rs.dc, dW2: rs.dW2, db2: rs.db2, accumulate: true },
  );
  g.lbScaled.push(rb);
  // Σ_t of the load-balance column: weight_grad's bias sum (its dW, Σ lb², goes to a junk buffer)
  const lb = g.tk.weightGrad(g.stepT, { N: 1, K: 1, ldDY: S, dyOff: lbCol, ldX: S, xOff: lbCol, accumulate: true, dY: g.b.routerOut, X: g.b.routerOut, dW: g.b.junk, db: g.b.lbSeq });
  if (!backward) return [rb, lb];
  const dh = l === 0 ? [] : [g.tk.linearBackwardInput(g.stepT, { N: rt.R, K: H, ldDY: S, dyOff: rt.R, accumulate: true, dY: g.b.routerOut, W: rt.W1h, dX: g.b.dh })];
  return [rb, lb, ...grads, ...dh];
}

/**
 * Layer l's backward, after its recompute: dx holds dL/dx_{l+1} and ends as dL/dx_l.
 *   x_{l+1} = xmid + down(SiLU(g)·u),  [g | u] = RMSNorm(xmid)·[W_gate | W_up]ᵀ
 *   xmid    = x_l + o(attention(RoPE(RMSNorm(x_l)·W_qkvᵀ)))
 * Both residual adds pass dx through unchanged; each branch adds its part on top (accumulate).
 */
export function layerBackward(g: TrainGraph, l: number): Dispatch[] {
  const tk = g.tk, s = g.stepT;
  const { H, D, I, nH, nKV, qDim, kvDim, qkvDim, eps } = g.d;
  const W = g.model.weights.layers[l];
  const { cosSin, dx, dh, dact, dgu, datt, dqkv, dK, dV, stats } = g.b;
  const { xmid, h1, h2, qkv, qkPre, kc, vc, att, gu, act } = g.acts[l];
  const mlp = [
    tk.linearBackwardInput(s, { N: H, K: I, dY: dx, W: W.Wdown, wDtype: g.model.weights.dtype, dX: dact }),
    ...loraBackward(g, l, 'down', { x: act, dY: dx, ldDY: H, dX: dact }),
    tk.siluGateBackward(s, { I, gu, dOut: dact, dgu }),
    tk.linearBackwardInput(s, { N: I, K: H, ldDY: 2 * I, dyOff: 0, dY: dgu, W: W.Wgate, wDtype: g.model.weights.dtype, dX: dh }),
    tk.linearBackwardInput(s, { N: I, K: H, ldDY: 2 * I, dyOff: I, accumulate: true, dY: dgu, W: W.Wup, wDtype: g.model.weights.dtype, dX: dh }),
    ...loraBackward(g, l, 'gate', { x: h2, dY: dgu, ldDY: 2 * I, dyOff: 0, dX: dh }),
    ...loraBackward(g, l, 'up', { x: h2, dY: dgu, ldDY: 2 * I, dyOff: I, dX: dh }),
    tk.rmsnormBackward(s, { dim: H, eps, accumulate: true, x: xmid, w: W.postNorm, dy: dh, dx }),
  ];
  // Below layer 0 are the frozen embeddings: its attention branch needs no input gradient, only the
  // adapter's parameter gradients.
  const first = l === 0;
  const attention = [
    tk.linearBackwardInput(s, { N: H, K: qDim, dY: dx, W: W.Wo, wDtype: g.model.weights.dtype, dX: datt }),
    ...loraBackward(g, l, 'o', { x: att, dY: dx, ldDY: H, dX: datt }),
    ...tk.attentionBackward(s, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: qkvDim, qkv, kCache: kc, vCache: vc, dO: datt, stats, dqkv, dK, dV, past: 0 }),
    tk.kvAppendBackward(s, { kvDim, ldQKV: qkvDim, kOff: qDim, vOff: qDim + kvDim, dK, dV, dqkv }),
    tk.ropeBackward(s, { headDim: D, nHeads: nH + nKV, ldQKV: qkvDim, cosSin, dqkv, ...(W.qkNorm ? { normW: W.qkNorm, nQHeads: nH, eps, pre: qkPre } : {}) }),
    ...(first ? [] : [tk.linearBackwardInput(s, { N: qkvDim, K: H, dY: dqkv, W: W.Wqkv, wDtype: g.model.weights.dtype, dX: dh })]),
    ...loraBackward(g, l, 'qkv', { x: h1, dY: dqkv, ldDY: qkvDim, dX: first ? undefined : dh }),
    ...(g.cuma ? routerOps(g, l, true) : []),
    ...(first ? [] : [tk.rmsnormBackward(s, { dim: H, eps, accumulate: true, x: g.xs[l], w: W.inputNorm, dy: dh, dx })]),
  ];
  return [...mlp, ...attention];
}

/**
 * The head on the answer rows: gather x_L's answer rows (the embedding kernel as a row gather), final
 * RMSNorm, lm_head per row chunk, cross-entropy (logits become dlogits in place); then back through
 * lm_head and the norm, and scatter the rows' gradients into dx (a gather by the inverse map).
 */
export function head(g: TrainGraph): [Dispatch[], Dispatch[], Dispatch[]] {
  const k = g.model.kernels, tk = g.tk, a = g.stepA;
  const { H, V, eps, Tm } = g.d;
  const w = g.model.weights;
  const { ansRows, rowOf, targets, xa, ha, logits, loss, dha, dxa, dx } = g.b;
  const chunks = w.lmHead.chunks;
  const forward = [
    k.embedding(a, { H, rowStart: 0, rowCount: Tm, ids: ansRows, table: g.xs[g.d.L], out: xa }),
    k.rmsnorm(a, { dim: H, eps, x: xa, w: w.finalNorm, y: ha }),
    ...chunks.map((ch) => plainLinear(k, a, { N: ch.rowCount, K: H, ldY: V, nOff: ch.rowStart, x: ha, W: ch.buf, wDtype: w.lmHead.dtype, y: logits }, true)),
  ];
  // rows = maxAns: rows past this sequence's answers are IGNORE (loss 0, gradient 0); count and
  // gradScale are rewritten per sequence (setLossScale)
  const ce = tk.crossEntropy({ V, rows: g.maxAns, count: 1, eps: g.smoothing, targets, logits, loss });
  const backward = [
    ...chunks.map((ch, i) => tk.linearBackwardInput(a, { N: ch.rowCount, K: H, ldDY: V, dyOff: ch.rowStart, accumulate: i > 0, dY: logits, W: ch.buf, wDtype: w.lmHead.dtype, dX: dha })),
    tk.rmsnormBackward(a, { dim: H, eps, x: xa, w: w.finalNorm, dy: dha, dx: dxa }),
    k.embedding(g.stepT, { H, rowStart: 0, rowCount: g.maxAns, ids: rowOf, table: dxa, out: dx }),
  ];
  return [forward, ce, backward];
}
