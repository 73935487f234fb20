// npm run bench:kernels: only the linear-kernel variants at SmolLM2-135M's shapes (fast; no tfjs, no models).
import { acquireNodeGpu } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { Kernels, stepBuffer, writeStep, type Dispatch } from '../src/gpu/kernels';
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
process.exit(0);
