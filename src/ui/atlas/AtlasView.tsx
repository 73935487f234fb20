// Atlas: the countries laid out by t-SNE of their signatures (CUMA's mean routing ḡ_c, Zhyper's mean
// z̄_c), coloured by cultural zone, live while a run trains and for any kept run.
import { useEffect, useId, useMemo } from 'react';
import { METHOD_NAMES, type ExperimentMethod } from '../../experiments/runner';
import { ZONES } from '../../data/zones';
import { resolveSelection, useAtlas, zoneSilhouette, type SignatureKind } from '../../state/atlas';
import { useTrain } from '../../state/train';
import { MIN_TSNE_POINTS, perplexityFor } from '../../worker/tsne-core';
import { Plot, useDark } from '../shared/Plot';
import { zoneStyle } from '../shared/colors';
import { ViewHeader } from '../shared/ViewHeader';
import { STATUS_TEXT } from '../train/RunPanels';

const KIND_TEXT: Record<SignatureKind, { short: string; long: string }> = {
  routing: { short: 'CUMA routing ḡ_c', long: "mean gate per expert over the country's profiles, their prompts' tokens and the layers" },
  z: { short: 'Zhyper z̄_c', long: "mean z = H(c) over the country's profiles, every layer and module concatenated" },
};

export function AtlasView() {
  const uid = useId();
  const dark = useDark();
  const runs = useTrain((s) => s.runs);
  const currentId = useTrain((s) => s.currentId);
  const init = useTrain((s) => s.init);
  const a = useAtlas();
  const runId = a.runId ?? currentId;
  const run = runs.find((r) => r.id === runId);
  const sel = resolveSelection(run, { kind: a.kind, method: a.method });
  const snap = sel && run ? run.signatures[sel.method] : undefined;
  const perLayer = a.perLayer;
  const n = snap?.set.countries.length ?? 0;

  useEffect(() => {
    void init();
  }, [init]);

  // every new snapshot (a training step's signatures) goes to the t-SNE worker
  useEffect(() => {
    if (run && sel && snap && snap.set.countries.length >= MIN_TSNE_POINTS) useAtlas.getState().show({ runId: run.id, method: sel.method, perLayer, snapshot: snap });
  }, [run?.id, sel?.method, snap, perLayer]);

  const layout = a.layout;
  const key = run && sel ? `${run.id}|${sel.method}|${perLayer ? 'layers' : 'mean'}` : null;
  const shown = layout && layout.key === key ? layout : null;
  const sil = snap ? zoneSilhouette(snap.set, perLayer) : null;

  const data = useMemo(() => {
    if (!shown) return [];
    const zones = ZONES.filter((z) => shown.points.some((p) => p.zone === z));
    const labels = shown.points.length <= 24;
    return zones.map((z) => {
      const pts = shown.points.filter((p) => p.zone === z);
      const st = zoneStyle(z);
      return {
        type: 'scatter',
        mode: labels ? 'markers+text' : 'markers',
        name: z,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y),
        text: pts.map((p) => p.country),
        textposition: 'top center',
        textfont: { size: 15 },
        customdata: pts.map((p) => p.zone),
        hovertemplate: '<b>%{text}</b><br>%{customdata}<extra></extra>',
        marker: { color: st.color, symbol: st.symbol, size: 16, line: { width: 1.5, color: dark ? '#eef1f5' : '#141a22' } },
      };
    });
  }, [shown, dark]);
  const plotLayout = useMemo(
    () => ({
      xaxis: { showticklabels: false, zeroline: false, showgrid: false, title: { text: '' } },
      yaxis: { showticklabels: false, zeroline: false, showgrid: false, title: { text: '' }, scaleanchor: 'x' },
      legend: { title: { text: 'Cultural zone' }, font: { size: 15 } },
      margin: { l: 20, r: 20, t: 20, b: 20 },
      hovermode: 'closest',
    }),
    [],
  );
  const runsWithSignatures = runs.filter((r) => Object.keys(r.signatures).length > 0 || r.id === currentId);
  const live = run?.status === 'running' || run?.status === 'paused';

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
              <option value="">The Train view's run{run && !a.runId ? ` (${STATUS_TEXT[run.status]})` : ''}</option>
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
                {KIND_TEXT[k].short}
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
          <span className="stat-label">Zone silhouette</span>
          <span className="stat-value">{sil == null ? '—' : sil.toFixed(3)}</span>
          <span className="stat-note muted small">−1…1 in signature space (Euclidean): above 0, a zone's countries sit closer to each other than to other zones</span>
        </div>
      </section>

      <section className="card atlas-plot-card">
        {!run && <p className="muted">No run yet. Start one in the Train view with Zhyper or CUMA: their signatures appear here as they train.</p>}
        {run && !sel && (
          <p className="note" data-testid="atlas-empty">
            {live
              ? `No signatures yet. Zhyper and CUMA report them every ${run.config.methods.some((m) => m.startsWith('zhyper') || m.startsWith('cuma')) ? 'few steps (“Signatures every” in the Train setup)' : '… but this run trains neither: pick Zhyper or CUMA'}.`
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
              {perLayer ? ' per layer' : ''} of {n} countries after step {snap.step} of {run!.config.steps}
              {live ? ' (live)' : ''}
              <span className="muted">
                {' '}
                · t-SNE perplexity {perplexityFor(n).toFixed(1)}
                {shown ? `, ${shown.final ? `${shown.iterations} iterations${shown.warm ? ', warm-started from the last layout' : ''}` : `iteration ${shown.iterations}…`}` : ', laying out…'}
              </span>
            </p>
            {shown?.degenerate && <p className="note">Every country has the same signature right now, so the layout is arbitrary.</p>}
            {a.error && (
              <p className="error-message" role="alert">
                {a.error.message}
              </p>
            )}
            <Plot
              testId="atlas-plot"
              data={data}
              layout={plotLayout}
              height={620}
              label={`t-SNE of ${n} countries' signatures, coloured by cultural zone`}
              attrs={{ 'data-points': shown?.points.length ?? 0, 'data-layouts': a.layouts, 'data-step': shown?.step ?? -1, 'data-final': shown?.final ? 1 : 0 }}
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
