// Zhyper's hypernetwork (src/adapters/zhyper.ts) against an independent tfjs implementation of the same
// equations, for the diag and square heads; and the start-of-training property the authors rely on.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAdapter, defaultSpec } from '../../src/adapters/create';
import { Hypernet, scaleCondition, zhyperTensorShapes } from '../../src/adapters/zhyper';
import type { Adapter, BackboneDims, Target } from '../../src/adapters/types';
import { rand, maxRelErr } from '../helpers/gpu';

const dims: BackboneDims = { numLayers: 5, hiddenSize: 32, intermediateSize: 48, qDim: 32, kvDim: 16 };

/** z = heads[t](SiLU(W_o·LN(blocks(mixer([LN(W_c c + b_c) ‖ e_l ‖ e_t]))) + b_o)) in tfjs */
function tfZ(a: Adapter, c: Float32Array, layer: number, t: Target): Float32Array {
  return tf.tidy(() => {
    const T = (n: string) => tf.tensor(a.tensors.get(n)!.data, a.tensors.get(n)!.shape);
    const lin = (x: tf.Tensor, w: string, b: string) => tf.add(tf.matMul(x, T(w), false, true), T(b));
    const ln = (x: tf.Tensor, g: string, b: string) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), T(g)), T(b));
    };
    const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));
    const ti = a.spec.targets.indexOf(t);
    const cp = ln(lin(tf.tensor2d(c, [1, c.length]), 'hyper.cond.W', 'hyper.cond.b'), 'hyper.cond.ln.g', 'hyper.cond.ln.b');
    const el = tf.slice(T('hyper.layerEmb'), [layer, 0], [1, -1]);
    const et = tf.slice(T('hyper.typeEmb'), [ti, 0], [1, -1]);
    let x: tf.Tensor = tf.concat([cp, el, et], 1);
    x = lin(silu(lin(x, 'hyper.mixer.W1', 'hyper.mixer.b1')), 'hyper.mixer.W2', 'hyper.mixer.b2');
    for (const b of [0, 1]) x = tf.add(x, lin(silu(lin(ln(x, `hyper.block${b}.ln.g`, `hyper.block${b}.ln.b`), `hyper.block${b}.W1`, `hyper.block${b}.b1`)), `hyper.block${b}.W2`, `hyper.block${b}.b2`));
    const o = silu(lin(ln(x, 'hyper.out.ln.g', 'hyper.out.ln.b'), 'hyper.out.W', 'hyper.out.b'));
    return lin(o, `hyper.head.${t}.W`, `hyper.head.${t}.b`).dataSync() as Float32Array;
  });
}

describe('Zhyper hypernetwork', () => {
  for (const variant of ['zhyper', 'zhyper-square'] as const) {
    it(`${variant}: z matches an independent tfjs forward for every layer and target`, () => {
      const spec = { ...defaultSpec(variant, 40), targets: ['q', 'v', 'down'] as Target[] };
      const a = createAdapter(spec, dims, 17, 'random');
      const h = new Hypernet(a);
      const c = rand(40, 3);
      const all = h.all(c, dims.numLayers);
      for (let l = 0; l < dims.numLayers; l++)
        for (const t of spec.targets) {
          const want = tfZ(a, c, l, t);
          expect(all[l][t].length).toBe(variant === 'zhyper' ? 8 : 64);
          expect(maxRelErr(all[l][t], want)).toBeLessThan(1e-5);
        }
      // z depends on the condition, the layer and the module type
      const other = h.all(rand(40, 4), dims.numLayers);
      expect(maxRelErr(other[0].q, all[0].q)).toBeGreaterThan(1e-3);
      expect(maxRelErr(all[1].q, all[0].q)).toBeGreaterThan(1e-3);
      expect(maxRelErr(all[0].v, all[0].q)).toBeGreaterThan(1e-3);
    });
  }

  it('at the start of training (zero head weights) z is the head bias: 1 ± 1/√hidden (Z = I ± 1/√hidden), for any condition', () => {
    const a = createAdapter(defaultSpec('zhyper', 40), dims, 5, 'train');
    const h = new Hypernet(a);
    const z1 = h.all(rand(40, 1), dims.numLayers), z2 = h.all(rand(40, 2), dims.numLayers);
    expect(Array.from(z1[2].q)).toEqual(Array.from(z2[2].q));
    for (const v of z1[2].q) expect(Math.abs(v - 1)).toBeLessThanOrEqual(1 / Math.sqrt(512));
    // the square head starts at the identity: the plain LoRA path B·A plus B·Z′·A, as the authors' code trains
    const sq = new Hypernet(createAdapter(defaultSpec('zhyper-square', 40), dims, 5, 'train')).all(rand(40, 1), dims.numLayers);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(Math.abs(sq[1].v[i * 8 + j] - (i === j ? 1 : 0))).toBeLessThanOrEqual(1 / Math.sqrt(512));
    // B = 0: the adapter starts as the backbone whatever z is
    for (const [name, t] of a.tensors) if (/\.B$/.test(name)) expect(t.data.every((x) => x === 0)).toBe(true);
  });

  it('refuses a condition of the wrong width, naming the encoder', () => {
    const a = createAdapter({ ...defaultSpec('zhyper', 40), encoderId: 'use-lite-512' }, dims, 5, 'train');
    expect(() => new Hypernet(a).project(new Float32Array(39))).toThrow(/39 numbers; this adapter was made for 40 \(encoder use-lite-512\)/);
  });
});

describe("Zhyper's code trunk (the authors' hyper_modulator.py, points Z1–Z5)", () => {
  const dims7b: BackboneDims = { numLayers: 32, hiddenSize: 4096, intermediateSize: 14336, qDim: 4096, kvDim: 1024 };
  it('shapes: projection 1024→64 + LN, embeddings 32 + LN, mixer 128→512→128, blocks 128→512→128, output 128→512→512, heads 512→r', () => {
    const spec = { ...defaultSpec('zhyper', 1024), targets: ['q', 'v'] as Target[] };
    spec.zhyper = { ...spec.zhyper!, trunk: 'code' as const, condScale: 'sqrt-d' as const };
    const shapes = zhyperTensorShapes(spec, dims7b);
    expect(shapes.get('hyper.cond.W')).toEqual([64, 1024]);
    expect(shapes.get('hyper.layerEmb')).toEqual([32, 32]);
    expect(shapes.get('hyper.layerEmb.ln.g')).toEqual([32]);
    expect(shapes.get('hyper.typeEmb.ln.b')).toEqual([32]);
    expect([shapes.get('hyper.mixer.W1'), shapes.get('hyper.mixer.W2')]).toEqual([[512, 128], [128, 512]]);
    expect([shapes.get('hyper.block1.W1'), shapes.get('hyper.block1.W2')]).toEqual([[512, 128], [128, 512]]);
    expect([shapes.get('hyper.out.W'), shapes.get('hyper.out.W2')]).toEqual([[512, 128], [512, 512]]);
    expect(shapes.get('hyper.head.q.W')).toEqual([8, 512]);
    // the atlas trunk has neither the embeddings' LayerNorms nor the second output Linear
    const atlas = zhyperTensorShapes(defaultSpec('zhyper', 1024), dims7b);
    expect(atlas.has('hyper.out.W2') || atlas.has('hyper.layerEmb.ln.g')).toBe(false);
  });
  it('the condition enters as normalize(c)·√d: its norm is √d whatever the encoder gives', () => {
    const z = { ...defaultSpec('zhyper', 1024).zhyper!, condScale: 'sqrt-d' as const };
    const c = rand(1024, 3, 0.01);
    const s = scaleCondition(c, z);
    expect(Math.hypot(...s)).toBeCloseTo(32, 3); // √1024
    expect(s[5] / s[9]).toBeCloseTo(c[5] / c[9], 5); // the direction is kept
    expect(scaleCondition(c, { ...z, condScale: 'raw' })).toBe(c);
  });
});
