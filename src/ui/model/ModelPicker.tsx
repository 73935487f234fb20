import { useTrainingBusy } from '../shared/useTrainingBusy';
import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { HUB_EXAMPLES, useApp, type PickerTab } from '../../state/store';
import { filesFromDrop, filesFromInput } from '../drop';
import { ErrorPanel } from '../ErrorPanel';
import { LoadProgressPanel } from './LoadProgress';
import { WEIGHT_CHOICES } from '../../model/api';
import type { WeightDtype } from '../../gpu/kernels';

const TABS: { id: PickerTab; label: string }[] = [
  { id: 'embedded', label: 'Embedded' },
  { id: 'hub', label: 'Hugging Face' },
  { id: 'local', label: 'Local folder' },
];

export function ModelStatusLine() {
  const status = useApp((s) => s.modelStatus);
  const source = useApp((s) => s.source);
  const summary = useApp((s) => s.summary);
  const notice = useApp((s) => s.modelNotice);
  const training = useTrainingBusy();
  const text =
    status === 'ready'
      ? `ready · ${summary?.label ?? source?.label ?? ''}${training ? ' · training (Train view)' : ''}`
      : status === 'loading'
        ? `loading ${source?.label ?? ''}…`
        : status === 'error'
          ? 'load failed'
          : 'no model loaded';
  return (
    <div className="model-status-line">
      <span className={`status-dot ${training ? 'training' : status}`} aria-hidden />
      <span data-testid="model-status" data-status={status} data-training={training ? 1 : 0}>
        {text}
      </span>
      {notice && status === 'none' && <span className="muted"> — {notice}</span>}
    </div>
  );
}

function EmbeddedPane({ busy }: { busy: boolean }) {
  const loadEmbedded = useApp((s) => s.loadEmbedded);
  const isLoaded = useApp((s) => s.modelStatus === 'ready' && s.source?.kind === 'embedded');
  return (
    <div className="pane">
      <p>A tiny model shipped inside the app: no download, works offline. It loads when the app opens.</p>
      <button className="primary" data-testid="embedded-load" onClick={() => void loadEmbedded()} disabled={busy || isLoaded}>
        {isLoaded ? 'Loaded' : 'Load embedded default'}
      </button>
    </div>
  );
}

function HubPane({ busy }: { busy: boolean }) {
  const hubId = useApp((s) => s.hubId);
  const setHubId = useApp((s) => s.setHubId);
  const loadHub = useApp((s) => s.loadHub);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void loadHub();
  };
  return (
    <form className="pane" onSubmit={submit}>
      <label htmlFor="hub-id">Repo id (owner/name)</label>
      <div className="row">
        <input
          id="hub-id"
          data-testid="hub-id"
          type="text"
          value={hubId}
          onChange={(e) => setHubId(e.target.value)}
          placeholder={HUB_EXAMPLES[0]}
          spellCheck={false}
          autoComplete="off"
          autoCapitalize="off"
        />
        <button className="primary" type="submit" data-testid="hub-load" disabled={busy || !hubId.trim()}>
          Load
        </button>
      </div>
      <p className="muted small">
        Examples:{' '}
        {HUB_EXAMPLES.map((id, i) => (
          <span key={id}>
            {i > 0 && ', '}
            <button type="button" className="link-button" onClick={() => setHubId(id)}>
              {id}
            </button>
          </span>
        ))}
        . Files are downloaded once and kept in the browser cache.
      </p>
    </form>
  );
}

function LocalPane({ busy }: { busy: boolean }) {
  const loadLocal = useApp((s) => s.loadLocal);
  const input = useRef<HTMLInputElement | null>(null);
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (busy) return;
    void filesFromDrop(e.dataTransfer).then((entries) => loadLocal(entries));
  };
  return (
    <div className="pane">
      <p>A folder on this computer with config.json, tokenizer.json and *.safetensors (as downloaded from the hub). Nothing is uploaded anywhere.</p>
      <input
        ref={(el) => {
          input.current = el;
          el?.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        data-testid="local-input"
        onChange={(e) => {
          const entries = filesFromInput(e.target.files);
          e.target.value = '';
          if (entries.length) void loadLocal(entries);
        }}
      />
      <div
        className={over ? 'drop-zone over' : 'drop-zone'}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <span>Drop a model folder here, or</span>
        <button className="primary" type="button" data-testid="local-pick" onClick={() => input.current?.click()} disabled={busy}>
          Choose folder…
        </button>
      </div>
    </div>
  );
}

/** How the weight matrices sit on the GPU; a change reloads the model that is loaded. */
function WeightsChoice({ busy }: { busy: boolean }) {
  const weights = useApp((s) => s.weights);
  const setWeights = useApp((s) => s.setWeights);
  const choice = WEIGHT_CHOICES.find((c) => c.id === weights) ?? WEIGHT_CHOICES[0];
  return (
    <div className="weights-choice">
      <label htmlFor="weights-select">Weights on the GPU</label>
      <select id="weights-select" data-testid="weights-select" value={weights} disabled={busy} onChange={(e) => void setWeights(e.target.value as WeightDtype)}>
        {WEIGHT_CHOICES.map((c) => (
          <option key={c.id} value={c.id}>
            {c.label}
          </option>
        ))}
      </select>
      <span className="muted small" data-testid="weights-detail">
        {choice.memory}; {choice.detail}. Changing it reloads the model (an adapter on it comes off, as with any load).
      </span>
    </div>
  );
}

export function ModelPicker() {
  const tab = useApp((s) => s.pickerTab);
  const setTab = useApp((s) => s.setPickerTab);
  const training = useTrainingBusy();
  const busy = useApp((s) => s.modelStatus === 'loading' || s.gpuStatus === 'starting') || training;
  const error = useApp((s) => s.errors.model);
  const dismiss = useApp((s) => s.dismissError);
  return (
    <section className="card" aria-labelledby="picker-h">
      <h2 id="picker-h">Backbone</h2>
      <ModelStatusLine />
      <div className="tabs" role="tablist" aria-label="Where the model comes from">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls="picker-pane"
            data-testid={`source-${t.id}`}
            className={tab === t.id ? 'tab active' : 'tab'}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div id="picker-pane" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'embedded' && <EmbeddedPane busy={busy} />}
        {tab === 'hub' && <HubPane busy={busy} />}
        {tab === 'local' && <LocalPane busy={busy} />}
      </div>
      <WeightsChoice busy={busy} />
      <LoadProgressPanel />
      {error && <ErrorPanel area="model" error={error} onDismiss={() => dismiss('model')} />}
    </section>
  );
}
