// Trainable parameters of each method, for the loaded backbone and for Mistral-7B (the Zhyper paper's
// comparison), with how many times larger T2L is than Zhyper.
import { useEffect } from 'react';
import type { AccountingTable } from '../../adapters/accounting';
import { useLab } from '../../state/lab';
import { useApp } from '../../state/store';
import { count, int } from '../format';
import { Term } from './glossary';

function ratio(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** One way of counting T2L against Zhyper, for both variants. */
function RatioRow({ what, r, title }: { what: string; r: { diag: number; square: number }; title?: string }) {
  return (
    <tr>
      <th scope="row" title={title}>
        <Term t="T2L" /> ÷ Zhyper ({what})
      </th>
      <td>
        {ratio(r.diag)}× diag · {ratio(r.square)}× square
      </td>
    </tr>
  );
}

function Table({ t, caption }: { t: AccountingTable; caption: string }) {
  return (
    <table className="accounting-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">method</th>
          <th scope="col">trainable parameters</th>
        </tr>
      </thead>
      <tbody>
        {t.rows.map((r) => (
          <tr key={r.method}>
            <th scope="row" title={r.breakdown.map((b) => `${b.name}: ${int(b.params)}`).join('\n')}>
              {r.method}
            </th>
            <td title={int(r.params)}>{count(r.params)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <RatioRow what="hypernetwork only" r={t.t2lOverZhyperHypernet} />
        <RatioRow what="hypernetwork + B: the paper's count" r={t.t2lOverZhyperHypernetAndB} title="The paper's “up to 26×” on Mistral-7B: Zhyper charged for its hypernetwork and the per-layer B, not A" />
        <RatioRow what="all it trains: + A and B" r={t.t2lOverZhyperTotal} title="The authors' code trains every layer's A and B beside the hypernetwork: the honest count of what it trains" />
      </tfoot>
    </table>
  );
}

export function AccountingPanel() {
  const acc = useLab((s) => s.accounting);
  const load = useLab((s) => s.loadAccounting);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const label = useApp((s) => s.summary?.label);
  useEffect(() => {
    if (ready && !acc) void load();
  }, [ready, acc, load]);
  return (
    <div className="accounting" data-testid="accounting">
      <p className="muted small">
        Counted from the architectures in the authors' code (r = 8 on q and v, condition width 1024, hypernetwork trunk 512, CUMA 8 experts with a shared A). Fewer is
        cheaper to train and store. Hover a method for its parts.
      </p>
      {!acc && <p className="muted">{ready ? 'Counting…' : 'Load a model to count parameters for it.'}</p>}
      {acc && (
        <div className="accounting-tables">
          <Table t={acc.loaded} caption={`Loaded backbone (${label ?? 'model'})`} />
          <Table t={acc.mistral} caption="Mistral-7B (the Zhyper paper's backbone)" />
        </div>
      )}
    </div>
  );
}
