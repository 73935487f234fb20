// Errors say what happened and what to do, in the view where they happened.
import type { ReactNode } from 'react';
import type { AppError, ErrorArea } from '../state/store';

interface Explained {
  title: string;
  todo: ReactNode;
  kind: string;
  /** the message only repeats what `todo` says */
  hideMessage?: boolean;
}

export function explain(area: ErrorArea, e: AppError): Explained {
  if (area === 'gpu') {
    if (e.kind === 'no-webgpu')
      return {
        kind: 'no-webgpu',
        title: 'WebGPU is not available',
        hideMessage: true,
        todo: (
          <>
            <p>
              {e.message.startsWith('WebGPU is present')
                ? 'This browser has WebGPU, but it found no GPU adapter (WebGPU may be switched off or the GPU blocklisted).'
                : 'This browser does not offer WebGPU, which the app needs to run models on the GPU.'}
            </p>
            <ul>
              <li>Use a current desktop Chrome or Edge (113 or newer), Firefox 141+, or Safari 26+.</li>
              <li>
                On Linux, start Chrome with <code>--enable-unsafe-webgpu</code> or turn on <code>chrome://flags/#enable-unsafe-webgpu</code>, then
                reload this page.
              </li>
              <li>
                Check <code>chrome://gpu</code>: “WebGPU: Hardware accelerated” should be listed.
              </li>
            </ul>
          </>
        ),
      };
    if (e.kind === 'limits')
      return { kind: 'limits', title: 'This GPU adapter is too small', todo: <p>Try another browser or a machine with a dedicated GPU.</p> };
    return { kind: 'gpu', title: 'The GPU could not be started', todo: <p>Reload the page. If it happens again, restart the browser.</p> };
  }
  if (area === 'model') {
    switch (e.name) {
      case 'ConfigError':
      case 'UnsupportedModelError':
        return {
          kind: 'unsupported',
          title: 'This model is not supported',
          todo: (
            <p>
              Adapter Atlas runs Llama- and Qwen-family decoder models (Llama, Qwen2, Qwen3, SmolLM) stored as safetensors in F32, F16 or BF16. Pick
              another repo or folder, or go back to the embedded default.
            </p>
          ),
        };
      case 'WeightsError':
        return {
          kind: 'weights',
          title: "The weights don't match the config",
          todo: <p>The checkpoint is missing tensors or has unexpected shapes for this architecture. Check that the folder or repo holds one complete model.</p>,
        };
      case 'TokenizerError':
        return {
          kind: 'tokenizer',
          title: 'The tokenizer could not be read',
          todo: <p>The model needs a tokenizer.json in the Hugging Face tokenizers format next to config.json. Pick a repo or folder that has one.</p>,
        };
      case 'SafetensorsError':
        return {
          kind: 'weights',
          title: 'The weights could not be read',
          todo: <p>The file may be truncated or not a safetensors file. Load it again; if it still fails, pick another model.</p>,
        };
      case 'SourceError':
        return {
          kind: 'download',
          title: 'The model files could not be fetched',
          todo: (
            <p>
              Check the repo id (owner/name) and your network connection. Models downloaded once load offline from the browser cache; the embedded
              default never needs the network.
            </p>
          ),
        };
      case 'GPULimitError':
        return {
          kind: 'too-large',
          title: 'Too large for this GPU adapter',
          todo: <p>Pick a smaller model (for example HuggingFaceTB/SmolLM2-135M-Instruct), or use a machine with a larger GPU.</p>,
        };
      case 'RepoIdError':
        return { kind: 'repo-id', title: 'That is not a repo id', todo: <p>Type it as owner/name, or click one of the examples.</p> };
      case 'TrainingBusyError':
        return { kind: 'training-busy', title: 'A training run is using the model', todo: <p>Stop it in the Train view, or wait for it to finish; the loaded model stays as it is.</p> };
      case 'LocalFolderError':
        return { kind: 'local-folder', title: 'No model in that folder', todo: <p>Pick the folder that directly holds config.json.</p> };
      default:
        return { kind: 'model', title: 'The model could not be loaded', todo: <p>Try again, or pick another model.</p> };
    }
  }
  if (e.name === 'TrainingBusyError') return { kind: 'training-busy', title: 'A training run is using the model', todo: <p>Your prompt is kept. Stop the run in the Train view, or wait for it to finish, then generate.</p> };
  return {
    kind: 'generate',
    title: 'Generation failed',
    todo: <p>Your prompt is kept. Try again; if it keeps failing, load the model again.</p>,
  };
}

export function ErrorPanel({ area, error, onDismiss, children }: { area: ErrorArea; error: AppError; onDismiss?: () => void; children?: ReactNode }) {
  const x = explain(area, error);
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
      {!x.hideMessage && <p className="error-message">{error.message}</p>}
      <div className="error-todo">{x.todo}</div>
      {children}
    </div>
  );
}

export function DeviceLostPanel({ message, onRestart, restarting }: { message: string; onRestart: () => void; restarting: boolean }) {
  return (
    <div className="error-panel" role="alert" data-testid="error" data-error-kind="device-lost" data-error-area="gpu">
      <div className="error-head">
        <span className="error-icon" aria-hidden>
          !
        </span>
        <strong>The GPU device was lost</strong>
      </div>
      <p className="error-message">{message}</p>
      <div className="error-todo">
        <p>This happens when the driver resets or the GPU is needed elsewhere. Restarting reloads the model; your prompt and settings are kept.</p>
      </div>
      <button className="primary" data-testid="restart-gpu" onClick={onRestart} disabled={restarting}>
        {restarting ? 'Restarting…' : 'Restart GPU'}
      </button>
    </div>
  );
}
