import { useApp, type FileProgress } from '../../state/store';
import { mb } from '../format';

const PHASE: Record<FileProgress['phase'], string> = {
  download: 'reading',
  upload: 'uploading to GPU',
  tokenizer: 'tokenizer',
  ready: 'done',
};

function Row({ p, done }: { p: FileProgress; done: boolean }) {
  const download = p.phase === 'download';
  const pct = done || p.phase === 'ready' ? 100 : p.total > 0 ? Math.min(100, (100 * p.loaded) / p.total) : null;
  return (
    <li className="progress-row">
      <div className="progress-label">
        <span className="file">{p.file}</span>
        <span className="phase">{done ? 'done' : (PHASE[p.phase] ?? p.phase)}</span>
        <span className="amount">
          {download && (p.total > 0 ? `${mb(p.loaded)} of ${mb(p.total)}` : p.loaded > 0 ? mb(p.loaded) : '')}
          {pct !== null && <strong> {pct.toFixed(0)}%</strong>}
        </span>
      </div>
      <progress max={100} value={pct ?? undefined} aria-label={`${p.file} ${pct === null ? '' : pct.toFixed(0) + '%'}`} />
    </li>
  );
}

export function LoadProgressPanel() {
  const status = useApp((s) => s.modelStatus);
  const progress = useApp((s) => s.progress);
  const source = useApp((s) => s.source);
  const cancel = useApp((s) => s.cancelLoad);
  if (status !== 'loading') return null;
  const downloads = progress.filter((p) => p.phase === 'download');
  const loaded = downloads.reduce((a, p) => a + p.loaded, 0);
  const total = downloads.reduce((a, p) => a + p.total, 0);
  return (
    <div className="load-progress" data-testid="load-progress" aria-live="polite">
      <div className="load-head">
        <span className="spinner" aria-hidden />
        <span>
          Loading <strong>{source?.label}</strong>
          {total > 0 && (
            <span className="muted">
              {' '}
              · {mb(loaded)} of {mb(total)}
            </span>
          )}
        </span>
        <button className="secondary" data-testid="cancel-load" onClick={cancel}>
          Cancel
        </button>
      </div>
      {progress.length === 0 ? <p className="muted">Reading config.json…</p> : <ul className="progress-list">{progress.map((p, i) => <Row key={p.file} p={p} done={p.phase === 'tokenizer' && i < progress.length - 1} />)}</ul>}
    </div>
  );
}
