// The adapter bar shared by Compare, Blend and Routing: which encoder embeds the personas, which method
// the adapter is, make / load / save / export it, and what is on the model now.
import { TRAINING_BUSY_TITLE, useTrainingBusy } from './useTrainingBusy';
import { useEffect, useId, useState } from 'react';
import { FileButton } from './FileButton';
import { ENCODERS } from '../../condition/encoder';
import { METHOD_LABEL, type AdapterSummary, type MethodPreset } from '../../adapters/session';
import { PRESETS } from '../../adapters/methods';
import { TARGETS, TARGET_MODULE } from '../../adapters/types';
import { hasTrainedDefault, useLab, type AdapterOrigin } from '../../state/lab';
import { useApp } from '../../state/store';
import { count } from '../format';
import { AccountingPanel } from './Accounting';
import { downloadFile, fileSafe } from './download';
import { LabErrors } from './LabError';
import { Term } from './glossary';


export function describeMethod(a: AdapterSummary): string {
  // a code-recipe adapter is scored with the persona's sentence as its system prompt (as it was trained)
  const recipe = a.prompt === 'code' ? ' · code recipe (persona as system prompt)' : '';
  if (a.method === 'cuma') return `CUMA · ${a.experts} experts, top-${a.topK}${a.topK === a.experts ? ' (soft)' : ''}${a.semanticOnly ? ' · semantic-only router' : ''}${recipe}`;
  if (a.method === 'zhyper') return `Zhyper · ${a.variant === 'square' ? 'square Z (r×r)' : 'diag z (r numbers)'}${recipe}`;
  return 'Dense LoRA (no condition)';
}

export function originText(o: AdapterOrigin | null): string {
  if (!o) return '';
  if (o.kind === 'file') return `from ${o.file}`;
  if (o.kind === 'kept') return `kept in this browser, ${o.file}`;
  if (o.kind === 'default') return `trained default, ${o.file}`;
  return `${o.kind === 'random' ? 'random' : 'new'}, seed ${o.seed}`;
}

export function AdapterSummaryLine() {
  const a = useLab((s) => s.adapter);
  const origin = useLab((s) => s.origin);
  const strength = useLab((s) => s.strength);
  if (!a) return null;
  return (
    <div className="adapter-summary" data-testid="adapter-summary" data-method={a.method}>
      <p className="adapter-title">
        <strong>{describeMethod(a)}</strong> <span className="muted">({originText(origin)})</span>
        {origin?.kind === 'default' && (
          <span className="badge" data-testid="default-badge" title="Shipped with the app: trained by npm run train:defaults on the embedded model and the synthetic world (every country of the Inglehart–Welzel map). Its answers follow the synthetic world's people, not real surveys.">
            trained · synthetic world
          </span>
        )}
        {origin?.kind === 'random' && (
          <span className="badge warn" data-testid="untrained-badge" title="Random A, B and hypernetwork / routers (seeded): active, so z and the gates differ by persona, but untrained, so the answers do not follow real people's">
            untrained · random weights
          </span>
        )}
      </p>
      <dl className="facts inline">
        <dt>rank r</dt>
        <dd>{a.r}</dd>
        <dt>targets</dt>
        <dd>{a.targets.join(', ')}</dd>
        {a.method === 'cuma' && (
          <>
            <dt>experts / top-k</dt>
            <dd>
              {a.experts} / {a.topK}
            </dd>
          </>
        )}
        <dt title="LoRA scale s (α/r, or α/√r with rsLoRA)">scale s</dt>
        <dd>{a.scale.toFixed(2)}</dd>
        <dt>parameters</dt>
        <dd title={`${a.params.toLocaleString('en-US')} over ${a.numLayers} layers`}>{count(a.params)}</dd>
        <dt title="0 = the backbone alone, 1 = as made, 2 = doubled (set in Blend)">strength</dt>
        <dd>{strength.toFixed(2)}×</dd>
        {a.encoderId && (
          <>
            <dt title="the condition encoder whose embeddings e_d this adapter reads">e_d</dt>
            <dd>{a.encoderId}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

export function AdapterBar() {
  const uid = useId();
  const modelStatus = useApp((s) => s.modelStatus);
  const summary = useApp((s) => s.summary);
  const source = useApp((s) => s.source);
  const loadEmbedded = useApp((s) => s.loadEmbedded);
  const adapter = useLab((s) => s.adapter);
  const busy = useLab((s) => s.busy);
  const encoderId = useLab((s) => s.encoderId);
  const encoderNote = useLab((s) => s.encoderNote);
  const preset = useLab((s) => s.preset);
  const seed = useLab((s) => s.seed);
  const rank = useLab((s) => s.rank);
  const targets = useLab((s) => s.targets);
  const settingsOpen = useLab((s) => s.settingsOpen);
  const lab = useLab.getState;
  const [showAccounting, setShowAccounting] = useState(false);

  const ready = modelStatus === 'ready';
  const training = useTrainingBusy();
  // while a run trains, the adapter bar's actions would be refused: they are disabled, the chip says why
  const working = busy !== null || training;

  // A speaker opens the app on Compare: once the model is ready, a random adapter is put on it (seeded,
  // offline), so Score works with one click.
  useEffect(() => {
    lab().ensureDemoAdapter();
  }, [ready, summary, adapter, busy, lab]);

  const save = async () => {
    const bytes = await lab().saveAdapter();
    if (bytes) downloadFile(`${fileSafe(`${adapter?.method ?? 'adapter'}-${summary?.label ?? 'model'}`)}.safetensors`, bytes);
  };
  const exportPeft = async () => {
    const files = await lab().exportPeft();
    if (!files) return;
    for (const [name, data] of Object.entries(files)) downloadFile(name, data);
  };

  return (
    <section className="card adapter-bar" data-testid="adapter-bar" aria-labelledby={`${uid}-h`}>
      <div className="adapter-bar-head">
        <h2 id={`${uid}-h`}>Adapter</h2>
        <span className="model-chip" data-testid="lab-model-status" data-status={modelStatus} data-training={training ? 1 : 0} title={training ? TRAINING_BUSY_TITLE : undefined}>
          <span className={`status-dot ${training ? 'training' : modelStatus}`} aria-hidden />
          {ready ? `${summary?.label ?? source?.label}` : modelStatus === 'loading' ? `loading ${source?.label ?? 'model'}…` : 'no model loaded'}
        </span>
        {training && (
          <span className="badge training-badge" data-testid="lab-training" title={TRAINING_BUSY_TITLE}>
            training in the Train view
          </span>
        )}
        {!ready && (
          <>
            <button className="secondary" data-testid="load-model" disabled={modelStatus === 'loading'} onClick={() => void loadEmbedded()}>
              Load embedded default
            </button>
            <button className="primary big" data-testid="demo-start" disabled={modelStatus === 'loading' || working} onClick={() => void lab().startDemo()}>
              Load default model + random {METHOD_LABEL[preset].split(' (')[0]} adapter
            </button>
          </>
        )}
        <label className="pfield inline" htmlFor={`${uid}-preset`}>
          <span className="sr-only">Method</span>
          <select id={`${uid}-preset`} data-testid="preset-select" value={preset} disabled={working} onChange={(e) => void lab().setPreset(e.target.value as MethodPreset)}>
            {PRESETS.map((p) => (
              <option key={p} value={p}>
                {METHOD_LABEL[p]}
              </option>
            ))}
          </select>
        </label>
        {source?.kind === 'embedded' && (
          <button
              className="secondary"
              data-testid="trained-default"
              disabled={!ready || working || !hasTrainedDefault(preset)}
              onClick={() => void lab().loadTrainedDefault()}
              title={hasTrainedDefault(preset) ? 'The adapter npm run train:defaults trained for this method on the synthetic world (ships with the app, offline)' : 'Trained defaults ship for Zhyper diag and CUMA top-2 of 8'}
            >
              Trained default
            </button>
          )}
        <button className="primary" data-testid="new-adapter" disabled={!ready || working} onClick={() => void lab().newRandomAdapter()} title="Random weights (seeded): untrained, but the personas visibly change the answers">
          {busy === 'adapter' ? 'Making…' : 'New random adapter'}
        </button>
        <button className="secondary settings-toggle" data-testid="adapter-settings-toggle" aria-expanded={settingsOpen} aria-controls={`${uid}-settings`} onClick={() => lab().setSettingsOpen(!settingsOpen)}>
          {settingsOpen ? 'Hide settings ▴' : 'Settings ▾'}
        </button>
      </div>
      <AdapterSummaryLine />
      {settingsOpen && (
        <div className="adapter-controls" id={`${uid}-settings`} data-testid="adapter-settings">
        <label className="pfield" htmlFor={`${uid}-enc`}>
          <span>Condition encoder</span>
          <select id={`${uid}-enc`} data-testid="encoder-select" value={encoderId} disabled={working} onChange={(e) => void lab().setEncoder(e.target.value)}>
            {ENCODERS.map((e) => (
              <option key={e.id} value={e.id}>
                {e.label} ({e.dim}){e.offline ? ' · offline' : ' · download'}
              </option>
            ))}
          </select>
        </label>
        <label className="pfield seed" htmlFor={`${uid}-seed`}>
          <span>Seed</span>
          <input id={`${uid}-seed`} type="number" data-testid="adapter-seed" value={seed} disabled={working} onChange={(e) => lab().setSeed(Number(e.target.value))} />
        </label>
        <label className="pfield seed" htmlFor={`${uid}-rank`}>
          <span>Rank r</span>
          <select id={`${uid}-rank`} data-testid="adapter-rank" value={rank} disabled={working} onChange={(e) => lab().setRank(Number(e.target.value))}>
            {[1, 2, 4, 8, 16, 32, 64].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="pfield targets" data-testid="adapter-targets" disabled={working}>
          <legend>Adapted modules</legend>
          {TARGETS.map((t) => (
            <label key={t} title={TARGET_MODULE[t]}>
              <input type="checkbox" data-testid={`target-${t}`} checked={targets.includes(t)} onChange={() => lab().toggleTarget(t)} /> {t}
            </label>
          ))}
        </fieldset>
          <div className="adapter-buttons">
          <FileButton className="secondary" accept=".safetensors" onFile={(f) => void lab().loadAdapterFile(f)} testId="load-adapter" inputTestId="load-adapter-input" disabled={!ready || working}>
            Load adapter file…
          </FileButton>
          <button className="secondary" data-testid="save-adapter" disabled={!ready || !adapter || working} onClick={() => void save()}>
            {busy === 'save' ? 'Saving…' : 'Save adapter'}
          </button>
          <button
            className="secondary"
            data-testid="export-peft"
            disabled={!ready || !adapter || working}
            onClick={() => void exportPeft()}
            title="adapter_config.json + adapter_model.safetensors: a plain LoRA for persona 1's condition, loadable with PEFT"
          >
            {busy === 'export' ? 'Exporting…' : 'Export PEFT (persona 1)'}
          </button>
          </div>
          <details className="accounting-details" onToggle={(e) => setShowAccounting((e.target as HTMLDetailsElement).open)}>
            <summary data-testid="accounting-toggle">Parameter accounting: Zhyper, <Term t="T2L" />, CUMA, LoRA</summary>
            {showAccounting && <AccountingPanel />}
          </details>
        </div>
      )}
      {encoderNote && (
        <p className="muted" role="status">
          Encoder: {encoderNote}
        </p>
      )}
      {ready && !adapter && busy !== 'adapter' && (
        <p className="muted" data-testid="no-adapter">
          No adapter on the model: the personas all get the same answers unless you use persona prompting. Make a random adapter or load a file.
        </p>
      )}
      {busy === 'adapter' && <p className="muted" role="status">Putting the adapter on the model…</p>}
      <LabErrors areas={['adapter', 'encoder', 'export']} />
    </section>
  );
}
