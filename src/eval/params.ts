// Parameter accounting for the papers' efficiency claims (Zhyper: 26× fewer than T2L).

/**
 * Trainable parameters as a percentage of the frozen backbone's parameters:
 * 100 · trainable / backboneParams. Lower means a lighter adapter (e.g. 4.2M trainable on a 7.24B
 * backbone → 0.058 %). The denominator is the backbone alone, not backbone + adapter (PEFT's
 * print_trainable_parameters divides by the sum; the two agree to within share² / 100).
 * Throws on negative or non-finite counts and on a backbone of 0 parameters.
 */
export function trainableShare(trainable: number, backboneParams: number): number {
  if (!Number.isFinite(trainable) || trainable < 0) throw new Error(`trainableShare: trainable = ${String(trainable)} must be a finite number ≥ 0`);
  if (!Number.isFinite(backboneParams) || backboneParams <= 0) throw new Error(`trainableShare: backboneParams = ${String(backboneParams)} must be a finite number > 0`);
  return (100 * trainable) / backboneParams;
}
