// Table 1 and Table 2 as CSV.
import { isSkipped, type LocoRow, type ReferenceRow, type ResultRow } from '../experiments/runner';

function csvCell(v: unknown): string {
  if (v == null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csv = (rows: unknown[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** Table 1 as CSV: one row per method (skipped methods keep their reason). */
export function table1Csv(rows: readonly ResultRow[], references: readonly ReferenceRow[] = []): string {
  const head = ['method', 'label', 'acc', 'macro_f1', 'emd_wvb', 'emd_calibration', 'entropy_nats', 'macro_acc', 'sigma_inequity', 'params_pct', 'trainable_params', 'zone_silhouette', 'signature_kind', 'n_train', 'n_test', 'wall_seconds', 'skipped'];
  return csv([
    head,
    ...rows.map((r) =>
      isSkipped(r)
        ? [r.method, r.label, '', '', '', '', '', '', '', '', '', '', '', '', '', '', r.skipped]
        : [r.method, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, r.paramsPct, r.trainableParams, r.signatures?.silhouette ?? '', r.signatures?.kind ?? '', r.nTrain, r.nTest, r.wallSeconds, ''],
    ),
    // reference rows: method names that are no method ("reference:…"), no parameters
    ...references.map((r) => [`reference:${r.name}`, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, '', '', '', '', '', '', '', '']),
  ]);
}

/** Table 2 as CSV: one row per (zone, method). */
export function table2Csv(rows: readonly LocoRow[]): string {
  return csv([
    ['zone', 'method', 'label', 'split', 'n_test', 'acc_full', 'acc_held_out', 'delta_acc', 'emd_wvb_full', 'emd_wvb_held_out', 'emd_calibration_full', 'emd_calibration_held_out'],
    ...rows.map((r) => [r.zone, r.method, r.label, r.split ?? 'zone', r.nTest, r.full.acc, r.loco.acc, r.loco.acc - r.full.acc, r.full.emdWvb, r.loco.emdWvb, r.full.emdCalibration, r.loco.emdCalibration]),
  ]);
}

// JSON turns NaN and ±Infinity into null: a skipped (non-finite) step must not make a file unreadable.
