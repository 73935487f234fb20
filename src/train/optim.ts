// The optimizer's CPU half: the learning-rate schedule, global-norm clipping, and AdamW for parameters
// that live on the CPU (Zhyper's hypernetwork). The GPU half is adamw.wgsl; both follow torch.optim.AdamW
// (decoupled weight decay) and torch.nn.utils.clip_grad_norm_, with the same hyper-parameters.

/** Learning rate of optimizer step `step` (1-based). */
export type LrSchedule = (step: number) => number;

/**
 * Linear warmup to `peak` over `warmupSteps` steps (step t ≤ W gets peak·t/W, so no step is wasted at
 * lr 0), then cosine decay to `minRatio`·peak: step t > W is (t − W − 1) steps into the decay, so the
 * first one after warmup gets the peak and step `totalSteps` gets just above the floor. Without
 * totalSteps the rate stays at the peak after warmup.
 */
export function warmupCosine(o: { peak: number; warmupSteps?: number; totalSteps?: number; minRatio?: number }): LrSchedule {
  const W = o.warmupSteps ?? 0, min = o.minRatio ?? 0;
  return (step) => {
    if (step <= W) return (o.peak * step) / W;
    if (!o.totalSteps) return o.peak;
    const progress = Math.min(1, (step - W - 1) / Math.max(1, o.totalSteps - W));
    return o.peak * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}

/**
 * Linear warmup to `peak` over `warmupSteps` (as warmupCosine), then linear decay to 0 at step totalSteps + 1
 * (transformers' get_linear_schedule_with_warmup, which the Zhyper code trains with).
 */
export function warmupLinear(o: { peak: number; warmupSteps: number; totalSteps: number }): LrSchedule {
  const W = o.warmupSteps;
  return (step) => (step <= W ? (o.peak * step) / W : o.peak * Math.max(0, (o.totalSteps - step + 1) / Math.max(1, o.totalSteps - W)));
}

/** clip_grad_norm_'s factor for a global gradient norm: min(1, maxNorm / (‖g‖ + 1e-6)); maxNorm 0 = off. */
export function clipFactor(norm: number, maxNorm: number): number {
  return maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
}

export interface AdamwHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** decoupled weight decay */
  wd: number;
}

/** Σ g² over every gradient tensor (f64). */
export function sumSquares(grads: Iterable<ArrayLike<number>>): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/**
 * AdamW on named f32 parameter arrays, updated in place (so whatever reads them, e.g. Zhyper's
 * Hypernet, sees the new values). Moments are kept in f64.
 */
export interface CpuAdamWState {
  params: Map<string, Float32Array>;
  m: Map<string, Float64Array>;
  v: Map<string, Float64Array>;
}

export class CpuAdamW {
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();

  constructor(
    private readonly params: Map<string, Float32Array>,
    private readonly h: AdamwHyper,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, new Float64Array(p.length));
      this.v.set(name, new Float64Array(p.length));
    }
  }

  /** A copy of the parameters and moments (a training checkpoint; f64 moments kept exactly). */
  state(): CpuAdamWState {
    const copy = <T extends Float32Array | Float64Array>(m: Map<string, T>) => new Map([...m].map(([k, v]) => [k, v.slice() as T]));
    return { params: copy(this.params), m: copy(this.m), v: copy(this.v) };
  }

  /** Put a state() back: the parameters in place (their owners read them), the moments. */
  setState(st: CpuAdamWState): void {
    for (const [name, p] of this.params) {
      const [sp, sm, sv] = [st.params.get(name), st.m.get(name), st.v.get(name)];
      if (!sp || !sm || !sv || sp.length !== p.length || sm.length !== p.length || sv.length !== p.length) throw new Error(`the checkpoint's optimizer state does not fit ${name}`);
      p.set(sp);
      this.m.get(name)!.set(sm);
      this.v.get(name)!.set(sv);
    }
  }

  /** Step `step` (1-based, for the bias corrections) with gradient clip·grad. */
  step(grads: Map<string, ArrayLike<number>>, step: number, lr: number, clip = 1): void {
    const { beta1, beta2, eps, wd } = this.h;
    const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) throw new Error(`AdamW: no gradient for ${name}`);
      const m = this.m.get(name)!, v = this.v.get(name)!;
      for (let i = 0; i < p.length; i++) {
        const gi = clip * g[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        p[i] = p[i] - lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + wd * p[i]);
      }
    }
  }
}
