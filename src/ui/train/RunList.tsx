// The kept runs: open one, delete one, import a results file.
import { FileButton } from '../shared/FileButton';
import { describeConfig } from '../../state/runlog';
import { runElsewhere, useTrain } from '../../state/train';
import { StatusBadge } from './RunPanels';

export function RunList() {
  const runs = useTrain((s) => s.runs);
  const currentId = useTrain((s) => s.currentId);
  const activeId = useTrain((s) => s.activeId);
  const loaded = useTrain((s) => s.loaded);
  const openRun = useTrain((s) => s.openRun);
  const deleteRun = useTrain((s) => s.deleteRun);
  const importFile = useTrain((s) => s.importFile);
  return (
    <section className="card run-list" data-testid="run-list" aria-label="Runs">
      <div className="card-head">
        <h2>Runs</h2>
        <FileButton accept=".json,application/json" onFile={(f) => void importFile(f)} testId="import-results" inputTestId="import-results-input" title="A results file saved with “Results JSON”, or a results.json from the CLI">
          Import results…
        </FileButton>
      </div>
      {!loaded && <p className="muted small">Reading the kept runs…</p>}
      {loaded && !runs.length && <p className="muted small">No runs yet. Runs are kept in this browser (IndexedDB) with their curves, results and trained adapters.</p>}
      <ul className="runs">
        {runs.map((r) => {
          const elsewhere = runElsewhere({ activeId }, r);
          return (
            <li key={r.id} className={r.id === currentId ? 'current' : undefined} data-testid="run-item" data-run-id={r.id} data-status={r.status} data-rows={r.rows.length}>
              <button className="run-open" onClick={() => openRun(r.id)} aria-current={r.id === currentId ? 'true' : undefined} data-testid="run-open">
                <span className="run-title">
                  {new Date(r.createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })} <StatusBadge status={r.status} elsewhere={elsewhere} />
                </span>
                <span className="muted small">
                  {r.config.methods.length ? r.config.methods.join(', ') : 'Table 2 only'} · {describeConfig(r.config)}
                  {r.rows.length ? ` · ${r.rows.length} row${r.rows.length === 1 ? '' : 's'}` : ''}
                </span>
              </button>
              <button
                className="icon-button"
                data-testid="run-delete"
                disabled={r.id === activeId || elsewhere}
                title={r.id === activeId ? 'Stop the run before deleting it' : elsewhere ? 'Another tab is training this run: stop it there first' : 'Delete this run and its adapters'}
                aria-label="Delete this run"
                onClick={() => {
                  if (confirm('Delete this run, its curves, results and trained adapters?')) void deleteRun(r.id);
                }}
              >
                ×
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
