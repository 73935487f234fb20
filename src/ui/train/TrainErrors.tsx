// Errors of the Train view, told like the other views' (same markup and test ids as ErrorPanel).
import type { ReactNode } from 'react';
import type { AppError } from '../../state/store';
import { useApp } from '../../state/store';
import { useTrain, type TrainArea } from '../../state/train';

const KEPT = 'Runs in the list, with their curves and results, are kept.';

function explain(area: TrainArea, e: AppError): { title: string; todo: ReactNode; kind: string } {
  if (/not supported yet|no backward/i.test(e.message))
    return {
      kind: 'not-trainable',
      title: 'This method cannot be trained yet',
      todo: <p>The methods before it finished and are in the table. Untick it and start again, or wait for the app version that trains it. {KEPT}</p>,
    };
  switch (e.name) {
    case 'NoModelError':
      return { kind: 'no-model', title: 'No model is loaded', todo: <p>Load the embedded default (works offline) or another backbone in the Model view, then start the run.</p> };
    case 'FormError':
      return { kind: 'form', title: 'The setup is incomplete', todo: <p>Fix the field named above, then start.</p> };
    case 'TrainingBusyError':
      return { kind: 'training-busy', title: 'A run is already training', todo: <p>Stop it (or wait for it to end), then try again.</p> };
    case 'BusyError':
      return { kind: 'busy', title: 'The model is busy', todo: <p>A model load, score or generation is still running. Wait for it, then start again.</p> };
    case 'DeviceLostError':
      return { kind: 'device-lost', title: 'The GPU stopped during the run', todo: <p>Restart the GPU in the Model view, then train again. {KEPT}</p> };
    case 'ImportError':
      return { kind: 'import', title: 'The survey file could not be used', todo: <p>Nothing was changed: the data stays as it was. Check the file (a GlobalOpinionQA CSV: question, selections, options, source), or pick the synthetic world.</p> };
    case 'RunFileError':
      return { kind: 'run-file', title: 'That file is not a results file', todo: <p>Nothing was changed. {KEPT}</p> };
    case 'AdapterMissingError':
      return { kind: 'adapter-missing', title: 'The adapter is not available', todo: <p>Train the method again to get its adapter.</p> };
    case 'AdapterFileError':
    case 'AdapterMismatchError':
    case 'EncoderMismatchError':
      return { kind: 'adapter', title: 'The adapter could not be put on the model', todo: <p>Load the backbone it was trained on in the Model view, then try again. The adapter bar's adapter is unchanged.</p> };
  }
  const titles: Record<TrainArea, string> = { run: 'The run failed', import: 'The file could not be imported', export: 'The export failed', compare: 'The adapter could not be loaded into Compare', data: 'The survey file could not be used' };
  return { kind: area, title: titles[area], todo: <p>{area === 'run' ? `The steps and results so far are kept in the run list. Try again with a smaller setup. ${KEPT}` : KEPT}</p> };
}

export function TrainErrors() {
  const errors = useTrain((s) => s.errors);
  const dismiss = useTrain((s) => s.dismiss);
  const storageError = useTrain((s) => s.storageError);
  const dismissStorage = useTrain((s) => s.dismissStorage);
  const loadEmbedded = useApp((s) => s.loadEmbedded);
  const areas = (Object.keys(errors) as TrainArea[]).filter((a) => errors[a]);
  if (!areas.length && !storageError) return null;
  return (
    <div className="lab-errors">
      {storageError && (
        <div className="error-panel" role="alert" data-testid="error" data-error-kind="storage" data-error-area="storage">
          <div className="error-head">
            <span className="error-icon" aria-hidden>
              !
            </span>
            <strong>Runs are not being saved in this browser</strong>
            <button className="link-button" onClick={dismissStorage} aria-label="Dismiss this message">
              Dismiss
            </button>
          </div>
          <p className="error-message">{storageError}</p>
        </div>
      )}
      {areas.map((a) => {
        const e = errors[a]!;
        const x = explain(a, e);
        return (
          <div key={a} className="error-panel" role="alert" data-testid="error" data-error-kind={x.kind} data-error-area={a}>
            <div className="error-head">
              <span className="error-icon" aria-hidden>
                !
              </span>
              <strong>{x.title}</strong>
              <button className="link-button" onClick={() => dismiss(a)} aria-label="Dismiss this message">
                Dismiss
              </button>
            </div>
            <p className="error-message">{e.message}</p>
            <div className="error-todo">{x.todo}</div>
            {x.kind === 'no-model' && (
              <button className="primary" onClick={() => void loadEmbedded()}>
                Load embedded default
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}
