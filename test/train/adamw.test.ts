// sq_norm and adamw: the global gradient norm from per-workgroup partials, and AdamW steps (with and
// without global-norm clipping) on a toy quadratic, against the f64 reference step by step.
import { describe, it, expect, beforeAll } from 'vitest';
import * as R from '../reference/kernels';
import { sqNormSlots } from '../../src/train/kernels';
import { relErr, rand64, f32, gpuTrain } from './helpers';

let g: Awaited<ReturnType<typeof gpuTrain>>;
beforeAll(async () => {
  g = await gpuTrain();
});

describe('sq_norm', () => {
  it('partial sums of two tensors in one slot buffer add up to Σx² of each', async () => {
    const xs = [rand64(1, 1), rand64(255, 2), rand64(70_001, 3, 3)];
    const slots = xs.map((x) => sqNormSlots(x.length));
    const partials = g.buf(slots.reduce((a, b) => a + b, 0));
    let off = 0;
    const ops = xs.map((x, i) => {
      const d = g.tk.sqNorm({ n: x.length, outIndex: off, x: g.buf(f32(x)), partials });
      off += slots[i];
      return d;
    });
    g.k.run(ops, 1);
    const got = await g.read(partials, off);
    off = 0;
    xs.forEach((x, i) => {
      const sum = got.subarray(off, off + slots[i]).reduce((a, b) => a + b, 0);
      off += slots[i];
      expect(sum).toBeCloseTo(f32(x).reduce((a, v) => a + v * v, 0), 0);
      expect(Math.abs(sum / R.clipScaleRef([f32(x)], 1).norm ** 2 - 1)).toBeLessThan(1e-5);
    });
    expect(slots).toEqual([1, 1, 64]);
  });
});

describe('adamw on a toy quadratic L = ½ Σ a·(p − c)²', () => {
  for (const [maxNorm, wd] of [[0, 0], [0, 0.1], [0.5, 0.01]]) {
    it(`${maxNorm ? `clip to global norm ${maxNorm}` : 'no clipping'}, weight decay ${wd}: lowers the loss and matches the f64 reference`, async () => {
      // two parameter tensors (clipping is over both), odd sizes
      const sizes = [1000, 37];
      const a = sizes.map((n, i) => rand64(n, 10 + i).map((v) => 1 + Math.abs(v)));
      const c = sizes.map((n, i) => rand64(n, 20 + i));
      const p0 = sizes.map((n, i) => rand64(n, 30 + i, 2));
      const h = { lr: 0.02, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd };
      const grad = (p: ArrayLike<number>, i: number) => Float64Array.from(p, (v, j) => a[i][j] * (v - c[i][j]));
      const loss = (ps: ArrayLike<number>[]) => {
        let s = 0;
        ps.forEach((p, i) => {
          for (let j = 0; j < p.length; j++) s += 0.5 * a[i][j] * (p[j] - c[i][j]) ** 2;
        });
        return s;
      };

      const slots = sizes.map(sqNormSlots);
      const nPartials = slots[0] + slots[1];
      const partials = g.buf(nPartials);
      const bufs = sizes.map((n, i) => ({ p: g.buf(f32(p0[i])), g: g.buf(n), m: g.buf(n), v: g.buf(n) }));
      const norms = bufs.map((b, i) => g.tk.sqNorm({ n: sizes[i], outIndex: i ? slots[0] : 0, x: b.g, partials }));
      const steps = bufs.map((b, i) => g.tk.adamw({ n: sizes[i], ...h, maxNorm, nPartials, partials, param: b.p, grad: b.g, m: b.m, v: b.v }));

      let ref = p0.map((p, i) => ({ p, m: new Float64Array(sizes[i]), v: new Float64Array(sizes[i]) }));
      const losses = [loss(p0)];
      let clipped = false;
      for (let t = 1; t <= 8; t++) {
        // the gradient of the parameters the GPU holds now (the optimizer is what is under test)
        const ps = await Promise.all(bufs.map((b, i) => g.read(b.p, sizes[i])));
        ps.forEach((p, i) => g.dev.queue.writeBuffer(bufs[i].g, 0, f32(grad(p, i))));
        const lr = h.lr * (1 - 0.05 * t); // a decaying schedule, written with the step
        steps.forEach((s) => s.setStep(t, lr));
        g.k.run([...(maxNorm ? norms : []), ...steps], 1);

        const gs = ref.map((r, i) => grad(r.p, i));
        const { clip } = maxNorm ? R.clipScaleRef(gs, maxNorm) : { clip: 1 };
        clipped ||= clip < 1;
        ref = ref.map((r, i) => R.adamwRef(r.p, gs[i], r.m, r.v, t, { ...h, lr }, clip));
        const got = await Promise.all(bufs.map((b, i) => g.read(b.p, sizes[i])));
        got.forEach((p, i) => expect(relErr(p, ref[i].p)).toBeLessThan(1e-5));
        for (const [i, b] of bufs.entries()) {
          expect(relErr(await g.read(b.m, sizes[i]), ref[i].m)).toBeLessThan(1e-4);
          expect(relErr(await g.read(b.v, sizes[i]), ref[i].v)).toBeLessThan(1e-4);
        }
        losses.push(loss(got));
      }
      for (let t = 1; t < losses.length; t++) expect(losses[t]).toBeLessThan(losses[t - 1]);
      expect(clipped).toBe(maxNorm > 0); // the clipping case really clips
    });
  }

  it('refuses clipping without partials, and step counts below 1', () => {
    expect(() => g.tk.adamw({ n: 4, lr: 1, maxNorm: 1, param: g.k.empty, grad: g.k.empty, m: g.k.empty, v: g.k.empty })).toThrow(/partials/);
    const d = g.tk.adamw({ n: 4, lr: 1, param: g.buf(4), grad: g.buf(4), m: g.buf(4), v: g.buf(4) });
    expect(() => d.setStep(0)).toThrow(/from 1/);
  });
});
