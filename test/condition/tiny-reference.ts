// The tiny encoder's forward pass written out in float64 loops, independent of its ONNX graph:
// what transformers.js + onnxruntime must reproduce.
import type { TinyEncoder } from '../../scripts/make-test-encoder';

/** last_hidden_state of one padded sequence: [T][H] */
export function tinyForward(m: TinyEncoder, ids: number[], mask: number[]): number[][] {
  const H = m.hidden;
  const matvec = (x: number[], w: Float32Array) =>
    Array.from({ length: H }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i * H + j], 0));
  const x = ids.map((id, t) => Array.from({ length: H }, (_, h) => m.wordEmb[id * H + h] + m.posEmb[t * H + h]));
  const q = x.map((r) => matvec(r, m.wq));
  const k = x.map((r) => matvec(r, m.wk));
  const v = x.map((r) => matvec(r, m.wv));
  return x.map((xt, t) => {
    const scores = k.map((ks, s) => ks.reduce((acc, kv, h) => acc + kv * q[t][h], 0) / Math.sqrt(H) + (1 - mask[s]) * -10000);
    const mx = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - mx));
    const z = e.reduce((a, b) => a + b, 0);
    const attended = Array.from({ length: H }, (_, h) => e.reduce((acc, es, s) => acc + (es / z) * v[s][h], 0));
    const o = matvec(attended, m.wo);
    return xt.map((xv, h) => Math.tanh(xv + o[h]));
  });
}

export function meanPool(hidden: number[][], mask: number[]): number[] {
  const n = mask.reduce((a, b) => a + b, 0);
  return hidden[0].map((_, h) => hidden.reduce((s, row, t) => s + row[h] * mask[t], 0) / n);
}

export function l2normalize(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}
