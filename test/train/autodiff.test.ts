// The GPU backward of composed blocks against an independent autodiff: the same function written in
// @tensorflow/tfjs (cpu backend, f32) and differentiated by tf.grads, on the same numbers.
//   (b) x → RMSNorm → linear with a 2-segment LoRA (Zhyper diag z, or plain) → label-smoothed
//       cross-entropy on answer rows: loss, dx, dA, dB, dz.
//   (c) RoPE → causal GQA attention over a KV cache with past positions: d(q, k, v) before RoPE and the
//       gradients of the past cache rows.
// The GPU forward uses the model's own forward kernels (rmsnorm, lora_matmul_vec4 or matmul + lora_down
// + lora_up, rope, kv_append, attention), so the test also checks that the backward matches them.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { packTargets, loraScratch } from '../../src/train/kernels';
import type { LoraBinding } from '../../src/gpu/kernels';
import { ropeInvFreq, ropeTable } from '../../src/model/config';
import { relErr, rand64, f32, gpuTrain } from './helpers';

let g: Awaited<ReturnType<typeof gpuTrain>>;
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  g = await gpuTrain();
});

const data = (t: tf.Tensor) => t.dataSync() as Float32Array;

describe('(b) RMSNorm → linear + LoRA (2 segments) → cross-entropy: GPU backward vs tf.grads', () => {
  for (const [T, H, V, r, withZ, fused] of [
    [7, 20, 37, 4, true, true],
    [9, 13, 50, 3, true, false], // H odd: the unfused adapter path and the scalar linear backward
    [33, 64, 300, 8, false, true],
  ] as [number, number, number, number, boolean, boolean][]) {
    it(`T=${T} H=${H} V=${V} r=${r} ${withZ ? 'Zhyper diag z' : 'plain LoRA'} ${fused ? 'fused' : 'unfused'} forward`, async () => {
      const eps = 1e-5, smoothing = 0.1, s = 0.8;
      const segs = [{ start: 3, len: 10 }, { start: 20, len: V - 20 }];
      const x = f32(rand64(T * H, 1, 2)), w = f32(rand64(H, 2)), W = f32(rand64(V * H, 3, 0.5));
      const A = f32(rand64(2 * r * H, 4, 0.5)), B = f32(rand64((segs[0].len + segs[1].len) * r, 5, 0.5)), z = f32(rand64(2 * r, 6));
      const pairs: [number, number][] = [[1, 4], [T - 1, V - 1], [Math.floor(T / 2), 17]];

      // tfjs: the same function, differentiated by tf.grads
      const bOffs = [0, segs[0].len * r];
      const lossTf = (xs: tf.Tensor, As: tf.Tensor, Bs: tf.Tensor, zs?: tf.Tensor): tf.Scalar => {
        const h = tf.mul(tf.mul(xs, tf.rsqrt(tf.add(tf.mean(tf.square(xs), -1, true), eps))), tf.tensor1d(w));
        const pieces: tf.Tensor[] = [];
        let col = 0;
        segs.forEach((sg, i) => {
          if (sg.start > col) pieces.push(tf.zeros([T, sg.start - col]));
          const Ai = tf.reshape(tf.slice(As, [i * r * H], [r * H]), [r, H]);
          const Bi = tf.reshape(tf.slice(Bs, [bOffs[i]], [sg.len * r]), [sg.len, r]);
          let u = tf.matMul(h, Ai, false, true); // [T, r]
          if (zs) u = tf.mul(u, tf.slice(zs, [i * r], [r]));
          pieces.push(tf.mul(tf.matMul(u, Bi, false, true), s));
          col = sg.start + sg.len;
        });
        if (col < V) pieces.push(tf.zeros([T, V - col]));
        const logits = tf.add(tf.matMul(h, tf.tensor2d(W, [V, H]), false, true), tf.concat(pieces, 1));
        const rows = tf.gather(logits, pairs.map(([row]) => row));
        const q = tf.add(tf.mul(tf.oneHot(pairs.map(([, y]) => y), V), 1 - smoothing), smoothing / V);
        return tf.mean(tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(rows)), -1))) as tf.Scalar;
      };
      // z is an input only with Zhyper (tf.grads refuses unused inputs)
      const inputs = [tf.tensor2d(x, [T, H]), tf.tensor1d(A), tf.tensor1d(B), ...(withZ ? [tf.tensor1d(z)] : [])];
      const want = tf.tidy(() => [lossTf(inputs[0], inputs[1], inputs[2], inputs[3]), ...tf.grads(lossTf as (...a: tf.Tensor[]) => tf.Tensor)(inputs)].map(data));

      // GPU: forward kernels, cross-entropy, then the backward
      const xB = g.buf(x), wB = g.buf(w), WB = g.buf(W), AB = g.buf(A), BB = g.buf(B), zB = g.buf(z);
      const h = g.buf(T * H), logits = g.buf(T * V), loss = g.buf(T + 1), dh = g.buf(T * H), dx = g.buf(T * H);
      const dA = g.buf(A.length), dB = g.buf(B.length), dz = g.buf(z.length), ug = g.buf(T * loraScratch(r));
      const lora: LoraBinding = { mode: withZ ? 1 : 0, r, E: 1, EA: 1, segs, scale: s, A: AB, B: BB, cond: withZ ? zB : g.k.empty };
      const lin = { N: V, K: H, x: h, W: WB, y: logits };
      const U = g.buf(T * 2 * r); // unfused: lora_down's U feeds lora_up
      const forward = fused
        ? [g.k.loraMatmulVec4(g.step, { ...lin, lora })]
        : [g.k.matmul(g.step, lin), g.k.loraDown(g.step, { K: H, lora, x: h, U }), g.k.loraUp(g.step, { N: V, lora, U, y: logits })];
      const { targets, count } = packTargets(pairs, T, V);
      const backward = [
        // dlogits (in place) → dh through the frozen W, then each segment's adapter adds its share
        g.tk.linearBackwardInput(g.step, { N: V, K: H, dY: logits, W: WB, dX: dh }),
        ...segs.flatMap((sg, i) =>
          g.tk.loraBackward(g.step, {
            K: H, N: sg.len, r, scale: s, ldDY: V, dyOff: sg.start, aOff: i * r * H, bOff: bOffs[i], zOff: i * r,
            x: h, dY: logits, A: AB, B: BB, z: withZ ? zB : undefined, ug, dA, dB, dz: withZ ? dz : undefined, dX: dh,
          }),
        ),
        g.tk.rmsnormBackward(g.step, { dim: H, eps, x: xB, w: wB, dy: dh, dx }),
      ];
      g.setStep(T);
      g.k.run([g.k.rmsnorm(g.step, { dim: H, eps, x: xB, w: wB, y: h }), ...forward, ...g.tk.crossEntropy({ V, rows: T, count, eps: smoothing, targets: g.buf(targets), logits, loss }), ...backward], T);

      expect((await g.read(loss, T + 1))[T]).toBeCloseTo(want[0][0], 4);
      expect(relErr(await g.read(dx, T * H), want[1])).toBeLessThan(1e-4);
      expect(relErr(await g.read(dA, A.length), want[2])).toBeLessThan(1e-4);
      expect(relErr(await g.read(dB, B.length), want[3])).toBeLessThan(1e-4);
      if (withZ) expect(relErr(await g.read(dz, z.length), want[4])).toBeLessThan(1e-4);
      inputs.forEach((t) => t.dispose());
    });
  }
});

describe('(c) RoPE → causal GQA attention over a KV cache: GPU backward vs tf.grads', () => {
  for (const [T, pos0, nH, nKV, D] of [
    [6, 0, 4, 2, 8],
    [5, 3, 6, 2, 10],
    [1, 7, 2, 1, 16], // one decoded token over a cached prefix
    [40, 0, 2, 1, 130], // head_dim past the 64 threads
  ]) {
    it(`T=${T} pos0=${pos0} nH=${nH} nKV=${nKV} D=${D}`, async () => {
      const S = pos0 + T, qDim = nH * D, kvDim = nKV * D, ld = qDim + 2 * kvDim, half = D / 2, G = nH / nKV;
      const qPre = f32(rand64(T * qDim, 7, 2)), kPre = f32(rand64(T * kvDim, 8, 2)), v = f32(rand64(T * kvDim, 9));
      const kPast = f32(rand64(pos0 * kvDim, 10, 2)), vPast = f32(rand64(pos0 * kvDim, 11)); // cached, already rotated
      const dO = f32(rand64(T * qDim, 12));
      const table = ropeTable(ropeInvFreq({ headDim: D, ropeTheta: 10000, ropeScaling: null }), S);

      // tfjs: rotate_half RoPE with the same cos/sin table, masked softmax attention, loss = Σ dO ⊙ O
      const cs = tf.tensor3d(table.slice(pos0 * D, S * D), [T, half, 2]);
      const cos = tf.reshape(tf.slice(cs, [0, 0, 0], [T, half, 1]), [T, 1, half]);
      const sin = tf.reshape(tf.slice(cs, [0, 0, 1], [T, half, 1]), [T, 1, half]);
      const rope = (x: tf.Tensor) => {
        const [x1, x2] = tf.split(x, 2, -1);
        return tf.concat([tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x2, cos), tf.mul(x1, sin))], -1);
      };
      const mask = tf.tensor2d(Float32Array.from({ length: T * S }, (_, i) => (i % S > pos0 + Math.floor(i / S) ? -1e9 : 0)), [T, S]);
      const kvHead = tf.tensor1d(Int32Array.from({ length: nH }, (_, h) => Math.floor(h / G)), 'int32');
      // the past cache rows are inputs only when there are any (tf.grads refuses unused inputs)
      const lossTf = (q: tf.Tensor, k: tf.Tensor, vv: tf.Tensor, kp?: tf.Tensor, vp?: tf.Tensor): tf.Scalar => {
        const K = kp ? tf.concat([kp, rope(k)], 0) : rope(k); // [S, nKV, D]
        const Vc = vp ? tf.concat([vp, vv], 0) : vv;
        const Kh = tf.transpose(tf.gather(K, kvHead, 1), [1, 0, 2]); // [nH, S, D]
        const Vh = tf.transpose(tf.gather(Vc, kvHead, 1), [1, 0, 2]);
        const Q = tf.transpose(rope(q), [1, 0, 2]); // [nH, T, D]
        const P = tf.softmax(tf.add(tf.mul(tf.matMul(Q, Kh, false, true), 1 / Math.sqrt(D)), mask));
        const O = tf.transpose(tf.matMul(P, Vh), [1, 0, 2]); // [T, nH, D]
        return tf.sum(tf.mul(O, tf.tensor3d(dO, [T, nH, D])));
      };
      const inputs = [tf.tensor3d(qPre, [T, nH, D]), tf.tensor3d(kPre, [T, nKV, D]), tf.tensor3d(v, [T, nKV, D])];
      if (pos0) inputs.push(tf.tensor3d(kPast, [pos0, nKV, D]), tf.tensor3d(vPast, [pos0, nKV, D]));
      const want = tf.tidy(() => tf.grads(lossTf as (...a: tf.Tensor[]) => tf.Tensor)(inputs).map(data));

      // GPU: rope, kv_append, then attention backward, kv_append_backward, rope_backward
      const rows = new Float32Array(T * ld);
      for (let t = 0; t < T; t++) {
        rows.set(qPre.subarray(t * qDim, (t + 1) * qDim), t * ld);
        rows.set(kPre.subarray(t * kvDim, (t + 1) * kvDim), t * ld + qDim);
        rows.set(v.subarray(t * kvDim, (t + 1) * kvDim), t * ld + qDim + kvDim);
      }
      const kc = new Float32Array(S * kvDim), vc = new Float32Array(S * kvDim);
      kc.set(kPast);
      vc.set(vPast);
      const qkv = g.buf(rows), kCache = g.buf(kc), vCache = g.buf(vc), cosSin = g.buf(table);
      const dqkv = g.buf(T * ld), dK = g.buf(S * kvDim), dV = g.buf(S * kvDim);
      g.setStep(T, pos0);
      g.k.run([
        g.k.rope(g.step, { headDim: D, nHeads: nH + nKV, nQHeads: nH, ldQKV: ld, eps: 1e-6, cosSin, qkv }),
        g.k.kvAppend(g.step, { kvDim, ldQKV: ld, kOff: qDim, vOff: qDim + kvDim, qkv, kCache, vCache }),
        ...g.tk.attentionBackward(g.step, { headDim: D, nHeads: nH, nKVHeads: nKV, ldQKV: ld, qkv, kCache, vCache, dO: g.buf(dO), stats: g.buf(T * nH * 2), dqkv, dK, dV, past: pos0 }),
        g.tk.kvAppendBackward(g.step, { kvDim, ldQKV: ld, kOff: qDim, vOff: qDim + kvDim, dK, dV, dqkv }),
        g.tk.ropeBackward(g.step, { headDim: D, nHeads: nH + nKV, ldQKV: ld, cosSin, dqkv }),
      ], T);
      const got = await g.read(dqkv, T * ld);
      const part = (off: number, n: number) => Float32Array.from({ length: T * n }, (_, i) => got[Math.floor(i / n) * ld + off + (i % n)]);
      expect(relErr(part(0, qDim), want[0])).toBeLessThan(1e-4);
      expect(relErr(part(qDim, kvDim), want[1])).toBeLessThan(1e-4);
      expect(relErr(part(qDim + kvDim, kvDim), want[2])).toBeLessThan(1e-4);
      if (pos0) {
        expect(relErr((await g.read(dK, S * kvDim)).subarray(0, pos0 * kvDim), want[3])).toBeLessThan(1e-4);
        expect(relErr((await g.read(dV, S * kvDim)).subarray(0, pos0 * kvDim), want[4])).toBeLessThan(1e-4);
      }
      tf.dispose([...inputs, cs, cos, sin, mask, kvHead]);
    });
  }
});
