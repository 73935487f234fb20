// Table 1 and Table 2 as CSV.
import { isSkipped, type LocoRow, type MethodRow, type ReferenceRow, type ResultRow } from '../experiments/runner';
import type { Table1Metrics } from '../experiments/metrics';
import { flagRows } from '../experiments/tables';

function csvCell(v: unknown): string {
  if (v == null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csv = (rows: unknown[][]) => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** the 95% bootstrap bounds of Table 1's four interval-carrying numbers (empty for files written before them) */
const ciCells = (r: Table1Metrics): (number | string)[] => (['acc', 'macroF1', 'emdWvb', 'emdCalibration'] as const).flatMap((k): (number | string)[] => r.ci?.[k] ?? ['', '']);

/** Table 1 as CSV: one row per method (skipped methods keep their reason), each number with its 95% bootstrap interval and flags. */
export function table1Csv(rows: readonly ResultRow[], references: readonly ReferenceRow[] = []): string {
  const head = ['method', 'label', 'acc', 'macro_f1', 'emd_wvb', 'emd_calibration', 'entropy_nats', 'macro_acc', 'sigma_inequity', 'params_pct', 'trainable_params', 'zone_silhouette', 'signature_kind', 'n_train', 'n_test', 'wall_seconds', 'skipped', 'acc_lo95', 'acc_hi95', 'macro_f1_lo95', 'macro_f1_hi95', 'emd_wvb_lo95', 'emd_wvb_hi95', 'emd_calibration_lo95', 'emd_calibration_hi95', 'flags'];
  const flags = new Map(flagRows(rows.filter((r): r is MethodRow => !isSkipped(r)), references));
  return csv([
    head,
    ...rows.map((r) =>
      isSkipped(r)
        ? [r.method, r.label, '', '', '', '', '', '', '', '', '', '', '', '', '', '', r.skipped, '', '', '', '', '', '', '', '', '']
        : [r.method, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, r.paramsPct, r.trainableParams, r.signatures?.silhouette ?? '', r.signatures?.kind ?? '', r.nTrain, r.nTest, r.wallSeconds, '', ...ciCells(r), (flags.get(r.label) ?? []).join('; ')],
    ),
    // reference rows: method names that are no method ("reference:…"), no parameters
    ...references.map((r) => [`reference:${r.name}`, r.label, r.acc, r.macroF1, r.emdWvb, r.emdCalibration, r.entropy, r.macroAcc, r.sigmaInequity, '', '', '', '', '', r.n ?? '', '', '', ...ciCells(r), '']),
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
