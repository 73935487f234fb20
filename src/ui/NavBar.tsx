import { useApp } from '../state/store';
import { VIEWS, VIEW_INFO } from '../state/views';
import { TRAINING_BUSY_TITLE, useTrainingBusy } from './shared/useTrainingBusy';

export function NavBar() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const gpu = useApp((s) => s.gpuStatus);
  const model = useApp((s) => s.modelStatus);
  const training = useTrainingBusy();
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden>
          ◆
        </span>
        Adapter Atlas
      </div>
      <nav aria-label="Views">
        <ul>
          {VIEWS.map((v) => (
            <li key={v}>
              <a
                href={`#/${v}`}
                data-testid={`nav-${v}`}
                aria-current={view === v ? 'page' : undefined}
                className={view === v ? 'active' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  setView(v);
                }}
              >
                {VIEW_INFO[v].title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="top-status" aria-label="Status">
        <span className={`pill gpu-${gpu}`}>GPU {gpu === 'ready' ? 'ready' : gpu === 'starting' ? 'starting' : gpu === 'lost' ? 'lost' : gpu === 'error' ? 'unavailable' : '–'}</span>
        <span className={`pill model-${training && model === 'ready' ? 'training' : model}`} data-testid="top-model-status" title={training ? TRAINING_BUSY_TITLE : undefined}>
          Model {model === 'ready' ? (training ? 'training' : 'loaded') : model === 'loading' ? 'loading' : model === 'error' ? 'failed' : 'none'}
        </span>
      </div>
    </header>
  );
}
