// Watching a run for divergence: a loss spike or an exploding gradient, judged against the steps just before
// (not against a fixed number: losses differ between methods and data). The runner warns in the run's log and,
// when asked (config.lrBackoff), halves the learning rate from there on.

/** steps the median is taken over; no judgement before MIN_STEPS */
const WINDOW = 10;
const MIN_STEPS = 5;
/** a loss this many times the recent median is a spike */
export const LOSS_SPIKE = 3;
/** a gradient norm (before clipping) this many times the recent median is exploding */
export const GRAD_EXPLOSION = 10;

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

export class DivergenceWatch {
  private losses: number[] = [];
  private norms: number[] = [];

  /** The step's loss and gradient norm; a warning in words, or null. */
  push(step: number, loss: number, gradNorm: number): string | null {
    const ml = median(this.losses.slice(-WINDOW)), mg = median(this.norms.slice(-WINDOW));
    const enough = this.losses.length >= MIN_STEPS;
    this.losses.push(loss);
    this.norms.push(gradNorm);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return `step ${step}: the loss or the gradient is not finite (the step was skipped)`;
    if (!enough) return null;
    const out: string[] = [];
    if (loss > LOSS_SPIKE * ml) out.push(`loss ${loss.toFixed(3)} is ${(loss / ml).toFixed(1)}× the median of the steps before (${ml.toFixed(3)})`);
    if (gradNorm > GRAD_EXPLOSION * mg) out.push(`‖g‖ ${gradNorm.toFixed(1)} is ${(gradNorm / mg).toFixed(0)}× the median before (${mg.toFixed(2)})`);
    return out.length ? `step ${step}: ${out.join('; ')}` : null;
  }

  /** What a resumed run must know of the steps before its checkpoint. */
  static from(losses: number[], norms: number[]): DivergenceWatch {
    const w = new DivergenceWatch();
    w.losses = [...losses];
    w.norms = [...norms];
    return w;
  }
}
