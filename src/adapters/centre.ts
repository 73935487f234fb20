// Centred conditions, folded into the adapter.
//
// Sentence embeddings of profiles share one dominant direction: on the default world the profiles' mean μ has
// norm ≈ 0.95 (of unit vectors) and each profile sits only ≈ 0.30 from it. A hypernetwork or router that
// reads e_d sees small differences on a large constant, and in our runs Zhyper and CUMA then learn only the
// mean. Training on ê = (e_d − μ)/m (m the profiles' mean distance from μ) fixes that.
//
// The first thing either method does with the condition is affine: Zhyper's W_c·c + b_c, CUMA's router
// W1·[h ⊕ e_d] + b1. So W·ê + b = (W/m)·e_d + (b − W·μ/m): after training the centring is folded into those
// weights and the adapter reads the encoder's raw e_d again, in the app, in files and in Compare.
import { tensorName, type Adapter, type Tensor } from './types';

export interface ConditionCentre {
  /** the training profiles' mean condition embedding */
  mu: Float32Array;
  /** their mean distance from mu */
  m: number;
}

/** μ and m over `vs` (the distinct training profiles' embeddings). */
export function conditionCentre(vs: readonly Float32Array[]): ConditionCentre {
  if (!vs.length) throw new Error('conditionCentre: no training profile has a condition');
  const d = vs[0].length;
  const mu = new Float64Array(d);
  for (const v of vs) {
    if (v.length !== d) throw new Error(`conditionCentre: embeddings of ${d} and ${v.length} numbers`);
    for (let i = 0; i < d; i++) mu[i] += v[i] / vs.length;
  }
  let m = 0;
  for (const v of vs) {
    let n2 = 0;
    for (let i = 0; i < d; i++) n2 += (v[i] - mu[i]) ** 2;
    m += Math.sqrt(n2) / vs.length;
  }
  if (!(m > 0)) throw new Error('conditionCentre: every training profile has the same condition');
  return { mu: Float32Array.from(mu), m };
}

/** ê = (e − μ)/m, what an adapter trained on centred conditions reads before folding. */
export function centreCondition(e: Float32Array, c: ConditionCentre): Float32Array {
  if (e.length !== c.mu.length) throw new Error(`centreCondition: embedding of ${e.length} numbers, centre of ${c.mu.length}`);
  return Float32Array.from(e, (x, i) => (x - c.mu[i]) / c.m);
}

/**
 * A copy of `a` (trained on ê) that reads raw e_d: the condition's columns of its first affine map divided by
 * m, and W·μ/m taken off its bias. LoRA and semantic-only routing read no condition and come back unchanged.
 */
export function foldConditionCentre(a: Adapter, c: ConditionCentre): Adapter {
  const tensors = new Map<string, Tensor>([...a.tensors].map(([k, t]) => [k, { shape: [...t.shape], data: t.data.slice() }]));
  const D = c.mu.length;
  // W [rows, cols] whose last D columns multiply the condition, and its bias b [rows]
  const fold = (wName: string, bName: string) => {
    const W = tensors.get(wName), b = tensors.get(bName);
    if (!W || !b) throw new Error(`foldConditionCentre: the adapter has no ${W ? bName : wName}`);
    const [rows, cols] = W.shape;
    if (cols < D) throw new Error(`foldConditionCentre: ${wName} has ${cols} columns, fewer than the condition's ${D}`);
    const off = cols - D;
    for (let j = 0; j < rows; j++) {
      let s = 0; // f64: W·μ is a large constant next to the differences between profiles
      for (let i = 0; i < D; i++) {
        const w = W.data[j * cols + off + i];
        s += w * c.mu[i];
        W.data[j * cols + off + i] = w / c.m;
      }
      b.data[j] -= s / c.m;
    }
  };
  const spec = a.spec;
  if (spec.method === 'zhyper') {
    if (spec.zhyper!.condDim !== D) throw new Error(`foldConditionCentre: the adapter reads ${spec.zhyper!.condDim} numbers, the centre has ${D}`);
    fold('hyper.cond.W', 'hyper.cond.b');
  } else if (spec.method === 'cuma' && !spec.cuma!.semanticOnly) {
    if (spec.cuma!.condDim !== D) throw new Error(`foldConditionCentre: the adapter reads ${spec.cuma!.condDim} numbers, the centre has ${D}`);
    for (let l = 0; tensors.has(tensorName(l, 'router', 'W1')); l++) fold(tensorName(l, 'router', 'W1'), tensorName(l, 'router', 'b1'));
  }
  return { spec: structuredClone(spec), tensors };
}
