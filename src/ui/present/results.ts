// The results table of the default deck: the contrast preset as run and committed (bench/results), with
// Zhyper's row from its rerun with the heads started at the identity (now the default).
import contrast from '../../../bench/results/experiment-contrast-2026-11-23/results.json';
import zhyperIdentity from '../../../bench/results/zhyper-identity-start-2026-11-23/contrast/results.json';

interface Row {
  label: string;
  acc: number;
  emd: number;
  entropy: number;
  /** held-out answers scored */
  n: number;
  reference: boolean;
}

type RawRow = { method?: string; label: string; acc: number; emd: number; entropy: number; nTest?: number };

function build(): { rows: Row[]; caption: string } {
  const rows = contrast.rows as RawRow[];
  const z = (zhyperIdentity.rows as RawRow[])[0];
  const n = rows[0].nTest ?? 0;
  const out: Row[] = rows.map((r) => (r.method === 'zhyper-diag' ? { ...z, label: 'Zhyper (diag)', n: z.nTest ?? n, reference: false } : { ...r, n: r.nTest ?? n, reference: false }));
  for (const r of contrast.references as RawRow[]) out.push({ ...r, label: r.label.replace(/^_|_$/g, ''), n, reference: true });
  return {
    rows: out,
    caption: `Contrast preset on the embedded model (Sweden, Nigeria, Japan, Mexico; 50 people each; the persona reaches the model only through e_d): n = ${n} held-out answers. Grey rows are references no model produced. bench/results/experiment-contrast-2026-11-23.`,
  };
}

export const CONTRAST_RESULTS = build();
