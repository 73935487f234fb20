// Atlas: the countries laid out by t-SNE of their signatures (CUMA's mean routing ḡ_c, Zhyper's mean
// z̄_c), coloured by cultural zone, live while a run trains and for any kept run.
import { useEffect, useId, useMemo } from 'react';
import { METHOD_NAMES, type ExperimentMethod } from '../../experiments/runner';
import { DEFAULTS_SOURCE, RECORDED_SOURCE, resolveSelection, sourceOfDefaults, sourceOfRun, useAtlas, zoneSilhouette, type SignatureKind } from '../../state/atlas';
import { useTrain } from '../../state/train';
import { MIN_TSNE_POINTS, perplexityFor } from '../../worker/tsne-core';
import { AtlasScatter } from './AtlasScatter';
import { ViewHeader } from '../shared/ViewHeader';
import { STATUS_TEXT } from '../train/RunPanels';
import { Term } from '../shared/glossary';

const KIND_TEXT: Record<SignatureKind, { short: string; long: string }> = {
  routing: { short: 'CUMA routing ḡ_c', long: "mean gate per expert over the country's profiles, their prompts' tokens and the layers" },
  z: { short: 'Zhyper z̄_c', long: "mean z = H(c) over the country's profiles, every layer and module concatenated" },
};

export function AtlasView() {
  const uid = useId();
  const runs = useTrain((s) => s.runs);
  const currentId = useTrain((s) => s.currentId);
  const init = useTrain((s) => s.init);
  const a = useAtlas();
  const trainRun = runs.find((r) => r.id === (a.runId ?? currentId));
  // with no run chosen and none in Train, the shipped default adapters' map (no training needed)
  const useDefaults = a.runId === DEFAULTS_SOURCE || (!a.runId && !trainRun);
  const useRecorded = a.runId === RECORDED_SOURCE;
  const run = useMemo(
    () => (useRecorded ? (a.recorded ? sourceOfRun(a.recorded) : undefined) : useDefaults ? (a.defaults ? sourceOfDefaults(a.defaults) : undefined) : trainRun ? sourceOfRun(trainRun) : undefined),
    [useRecorded, a.recorded, useDefaults, a.defaults, trainRun],
  );
  const sel = resolveSelection(run, { kind: a.kind, method: a.method });
  const snap = sel && run ? run.signatures[sel.method] : undefined;
  const perLayer = a.perLayer;
  const n = snap?.set.countries.length ?? 0;
  const frames = sel && run?.recording?.[sel.method];

  useEffect(() => {
    void init();
    void useAtlas.getState().loadDefaults();
    void useAtlas.getState().loadRecorded();
  }, [init]);

  // every new snapshot (a training step's signatures) goes to the t-SNE worker
  useEffect(() => {
    if (run && sel && snap && snap.set.countries.length >= MIN_TSNE_POINTS) useAtlas.getState().show({ runId: run.id, method: sel.method, perLayer, snapshot: snap });
  }, [run?.id, sel?.method, snap, perLayer]);
  useEffect(() => () => useAtlas.getState().stopReplay(), []);

  const layout = a.layout;
  const key = run && sel ? `${run.id}|${sel.method}|${perLayer ? 'layers' : 'mean'}` : null;
  const shown = layout && layout.key === key ? layout : null;
  const sil = snap ? zoneSilhouette(snap.set, perLayer) : null;

  const runsWithSignatures = runs.filter((r) => Object.keys(r.signatures).length > 0 || r.id === currentId);
  const live = !!run?.live;
  const replaying = a.replaying;

  return (
    <div className="lab-view atlas-view" data-testid="view-atlas">
      <ViewHeader title="Atlas">
        Each point is a country, placed by t-SNE of its signature: how the trained adapter treats that country's people. Countries of one cultural zone drawing together means
        the adapter learned the zones; the silhouette says how much.
      </ViewHeader>
      <section className="card atlas-controls" aria-labelledby={`${uid}-h`}>
        <h2 id={`${uid}-h`} className="sr-only">
          What to show
        </h2>
        <div className="atlas-pickers">
          <label className="pfield">
            <span>Run</span>
            <select data-testid="atlas-run" value={a.runId ?? ''} onChange={(e) => a.setRun(e.target.value || null)}>
              <option value="">{trainRun ? `The Train view's run (${STATUS_TEXT[trainRun.status]})` : 'The Train view’s run (none yet: showing the shipped defaults)'}</option>
              <option value={DEFAULTS_SOURCE}>Shipped default adapters (trained on every country; no training needed)</option>
              {a.recorded && <option value={RECORDED_SOURCE}>Recorded run (shipped): CUMA on 8 countries, {a.recorded.config.steps} steps, to replay</option>}
              {runsWithSignatures.map((r) => (
                <option key={r.id} value={r.id}>
                  {new Date(r.createdAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })} · {STATUS_TEXT[r.status]} ·{' '}
                  {r.config.methods.join(', ')}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="seg" disabled={!sel}>
            <legend>Signature</legend>
            {(['routing', 'z'] as SignatureKind[]).map((k) => (
              <label key={k} className={`seg-option ${sel?.kind === k ? 'on' : ''}`} title={sel && !sel.kinds.includes(k) ? 'this run has no such signatures' : KIND_TEXT[k].long}>
                <input type="radio" name={`${uid}-kind`} data-testid={`atlas-kind-${k}`} checked={sel?.kind === k} disabled={!sel?.kinds.includes(k)} onChange={() => a.setKind(k)} />
                <Term t={k === 'z' ? 'z̄_c' : 'ḡ_c'}>{KIND_TEXT[k].short}</Term>
              </label>
            ))}
          </fieldset>
          {sel && sel.methods.length > 1 && (
            <label className="pfield">
              <span>Method</span>
              <select data-testid="atlas-method" value={sel.method} onChange={(e) => a.setMethod(e.target.value)}>
                {sel.methods.map((m) => (
                  <option key={m} value={m}>
                    {METHOD_NAMES[m as ExperimentMethod] ?? m}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="check" title="t-SNE of every layer's part of the signature, concatenated, instead of the layer mean">
            <input type="checkbox" data-testid="atlas-per-layer" checked={perLayer} disabled={!sel} onChange={(e) => a.setPerLayer(e.target.checked)} />
            Per-layer vectors
          </label>
        </div>
        <div className="stat" data-testid="atlas-silhouette" data-value={sil ?? ''}>
          <span className="stat-label">
            Zone <Term t="silhouette" />
          </span>
          <span className="stat-value">{sil == null ? '—' : sil.toFixed(3)}</span>
          <span className="stat-note muted small">−1…1 in signature space (Euclidean): above 0, a zone's countries sit closer to each other than to other zones</span>
        </div>
      </section>

      <section className="card atlas-plot-card">
        {!run && (
          <p className="muted">
            {useDefaults && a.defaults === undefined ? 'Reading the shipped defaults’ signatures…' : 'No run yet. Start one in the Train view with Zhyper or CUMA: their signatures appear here as they train.'}
          </p>
        )}
        {useDefaults && a.defaults && (
          <p className="muted small" data-testid="atlas-defaults-note">
            The shipped default adapters (npm run train:defaults) on the synthetic world ({a.defaults.world}); each country's signature averages all its profiles, CUMA's on the
            prompt “{a.defaults.question}”. Train a run in Train to watch a map form, and replay it here.
          </p>
        )}
        {run && !sel && (
          <p className="note" data-testid="atlas-empty">
            {live
              ? `No signatures yet. Zhyper and CUMA report them every ${(run.run?.config.methods ?? []).some((m) => m.startsWith('zhyper') || m.startsWith('cuma')) ? 'few steps (“Signatures every” in the Train setup)' : '… but this run trains neither: pick Zhyper or CUMA'}.`
              : 'This run has no signatures: only Zhyper and CUMA adapters have them (dense LoRA and persona prompting treat every country alike).'}
          </p>
        )}
        {sel && snap && n < MIN_TSNE_POINTS && (
          <p className="note" data-testid="atlas-few">
            This run has {n} {n === 1 ? 'country' : 'countries'}. A t-SNE of {n} points says nothing (any layout fits them equally well), so none is drawn: train on a world with at
            least {MIN_TSNE_POINTS} countries (“Tiny” has 8).
          </p>
        )}
        {sel && snap && n >= MIN_TSNE_POINTS && (
          <>
            <p className="atlas-status" role="status" data-testid="atlas-status">
              <strong>{METHOD_NAMES[sel.method as ExperimentMethod] ?? sel.method}</strong> · {KIND_TEXT[sel.kind].short}
              {perLayer ? ' per layer' : ''} of {n} countries{' '}
              {replaying ? `· replay: frame ${replaying.frame} of ${replaying.frames}, step ${replaying.step} of ${run!.steps}` : run!.id === DEFAULTS_SOURCE ? '(shipped default adapter)' : `after step ${snap.step} of ${run!.steps}`}
              {live ? ' (live)' : ''}
              <span className="muted">
                {' '}
                · t-SNE perplexity {perplexityFor(n) === 30 ? '30 (as the paper)' : `${perplexityFor(n).toFixed(1)} = (n − 1)/3: the paper's 30 needs more than 90 countries`}
                {shown ? `, ${shown.final ? `${shown.iterations} iterations${shown.warm ? ', warm-started from the last layout' : ''}` : `iteration ${shown.iterations}…`}` : ', laying out…'}
              </span>
            </p>
            {frames && frames.length > 1 && !live && (
              <div className="row">
                {replaying ? (
                  <button className="secondary" data-testid="atlas-replay-stop" onClick={() => a.stopReplay()}>
                    Stop the replay
                  </button>
                ) : (
                  <button className="primary" data-testid="atlas-replay" onClick={() => void a.replay({ runId: run!.id, method: sel.method, perLayer }, frames)}>
                    Replay training ({frames.length} recorded frames)
                  </button>
                )}
              </div>
            )}
            {shown?.degenerate && <p className="note">Every country has the same signature right now, so the layout is arbitrary.</p>}
            {a.error && (
              <p className="error-message" role="alert">
                {a.error.message}
              </p>
            )}
            <AtlasScatter
              testId="atlas-plot"
              points={shown?.points ?? []}
              height={620}
              label={`t-SNE of ${n} countries' signatures, coloured by cultural zone`}
              attrs={{ 'data-points': shown?.points.length ?? 0, 'data-layouts': a.layouts, 'data-step': shown?.step ?? -1, 'data-final': shown?.final ? 1 : 0, 'data-source': run!.id === DEFAULTS_SOURCE ? 'defaults' : 'run', 'data-replay': replaying ? replaying.frame : 0 }}
            />
            <p className="muted small">
              t-SNE's axes have no units: only which points sit near which counts, and distances between far-apart groups are not to scale. Hover a point for its country.
            </p>
          </>
        )}
      </section>
    </div>
  );
}
