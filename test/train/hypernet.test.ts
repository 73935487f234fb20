// Zhyper's hypernetwork backward (src/train/hypernet-backward.ts) against tfjs autodiff of the same
// network written in tfjs (the forward of test/adapters/zhyper.test.ts, with every hyper.* tensor an
// input of tf.grads); and the CPU optimizer (src/train/optim.ts) against the f64 references.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, defaultSpec } from '../../src/adapters/create';
import { Hypernet } from '../../src/adapters/zhyper';
import type { Adapter, BackboneDims, Target } from '../../src/adapters/types';
import { hypernetForward, zeroHyperGrads } from '../../src/train/hypernet-backward';
import { CpuAdamW, clipFactor, sumSquares, warmupCosine, warmupLinear } from '../../src/train/optim';
import { adamwRef, clipScaleRef } from '../reference/kernels';
import { relErr, rand64 } from './helpers';
import { rand } from '../helpers/gpu';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const dims: BackboneDims = { numLayers: 3, hiddenSize: 32, intermediateSize: 48, qDim: 32, kvDim: 16 };

/** Σ_{l,t} R[l][t] ⊙ z[l][t] in tfjs, as a function of every hyper.* tensor (in `names` order) */
function tfObjective(a: Adapter, c: Float32Array, R: Float32Array[][], names: string[]) {
  return (...xs: tf.Tensor[]): tf.Scalar => {
    const T = (n: string) => xs[names.indexOf(n)];
    const lin = (x: tf.Tensor, w: string, b: string) => tf.add(tf.matMul(x, T(w), false, true), T(b));
    const ln = (x: tf.Tensor, g: string, b: string) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), T(g)), T(b));
    };
    const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));
    const code = a.spec.zhyper!.trunk === 'code';
    const maybe = (x: tf.Tensor) => (code ? silu(x) : x);
    // the code's condition: normalize(c)·√d (Z1)
    const cIn = tf.tensor2d(c, [1, c.length]);
    const cs = a.spec.zhyper!.condScale === 'sqrt-d' ? tf.mul(tf.div(cIn, tf.norm(cIn)), Math.sqrt(c.length)) : cIn;
    const cp = ln(lin(cs, 'hyper.cond.W', 'hyper.cond.b'), 'hyper.cond.ln.g', 'hyper.cond.ln.b');
    let total: tf.Tensor = tf.scalar(0);
    for (let l = 0; l < dims.numLayers; l++)
      a.spec.targets.forEach((t, ti) => {
        let el = tf.slice(T('hyper.layerEmb'), [l, 0], [1, -1]);
        let et = tf.slice(T('hyper.typeEmb'), [ti, 0], [1, -1]);
        if (code) {
          el = ln(el, 'hyper.layerEmb.ln.g', 'hyper.layerEmb.ln.b');
          et = ln(et, 'hyper.typeEmb.ln.g', 'hyper.typeEmb.ln.b');
        }
        let x: tf.Tensor = tf.concat([cp, el, et], 1);
        x = maybe(lin(silu(lin(x, 'hyper.mixer.W1', 'hyper.mixer.b1')), 'hyper.mixer.W2', 'hyper.mixer.b2'));
        for (const b of [0, 1]) x = tf.add(x, maybe(lin(silu(lin(ln(x, `hyper.block${b}.ln.g`, `hyper.block${b}.ln.b`), `hyper.block${b}.W1`, `hyper.block${b}.b1`)), `hyper.block${b}.W2`, `hyper.block${b}.b2`)));
        let o = silu(lin(ln(x, 'hyper.out.ln.g', 'hyper.out.ln.b'), 'hyper.out.W', 'hyper.out.b'));
        if (code) o = silu(lin(o, 'hyper.out.W2', 'hyper.out.b2'));
        const z = lin(o, `hyper.head.${t}.W`, `hyper.head.${t}.b`);
        total = tf.add(total, tf.sum(tf.mul(z, tf.tensor2d(R[l][ti], [1, R[l][ti].length]))));
      });
    return total as tf.Scalar;
  };
}

describe('hypernetwork backward vs tfjs autodiff', () => {
  for (const [variant, trunk] of [['zhyper', 'atlas'], ['zhyper-square', 'atlas'], ['zhyper', 'code'], ['zhyper-square', 'code']] as const) {
    it(`${variant}, ${trunk} trunk: z equals Hypernet's exactly; every hyper.* gradient within 1e-4`, () => {
      const spec = { ...defaultSpec(variant, 12), r: 4, targets: ['q', 'v', 'down'] as Target[] };
      spec.zhyper = { ...spec.zhyper!, projDim: 8, embDim: 4, hidden: 16, trunk, condScale: trunk === 'code' ? 'sqrt-d' : 'raw' };
      const a = createAdapter(spec, dims, 21, 'random');
      const c = rand(12, 2, 2);
      const tape = hypernetForward(a, c, dims.numLayers);
      const z = new Hypernet(a).all(c, dims.numLayers);
      for (let l = 0; l < dims.numLayers; l++) for (const t of spec.targets) expect(Array.from(tape.z[l][t])).toEqual(Array.from(z[l][t]));

      const zLen = variant === 'zhyper' ? 4 : 16;
      const R = Array.from({ length: dims.numLayers }, (_, l) => spec.targets.map((_, ti) => Float32Array.from(rand64(zLen, 100 + 10 * l + ti))));
      const grads = zeroHyperGrads(a);
      tape.backward((l, t) => R[l][spec.targets.indexOf(t as Target)], grads);

      const names = [...grads.keys()];
      const inputs = names.map((n) => tf.tensor(a.tensors.get(n)!.data, a.tensors.get(n)!.shape));
      const want = tf.tidy(() => tf.grads(tfObjective(a, c, R, names) as (...x: tf.Tensor[]) => tf.Tensor)(inputs).map((g) => g.dataSync() as Float32Array));
      let worst = 0;
      names.forEach((n, i) => {
        const e = relErr(grads.get(n)!, want[i]);
        worst = Math.max(worst, e);
        expect(e, n).toBeLessThan(1e-4);
      });
      if (trunk === 'code') expect(names).toEqual(expect.arrayContaining(['hyper.out.W2', 'hyper.out.b2', 'hyper.layerEmb.ln.g', 'hyper.typeEmb.ln.b']));
      console.log(`${variant} (${trunk}): worst relative gradient error ${worst.toExponential(2)} over ${names.length} hyper.* tensors`);
      tf.dispose(inputs);
    });
  }
});

describe('CPU optimizer', () => {
  it('AdamW matches the f64 reference over three steps, with clipping', () => {
    const h = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, wd: 0.1 };
    const p0 = Float32Array.from(rand64(50, 1)), g = [rand64(50, 2), rand64(50, 3), rand64(50, 4)];
    const p = p0.slice();
    const opt = new CpuAdamW(new Map([['p', p]]), h);
    let ref = { p: Float64Array.from(p0), m: new Float64Array(50), v: new Float64Array(50) };
    for (let s = 1; s <= 3; s++) {
      const { clip } = clipScaleRef([g[s - 1]], 0.5);
      expect(clipFactor(Math.sqrt(sumSquares([g[s - 1]])), 0.5)).toBeCloseTo(clip, 12);
      opt.step(new Map([['p', g[s - 1]]]), s, h.lr, clip);
      ref = adamwRef(ref.p, g[s - 1], ref.m, ref.v, s, h, clip);
    }
    expect(relErr(p, ref.p)).toBeLessThan(1e-6);
  });

  it('warmup + linear decay (get_linear_schedule_with_warmup)', () => {
    const f = warmupLinear({ peak: 1, warmupSteps: 2, totalSteps: 10 });
    expect([1, 2].map(f)).toEqual([0.5, 1]);
    expect(f(3)).toBe(1);
    expect(f(7)).toBeCloseTo(0.5, 12);
    expect(f(10)).toBeCloseTo(0.125, 12);
    expect(f(11)).toBe(0);
  });

  it('warmup + cosine schedule', () => {
    const f = warmupCosine({ peak: 1, warmupSteps: 4, totalSteps: 14, minRatio: 0.1 });
    expect([1, 2, 3, 4].map(f)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(f(5)).toBe(1); // first step after warmup: the peak
    expect(f(10)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.5)), 12);
    expect(f(14)).toBeGreaterThan(0.1);
    expect(f(100)).toBeCloseTo(0.1, 12);
    expect(warmupCosine({ peak: 3e-4 })(1000)).toBe(3e-4);
  });
});
