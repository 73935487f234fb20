// Errors of the conditioned views, told the way ErrorPanel tells the Model view's: what happened, what
// to do, and that nothing the user made is lost. Same markup and test ids as ErrorPanel.
import type { ReactNode } from 'react';
import type { AppError } from '../../state/store';
import { useApp } from '../../state/store';
import { useLab, type LabArea } from '../../state/lab';

interface Explained {
  title: string;
  todo: ReactNode;
  kind: string;
}

const KEPT = 'Your personas, question and options are kept.';

export function explainLab(area: LabArea, e: AppError): Explained {
  switch (e.name) {
    case 'NoModelError':
      return { kind: 'no-model', title: 'No model is loaded', todo: <p>Load the embedded default (works offline) with the button in the adapter bar, or pick a backbone in the Model view. {KEPT}</p> };
    case 'BusyError':
      return { kind: 'busy', title: 'A model is still loading', todo: <p>Wait for it to finish (or cancel it in the Model view), then try again. {KEPT}</p> };
    case 'TrainingBusyError':
      return { kind: 'training-busy', title: 'A training run is using the model', todo: <p>Stop it in the Train view, or wait for it to finish, then try again. {KEPT}</p> };
    case 'GPUUnavailableError':
      return { kind: 'gpu', title: 'The GPU is not running', todo: <p>Open the Model view and restart the GPU. {KEPT}</p> };
    case 'NoAdapterError':
      return { kind: 'no-adapter', title: 'No adapter on the model', todo: <p>Make a random adapter or load an adapter file in the adapter bar above.</p> };
    case 'AdapterFileError':
    case 'SafetensorsError':
      return {
        kind: 'adapter-file',
        title: 'That file is not an adapter this app can read',
        todo: (
          <p>
            Pick a <code>.safetensors</code> file saved with “Save adapter” (format adapter-atlas). The adapter that was on the model before is still on it. {KEPT}
          </p>
        ),
      };
    case 'AdapterMismatchError':
      return {
        kind: 'adapter-mismatch',
        title: 'That adapter was made for another model',
        todo: (
          <p>
            Load the backbone it was made for (the message names it) in the Model view, then load the file again; or make a new adapter for this model. The adapter that
            was on before is still on. {KEPT}
          </p>
        ),
      };
    case 'EncoderMismatchError':
      return {
        kind: 'encoder-mismatch',
        title: 'The encoder and the adapter do not fit',
        todo: <p>Make a new adapter now (it will read this encoder's embeddings), or switch the encoder back. {KEPT}</p>,
      };
    case 'EncoderError':
      return {
        kind: 'encoder',
        title: 'The condition encoder could not be loaded',
        todo: <p>Hub encoders need the network the first time. The offline default, Universal Sentence Encoder Lite, always works. The encoder in use is unchanged.</p>,
      };
    case 'SharedAdapterMissingError':
      return { kind: 'shared-adapter', title: "The link's adapter is not in this browser", todo: <p>{e.message}</p> };
    case 'SceneError':
      return { kind: 'scene', title: 'The shared link could not be read', todo: <p>Your own personas are shown instead. Ask for the link again (it may have been cut short).</p> };
  }
  const titles: Record<LabArea, string> = {
    adapter: 'The adapter could not be set',
    encoder: 'The condition encoder could not be set',
    score: 'Scoring failed',
    generate: 'Generation failed',
    blend: 'The blend could not be scored',
    routing: 'The routing could not be read',
    export: 'The export failed',
    accounting: 'The parameter table could not be computed',
    scene: 'The shared link could not be read',
    learn: 'The chapter could not run this on the model',
  };
  return { kind: area, title: titles[area], todo: <p>Try again; if it keeps failing, load the model again in the Model view. {KEPT}</p> };
}

export function LabErrorPanel({ area, error, onDismiss }: { area: LabArea; error: AppError; onDismiss?: () => void }) {
  const x = explainLab(area, error);
  const loadEmbedded = useApp((s) => s.loadEmbedded);
  const loading = useApp((s) => s.modelStatus === 'loading');
  return (
    <div className="error-panel" role="alert" data-testid="error" data-error-kind={x.kind} data-error-area={area}>
      <div className="error-head">
        <span className="error-icon" aria-hidden>
          !
        </span>
        <strong>{x.title}</strong>
        {onDismiss && (
          <button className="link-button" onClick={onDismiss} aria-label="Dismiss this message">
            Dismiss
          </button>
        )}
      </div>
      <p className="error-message">{error.message}</p>
      <div className="error-todo">{x.todo}</div>
      {x.kind === 'no-model' && (
        <button className="primary" onClick={() => void loadEmbedded()} disabled={loading}>
          {loading ? 'Loading…' : 'Load embedded default'}
        </button>
      )}
    </div>
  );
}

/** Every error of these areas, each with Dismiss. */
export function LabErrors({ areas }: { areas: LabArea[] }) {
  const errors = useLab((s) => s.errors);
  const dismiss = useLab((s) => s.dismiss);
  const shown = areas.filter((a) => errors[a]);
  if (!shown.length) return null;
  return (
    <div className="lab-errors">
      {shown.map((a) => (
        <LabErrorPanel key={a} area={a} error={errors[a]!} onDismiss={() => dismiss(a)} />
      ))}
    </div>
  );
}
