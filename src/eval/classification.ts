// Accuracy and Macro-F1 over option labels (CUMA Tables 1–3, WorldValuesBench, Community Alignment).
// Labels are option indices 0..numClasses−1 (A = 0, B = 1, …).
import { fail, labelVector, positiveInt } from './validate';

function pairCheck(fn: string, pred: readonly number[], gold: readonly number[]): void {
  if (!Array.isArray(pred) || !Array.isArray(gold)) fail(fn, 'pred and gold must be arrays');
  if (pred.length !== gold.length) fail(fn, `pred has ${pred.length} labels but gold has ${gold.length}`);
  if (pred.length === 0) fail(fn, 'no examples (pred and gold are empty)');
}

/**
 * Share of examples whose predicted label equals the gold label, in [0, 1]. Higher is better.
 * Labels are compared as numbers (any finite numbers; they need not be class indices).
 * Throws on different lengths or no examples (0/0 is not reported as a score).
 */
export function accuracy(pred: readonly number[], gold: readonly number[]): number {
  pairCheck('accuracy', pred, gold);
  let hit = 0;
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isFinite(pred[i])) fail('accuracy', `pred[${i}] = ${String(pred[i])} is not a finite number`);
    if (!Number.isFinite(gold[i])) fail('accuracy', `gold[${i}] = ${String(gold[i])} is not a finite number`);
    if (pred[i] === gold[i]) hit++;
  }
  return hit / pred.length;
}

/** Per-class counts and F1 (null for a class absent from both pred and gold). */
export interface ClassF1 {
  tp: number;
  fp: number;
  fn: number;
  /** 2·tp / (2·tp + fp + fn); null when the class occurs in neither pred nor gold */
  f1: number | null;
}

/**
 * Per-class F1 for labels 0..numClasses−1. F1 = 2·tp / (2·tp + fp + fn), which equals the harmonic
 * mean of precision and recall and is 0 when tp = 0 (a class predicted but never gold, or gold but
 * never predicted: scikit-learn's zero_division = 0). A class in neither pred nor gold gets null.
 */
export function perClassF1(pred: readonly number[], gold: readonly number[], numClasses: number): ClassF1[] {
  return classRows('perClassF1', pred, gold, numClasses);
}

function classRows(fn: string, pred: readonly number[], gold: readonly number[], numClasses: number): ClassF1[] {
  pairCheck(fn, pred, gold);
  positiveInt(fn, 'numClasses', numClasses);
  labelVector(fn, 'pred', pred, numClasses);
  labelVector(fn, 'gold', gold, numClasses);
  const rows = Array.from({ length: numClasses }, () => ({ tp: 0, fp: 0, fn: 0 }));
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] === gold[i]) rows[pred[i]].tp++;
    else {
      rows[pred[i]].fp++;
      rows[gold[i]].fn++;
    }
  }
  return rows.map((r) => {
    const denom = 2 * r.tp + r.fp + r.fn;
    return { ...r, f1: denom === 0 ? null : (2 * r.tp) / denom };
  });
}

/**
 * Macro-averaged F1 over option labels, in [0, 1]. Higher is better.
 *
 * Convention (the same as scikit-learn's `f1_score(gold, pred, average='macro')`, whose default
 * labels are the union of the labels in gold and pred): the average runs over the classes that occur
 * in pred or gold. A class absent from both is excluded (it would otherwise add an undefined 0/0). A
 * class present in gold but never predicted has F1 = 0, and so has a class predicted but never gold.
 * `numClasses` bounds the labels (each must be an integer in [0, numClasses)); it does not add the
 * absent classes to the average.
 */
export function macroF1(pred: readonly number[], gold: readonly number[], numClasses: number): number {
  const rows = classRows('macroF1', pred, gold, numClasses);
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    if (r.f1 === null) continue;
    sum += r.f1;
    n++;
  }
  return sum / n; // n ≥ 1: there is at least one example, so at least one class is present
}
