// npm run bench:kernels: only the kernel variants at SmolLM2-135M's shapes (fast; no tfjs, no models): the linear
// kernels' weight layouts, and attention per (token, head) against tiled blocks of tokens, forward and backward.
import { acquireNodeGpu } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { Kernels, stepBuffer, writeStep, type Dispatch } from '../src/gpu/kernels';
import { TrainKernels } from '../src/train/kernels';
import { storage } from '../src/gpu/buffers';
import { SMOL, lcg } from './core';

const gpu = await acquireNodeGpu();
const dev = gpu.device;
const k = new Kernels(dev, loadShaderLibrary());
const step = stepBuffer(dev);
const time = async (op: Dispatch, T: number) => {
  k.run([op], T);
  await dev.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) k.run([op], T);
  await dev.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / 3000;
};
const rows: Record<string, string | number>[] = [];
for (const [N, K] of [[SMOL.hidden + 2 * SMOL.kvHeads * SMOL.headDim, SMOL.hidden], [SMOL.intermediate, SMOL.hidden], [SMOL.hidden, SMOL.intermediate], [SMOL.vocab, SMOL.hidden]]) {
  for (const T of [1, 64]) {
    if (N === SMOL.vocab && T > 1) continue;
    const X = storage(dev, lcg(T * K, 1, 1)), W = storage(dev, lcg(N * K, 0.05, 2)), Y = storage(dev, T * N);
    writeStep(dev, step, T, 0);
    const o = { N, K, x: X, W, y: Y };
    const v = T === 1 ? { rows: k.matvec(o), transposed: k.matvecT(o), vec4: k.matvecVec4(o) } : { rows: k.matmul(step, o), transposed: k.matmulT(step, o), vec4: k.matmulVec4(step, o) };
    const row: Record<string, string | number> = { shape: `T=${T} N=${N} K=${K}` };
    for (const [name, op] of Object.entries(v)) row[`${name} GFLOP/s`] = +((2 * T * N * K) / (await time(op, T)) / 1e9).toFixed(3);
    rows.push(row);
    X.destroy(); W.destroy(); Y.destroy();
  }
}
console.table(rows);

// attention at SmolLM2's heads (9 query, 3 kv, head_dim 64) for T tokens with no past: the causal
// score count T(T+1)/2 per head, 4 FLOPs per score and dim (q·k and p·v) forward, 8 backward
const tk = new TrainKernels(k);
const att: Record<string, string | number>[] = [];
for (const T of [32, 100, 256]) {
  const D = SMOL.headDim, nH = SMOL.heads, nKV = SMOL.kvHeads, ld = (nH + 2 * nKV) * D;
  const qkv = storage(dev, lcg(T * ld, 1, 3)), kc = storage(dev, lcg(T * nKV * D, 1, 4)), vc = storage(dev, lcg(T * nKV * D, 1, 5));
  const out = storage(dev, T * nH * D), dO = storage(dev, lcg(T * nH * D, 1, 6)), stats = storage(dev, T * nH * 2);
  const dqkv = storage(dev, T * ld), dK = storage(dev, T * nKV * D), dV = storage(dev, T * nKV * D);
  writeStep(dev, step, T, 0);
  const o = { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv, kCache: kc, vCache: vc };
  const flops = (per: number) => (per * nH * D * (T * (T + 1))) / 2;
  const timeAll = async (ops: Dispatch[]) => {
    let ms = 0;
    for (const op of ops) ms += await time(op, T);
    return ms;
  };
  const row: Record<string, string | number> = { shape: `attention T=${T} heads ${nH}/${nKV} D=${D}` };
  const fwd = { 'per-token': await time(k.attention(step, { ...o, out }), T), tiled: await time(k.attentionPrefill(step, { ...o, out }), T) };
  const bwd = {
    'per-token': await timeAll(tk.attentionBackward(step, { ...o, dO, stats, dqkv, dK, dV, tiled: false })),
    tiled: await timeAll(tk.attentionBackward(step, { ...o, dO, stats, dqkv, dK, dV, tiled: true })),
  };
  for (const [name, s] of Object.entries(fwd)) row[`fwd ${name} GFLOP/s`] = +(flops(4) / s / 1e9).toFixed(3);
  row['fwd tiled ÷ per-token'] = +(fwd['per-token'] / fwd.tiled).toFixed(2);
  for (const [name, s] of Object.entries(bwd)) row[`bwd ${name} GFLOP/s`] = +(flops(8) / s / 1e9).toFixed(3);
  row['bwd tiled ÷ per-token'] = +(bwd['per-token'] / bwd.tiled).toFixed(2);
  att.push(row);
  for (const b of [qkv, kc, vc, out, dO, stats, dqkv, dK, dV]) b.destroy();
}
console.table(att);
process.exit(0);
