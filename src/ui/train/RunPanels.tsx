// What a run shows: where it is (progress), its loss and probe-metric curves, and its results tables.
import { useMemo } from 'react';
import { isSkipped, METHOD_NAMES, type ExperimentMethod, type MethodRow, type ReferenceRow, type ResultRow } from '../../experiments/runner';
import { SMOKE_TEST_N, type Table1Metrics } from '../../experiments/metrics';
import { flagRows } from '../../experiments/tables';
import { aboutDuration, describeConfig, describeLr, lossSeries, metricSeries, progressOf, timeLeft, type RunRecord, type RunStatus } from '../../state/runlog';
import { runElsewhere, useTrain } from '../../state/train';
import { useApp } from '../../state/store';
import { fileSafe, downloadFile } from '../shared/download';
import { methodStyle } from '../shared/colors';
import { Plot } from '../shared/Plot';
import { count } from '../format';
import { Term } from '../shared/glossary';

export const STATUS_TEXT: Record<RunStatus, string> = {
  running: 'running',
  paused: 'paused',
  done: 'finished',
  stopped: 'stopped early',
  failed: 'failed',
  interrupted: 'interrupted',
  imported: 'imported',
};

/** `elsewhere`: the run is going in another tab of this browser */
export function StatusBadge({ status, elsewhere = false }: { status: RunStatus; elsewhere?: boolean }) {
  return (
    <span className={`badge run-status status-${status}`} data-testid="run-status" data-status={status} data-elsewhere={elsewhere ? '1' : undefined}>
      {STATUS_TEXT[status]}
      {elsewhere ? ' in another tab' : ''}
    </span>
  );
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function when(t: number): string {
  return new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "Resume" for a run a reload, a closed tab or a lost device cut off: from its last checkpoint. */
function ResumeButton({ run }: { run: RunRecord }) {
  const ck = useTrain((s) => s.checkpoints[run.id]);
  const control = useTrain((s) => s.control);
  const resumeRun = useTrain((s) => s.resumeRun);
  const modelReady = useApp((s) => s.modelStatus === 'ready');
  if ((run.status !== 'interrupted' && run.status !== 'failed') || !ck) return null;
  const where = ck.key ? `${ck.key.replace(/^1:/, '').replace(/^2:(\w+):/, 'Table 2, $1 ')} at step ${ck.step}` : `after ${ck.done} finished run${ck.done === 1 ? '' : 's'}`;
  const why = control !== 'idle' ? 'Another run is training; wait for it to end' : !modelReady ? 'Load the model this run trained on first' : `Go on from the checkpoint saved ${when(ck.savedAt)}`;
  return (
    <div className="resume-row">
      <button className="primary" data-testid="run-resume" disabled={control !== 'idle' || !modelReady} title={why} onClick={() => void resumeRun(run.id)}>
        Resume from {where}
      </button>
      <span className="muted small">The result is the same as if the run had never stopped (same seed, same batches, the trained state restored).</span>
    </div>
  );
}

export function RunProgressCard({ run }: { run: RunRecord }) {
  const elsewhere = useTrain((s) => runElsewhere(s, run));
  const p = progressOf(run);
  const control = useTrain((s) => (s.activeId === run.id ? s.control : 'idle'));
  const left = run.status === 'running' ? timeLeft(run) : null;
  const last = run.train.length ? run.train[run.train.length - 1] : null;
  const note = elsewhere
    ? 'This run is training in another tab of this browser. Its progress shows here as that tab saves it; pause, resume or stop it there.'
    : run.status === 'interrupted'
      ? 'The page was reloaded or closed (or the GPU was lost) while this run was going. What it had finished is below; resume it from its last checkpoint.'
      : run.status === 'stopped'
        ? 'Stopped early: the methods that finished are in the table.'
        : run.status === 'paused'
          ? 'Paused between two optimizer steps. Resume to go on, or stop to keep what is done.'
          : null;
  return (
    <section className="card run-progress" data-testid="run-progress-card" aria-label="Run progress">
      <div className="card-head">
        <h2>
          Run <span className="muted run-when">{when(run.createdAt)}</span>
        </h2>
        <StatusBadge status={run.status} elsewhere={elsewhere} />
      </div>
      <p className="muted small run-meta">
        {describeConfig(run.config)} · lr {describeLr(run.config)} · seed {run.config.seed}
        {run.model ? ` · ${run.model.label}` : ''}
        {run.source ? ` · from ${run.source}` : ''}
      </p>
      <div className="progress-wrap">
        <progress data-testid="train-progress" data-fraction={p.fraction.toFixed(4)} data-step={p.step} value={p.fraction} max={1} aria-label="Run progress" />
        <span className="progress-pct">{Math.round(100 * p.fraction)}%</span>
      </div>
      <p className="progress-text" data-testid="train-progress-text" role="status">
        {run.status === 'running' || run.status === 'paused'
          ? p.text
          : run.status === 'done'
            ? `Finished: ${run.rows.length} of ${run.config.methods.length} methods${run.loco.length ? ` and ${run.loco.length} Table 2 rows` : ''} in ${duration(run.updatedAt - run.createdAt)}.`
            : run.status === 'imported'
              ? `Imported${run.source ? ` from ${run.source}` : ''}: ${run.rows.length} rows.`
              : p.phase === 'waiting'
                ? `${STATUS_TEXT[run.status]} before the first method started.`
                : `${p.text} (${STATUS_TEXT[run.status]})`}
        {last && (run.status === 'running' || run.status === 'paused') && (
          <span className="muted">
            {' '}
            · loss {Number.isFinite(last.loss) ? last.loss.toFixed(4) : '—'} · <Term t="‖g‖" /> {Number.isFinite(last.gradNorm) ? last.gradNorm.toFixed(3) : '—'} · lr {last.lr.toExponential(2)}
          </span>
        )}
      </p>
      {(control === 'pausing' || control === 'stopping') && (
        <p className="ack" data-testid="train-ack" role="status">
          {control === 'pausing' ? 'Pausing after the step in flight' : 'Stopping after the step in flight'}
          {left ? ` (a step takes ${left.perStep.toFixed(1)} s here)` : ''}…
        </p>
      )}
      {left && control !== 'pausing' && control !== 'stopping' && (
        <p className="muted small" data-testid="train-eta">
          {aboutDuration(left.seconds)} left: {left.steps} optimizer steps at {left.perStep < 1 ? `${Math.round(left.perStep * 1000)} ms` : `${left.perStep.toFixed(1)} s`} each (the median of
          the last steps), evaluations not counted.
        </p>
      )}
      {!!run.warnings?.length && (
        <ul className="run-warnings" data-testid="run-warnings">
          {run.warnings.slice(-3).map((w, i) => (
            <li key={`${w.method}-${w.step}-${i}`}>
              ⚠ {w.method}: {w.text}
            </li>
          ))}
          {run.warnings.length > 3 && <li className="muted">and {run.warnings.length - 3} earlier</li>}
        </ul>
      )}
      {note && <p className="note">{note}</p>}
      {!elsewhere && <ResumeButton run={run} />}
    </section>
  );
}

/**
 * The loss axis's top when spikes would flatten the rest: 1.5× the 95th percentile of the finite losses, if
 * some exceed it by far (the plot says it clipped, how many and where the highest is).
 */
function lossClip(series: { method: string; steps: number[]; loss: number[] }[]): { top: number; n: number; max: number; where: string } | null {
  const all = series.flatMap((s) => s.loss.map((v, i) => ({ v, step: s.steps[i], method: s.method }))).filter((p) => Number.isFinite(p.v));
  if (all.length < 8) return null;
  const sorted = all.map((p) => p.v).sort((a, b) => a - b);
  const top = 1.5 * sorted[Math.floor(0.95 * (sorted.length - 1))];
  const above = all.filter((p) => p.v > top);
  const hi = above.reduce((a, b) => (b.v > a.v ? b : a), above[0]);
  if (!hi || hi.v < 2 * top) return null;
  return { top, n: above.length, max: hi.v, where: `${METHOD_NAMES[hi.method as ExperimentMethod] ?? hi.method}, step ${hi.step}` };
}

/** Step axes: whole steps only, over the whole budget (so a curve also shows how far the run is). */
function stepAxis(steps: number, title: string) {
  const dtick = Math.max(1, Math.ceil(steps / 10));
  return { title: { text: title }, tickmode: 'linear', tick0: 0, dtick, range: [steps <= 60 ? 0.5 : 0, steps + (steps <= 60 ? 0.5 : 0)] };
}

function curveLayouts(steps: number) {
  return {
    loss: {
      xaxis: stepAxis(steps, 'optimizer step'),
      yaxis: { title: { text: 'cross-entropy loss' } },
      legend: { orientation: 'h', y: 1.02, yanchor: 'bottom', x: 0, font: { size: 14 } },
      margin: { t: 40 },
    },
    acc: { title: { text: 'Probe accuracy ↑', font: { size: 16 } }, xaxis: stepAxis(steps, 'step'), yaxis: { range: [-0.05, 1.05], title: { text: 'accuracy' } }, showlegend: false, margin: { t: 44 } },
    emd: { title: { text: 'Probe EMD to the truth ↓', font: { size: 16 } }, xaxis: stepAxis(steps, 'step'), yaxis: { rangemode: 'tozero', title: { text: 'EMD (0–1)' } }, showlegend: false, margin: { t: 44 } },
  };
}

function metricTraces(metrics: ReturnType<typeof metricSeries>, key: 'acc' | 'emd') {
  return metrics.map((s) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: METHOD_NAMES[s.method as ExperimentMethod] ?? s.method,
    x: s.steps,
    y: s[key],
    line: { color: methodStyle(s.method).color, dash: methodStyle(s.method).dash, width: 3 },
    marker: { size: 8 },
    hovertemplate: `%{fullData.name}<br>step %{x}: ${key === 'acc' ? 'accuracy' : 'EMD'} %{y:.3f}<extra></extra>`,
  }));
}

export function CurvesCard({ run }: { run: RunRecord }) {
  const losses = useMemo(() => lossSeries(run), [run]);
  const metrics = useMemo(() => metricSeries(run), [run]);
  const lossData = useMemo(
    () =>
      losses.map((s) => ({
        type: 'scatter',
        mode: s.steps.length < 40 ? 'lines+markers' : 'lines',
        name: METHOD_NAMES[s.method as ExperimentMethod] ?? s.method,
        x: s.steps,
        y: s.loss.map((v) => (Number.isFinite(v) ? v : null)),
        line: { color: methodStyle(s.method).color, dash: methodStyle(s.method).dash, width: 3 },
        marker: { size: 7 },
        hovertemplate: '%{fullData.name}<br>step %{x}: loss %{y:.4f}<extra></extra>',
      })),
    [losses],
  );
  const clip = useMemo(() => lossClip(losses), [losses]);
  const layouts = useMemo(() => {
    const l = curveLayouts(run.config.steps);
    if (!clip) return l;
    return {
      ...l,
      loss: {
        ...l.loss,
        yaxis: { ...l.loss.yaxis, range: [0, clip.top] },
        annotations: [{ xref: 'paper', yref: 'paper', x: 1, y: 1, xanchor: 'right', yanchor: 'top', showarrow: false, text: `axis clipped at ${clip.top.toFixed(2)}: ${clip.n} point${clip.n === 1 ? '' : 's'} above (max ${clip.max.toFixed(1)}, ${clip.where})`, font: { size: 13, color: '#b45309' }, bgcolor: 'rgba(255,255,255,0.85)' }],
      },
    };
  }, [run.config.steps, clip]);
  const accData = useMemo(() => metricTraces(metrics, 'acc'), [metrics]);
  const emdData = useMemo(() => metricTraces(metrics, 'emd'), [metrics]);
  const nLoss = losses.reduce((n, s) => n + s.steps.length, 0);
  const nMetric = metrics.reduce((n, s) => n + s.steps.length, 0);
  const probe = run.config.maxTest;
  return (
    <section className="card curves" data-testid="curves-card">
      <h2>Training curves</h2>
      {nLoss === 0 ? (
        <p className="muted" data-testid="loss-empty">
          {run.status === 'running' ? 'The loss appears here after the first optimizer step.' : 'No training steps were logged for this run.'}
        </p>
      ) : (
        <Plot testId="loss-plot" data={lossData} layout={layouts.loss} height={320} label="Training loss per optimizer step, one line per method" attrs={{ 'data-points': nLoss }} />
      )}
      <p className="muted small">
        Loss: mean cross-entropy of the answer letter over the batch (label smoothing as the trainer uses), before each step's update. Probe: accuracy and EMD (normalized
        Wasserstein-1 between the model's option distribution and the exact one) on the first test answers{probe ? ` (test split of at most ${probe})` : ''}, measured during
        training.
      </p>
      {nMetric > 0 && (
        <div className="metric-plots" data-testid="metric-plots" data-points={nMetric}>
          <Plot testId="metrics-plot-acc" data={accData} layout={layouts.acc} height={260} label="Probe accuracy per step" />
          <Plot testId="metrics-plot-emd" data={emdData} layout={layouts.emd} height={260} label="Probe EMD per step" />
        </div>
      )}
    </section>
  );
}

const f3 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(3) : '—');

/** A number with its 95% bootstrap interval underneath (results written before intervals show the number alone). */
function WithCi({ v, ci }: { v: number; ci?: [number, number] }) {
  return (
    <td>
      {f3(v)}
      {ci && (
        <span className="ci" title="seeded 95% bootstrap interval over the test answers (1000 resamples)">
          [{f3(ci[0])}, {f3(ci[1])}]
        </span>
      )}
    </td>
  );
}

/** Table 1's seven numbers of a method or reference row ('—' where an older results file lacks one). */
function Metrics({ r }: { r: Table1Metrics }) {
  return (
    <>
      <WithCi v={r.acc} ci={r.ci?.acc} />
      <WithCi v={r.macroF1} ci={r.ci?.macroF1} />
      <WithCi v={r.emdWvb} ci={r.ci?.emdWvb} />
      <WithCi v={r.emdCalibration} ci={r.ci?.emdCalibration} />
      <td>{f3(r.entropy)}</td>
      <td title={Number.isFinite(r.nCountries) ? `over ${r.nCountries} countries` : undefined}>{f3(r.macroAcc)}</td>
      <td>{f3(r.sigmaInequity)}</td>
    </>
  );
}
function pct(p: number): string {
  if (p === 0) return '0';
  return p >= 0.01 ? p.toFixed(3) : p.toExponential(2);
}

/** The run's trained adapters: each as a file, or straight onto the model for Compare. */
function AdapterList({ run }: { run: RunRecord }) {
  const adapterBytes = useTrain((s) => s.adapterBytes);
  const loadIntoCompare = useTrain((s) => s.loadIntoCompare);
  const busy = useTrain((s) => s.activeId !== null);
  if (!run.adapters.length) return null;
  const order = (m: string) => run.config.methods.indexOf(m as ExperimentMethod);
  const download = async (method: ExperimentMethod, name: string) => {
    const bytes = await adapterBytes(run.id, method);
    if (bytes) downloadFile(`${fileSafe(`${name}-${run.id}`)}.safetensors`, bytes);
    else useTrain.setState((s) => ({ errors: { ...s.errors, export: { name: 'AdapterMissingError', message: `The ${METHOD_NAMES[method]} adapter of this run is not in the browser's storage any more.` } } }));
  };
  return (
    <div className="trained-adapters" data-testid="trained-adapters">
      <h3 className="small-h">Trained adapters</h3>
      <ul>
        {[...run.adapters]
          .sort((a, b) => order(a.method) - order(b.method))
          .map((a) => (
            <li key={a.method}>
              <strong>{METHOD_NAMES[a.method]}</strong> <span className="muted small">{count(a.bytes)}B</span>
              <button className="small-button" data-testid={`download-adapter-${a.method}`} onClick={() => void download(a.method, a.name)} title={`${a.name}.safetensors (adapter-atlas format)`}>
                ⤓ .safetensors
              </button>
              <button className="small-button" data-testid={`compare-adapter-${a.method}`} disabled={busy} onClick={() => void loadIntoCompare(run.id, a.method)} title={busy ? 'The model is training; wait for the run to end' : 'Put this adapter on the model and open Compare'}>
                Load into Compare
              </button>
            </li>
          ))}
      </ul>
    </div>
  );
}

function Row({ row, flags }: { row: ResultRow; flags?: string[] }) {
  if (isSkipped(row)) {
    return (
      <tr data-testid={`result-row-${row.method}`} data-state="skipped">
        <th scope="row">{row.label}</th>
        <td colSpan={9} className="muted">
          skipped: {row.skipped}
        </td>
      </tr>
    );
  }
  const r = row as MethodRow;
  const sil = r.signatures?.silhouette;
  return (
    <tr data-testid={`result-row-${r.method}`} data-state="done" data-acc={r.acc} data-emd={r.emdCalibration} data-emd-wvb={r.emdWvb} data-flags={flags?.length ?? 0} className={flags?.length ? 'flagged-row' : undefined}>
      <th scope="row">
        {r.label}
        {flags?.map((f) => (
          <span key={f} className="result-flag" data-testid={`result-flag-${r.method}`}>
            ⚠ {f}
          </span>
        ))}
      </th>
      <Metrics r={r} />
      <td title={`${r.trainableParams.toLocaleString('en-US')} trainable parameters`}>{pct(r.paramsPct)}</td>
      <td title={r.signatures ? `${r.signatures.kind === 'z' ? 'z̄_c' : 'ḡ_c'} of ${r.signatures.countries.length} countries` : 'no signatures (this method has no z or router)'}>
        {sil == null ? '—' : sil.toFixed(3)}
        {r.signatures && <span className="sig-kind">{r.signatures.kind === 'z' ? <Term t="z̄_c" /> : <>routing <Term t="ḡ_c" /></>}</span>}
      </td>
    </tr>
  );
}

const REFERENCE_WHY: Record<ReferenceRow['name'], string> = {
  'question-prior': "Each question's answer frequencies in the training set, the same for everyone: what an adapter that collapses to the mean converges to",
  'zone-prior': 'Answer frequencies per question and cultural zone: what knowing only the zone gives',
  exact: "The world's exact answer distribution P*(answer | question, profile): its accuracy is the most that sampled answers allow",
};

export function ResultsCard({ run }: { run: RunRecord }) {
  const exportJson = useTrain((s) => s.exportJson);
  const exportCsv = useTrain((s) => s.exportCsv);
  const p = progressOf(run);
  const live = run.status === 'running' || run.status === 'paused';
  const done = new Set(run.rows.map((r) => r.method));
  const pending = live ? run.config.methods.filter((m) => !done.has(m)) : [];
  const base = fileSafe(`adapter-atlas-${run.id}`);
  const nTest = run.rows.find((r): r is MethodRow => !isSkipped(r))?.nTest;
  const flags = new Map(flagRows(run.rows.filter((r): r is MethodRow => !isSkipped(r)), run.references ?? []));
  const smoke = nTest !== undefined && nTest < SMOKE_TEST_N;
  return (
    <section className="card results" data-testid="results-card">
      <div className="card-head">
        <h2>Results</h2>
        <div className="row export-buttons">
          <button data-testid="export-json" onClick={() => downloadFile(`${base}.json`, exportJson(run.id) ?? '')}>
            Results JSON
          </button>
          <button data-testid="export-csv-1" disabled={!run.rows.length} onClick={() => downloadFile(`${base}-table1.csv`, exportCsv(1, run.id) ?? '', 'text/csv')}>
            Table 1 CSV
          </button>
          {run.loco.length > 0 && (
            <button data-testid="export-csv-2" onClick={() => downloadFile(`${base}-table2.csv`, exportCsv(2, run.id) ?? '', 'text/csv')}>
              Table 2 CSV
            </button>
          )}
        </div>
      </div>
      <div className="table-scroll">
        <table className="results-table" data-testid="results-table" data-rows={run.rows.length}>
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">
                <Term t="accuracy">Acc</Term> ↑
              </th>
              <th scope="col">
                <Term t="macro-F1">Macro-F1</Term> ↑
              </th>
              <th scope="col">
                <Term t="EMD (WVB)" /> ↓
              </th>
              <th scope="col">
                <Term t="EMD to P*" /> ↓
              </th>
              <th scope="col">
                <Term t="entropy">Entropy</Term>
              </th>
              <th scope="col">
                <Term t="macro-accuracy">Macro-acc</Term> ↑
              </th>
              <th scope="col">
                <Term t="σ_inequity" /> ↓
              </th>
              <th scope="col">Params %</th>
              <th scope="col">
                Zone <Term t="silhouette" />
              </th>
            </tr>
          </thead>
          <tbody>
            {run.rows.map((r) => (
              <Row key={r.method} row={r} flags={flags.get(r.label)} />
            ))}
            {pending.map((m) => (
              <tr key={m} data-testid={`result-row-${m}`} data-state="pending" className="pending-row">
                <th scope="row">{METHOD_NAMES[m]}</th>
                <td colSpan={9} className="muted">
                  {p.table === 1 && p.label === m && p.phase !== 'waiting' ? (p.phase === 'evaluate' ? 'evaluating…' : p.phase === 'prepare' ? 'preparing…' : `training, step ${p.step} of ${p.steps}…`) : 'waiting'}
                </td>
              </tr>
            ))}
            {!run.rows.length && !pending.length && (
              <tr>
                <td colSpan={10} className="muted">
                  No method finished in this run.
                </td>
              </tr>
            )}
            {run.references?.map((r) => (
              <tr key={r.name} className="reference-row" data-testid={`reference-row-${r.name}`} data-acc={r.acc} data-emd={r.emdCalibration} data-emd-wvb={r.emdWvb}>
                <th scope="row" title={REFERENCE_WHY[r.name]}>
                  {r.label}
                </th>
                <Metrics r={r} />
                <td>—</td>
                <td>—</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {smoke && (
        <p className="smoke-test" data-testid="smoke-test">
          Smoke test: n = {nTest} test answers (fewer than {SMOKE_TEST_N}). The intervals under each number show how little these results can tell apart; run the default
          preset for findings.
        </p>
      )}
      <p className="table-note">
        Table 1: every method on the same held-out answers{nTest ? ` (n = ${nTest})` : ''}; under each number its seeded 95% bootstrap interval over those answers; ⚠ marks a
        method below chance or below the question prior. ↑ higher is better, ↓ lower is better; entropy in nats (of the model's option
        distribution); Params % of the backbone's; zone silhouette of the per-country signatures (−1 to 1, higher: countries of a zone sit together).
        {run.references?.length ? (
          <>
            {' '}
            The grey rows come from no model: the <em>question prior</em> answers every person with the question's training frequencies, which is where an
            adapter that ignores the person ends (mean collapse); the <em>zone prior</em> knows only the person's cultural zone; <em><Term t="P*" /></em> is the ground truth.
          </>
        ) : null}
      </p>
      <AdapterList run={run} />
      {run.loco.length > 0 && (
        <div className="table-scroll">
          <h3 className="small-h">Table 2 · zero-shot: a zone or some of its profiles held out</h3>
          <table className="results-table loco-table" data-testid="loco-table" data-rows={run.loco.length}>
            <thead>
              <tr>
                <th scope="col">Held out</th>
                <th scope="col">Zone</th>
                <th scope="col">Method</th>
                <th scope="col">n</th>
                <th scope="col">Acc full</th>
                <th scope="col">Acc LOCO</th>
                <th scope="col">Δ Acc</th>
                <th scope="col">
                  <Term t="EMD (WVB)" /> full
                </th>
                <th scope="col">
                  <Term t="EMD (WVB)" /> held out
                </th>
                <th scope="col">
                  <Term t="EMD to P*" /> full
                </th>
                <th scope="col">
                  <Term t="EMD to P*" /> held out
                </th>
              </tr>
            </thead>
            <tbody>
              {run.loco.map((r) => {
                const d = r.loco.acc - r.full.acc;
                return (
                  <tr key={`${r.zone}|${r.method}|${r.split ?? 'zone'}`} data-split={r.split ?? 'zone'}>
                    <td>{r.split === 'profiles' ? <Term t="held-out profiles">profiles</Term> : 'whole zone'}</td>
                    <th scope="row">{r.zone}</th>
                    <td>{r.label}</td>
                    <td>{r.nTest}</td>
                    <td>{f3(r.full.acc)}</td>
                    <td>{f3(r.loco.acc)}</td>
                    <td>{`${d >= 0 ? '+' : ''}${d.toFixed(3)}`}</td>
                    <td>{f3(r.full.emdWvb)}</td>
                    <td>{f3(r.loco.emdWvb)}</td>
                    <td>{f3(r.full.emdCalibration)}</td>
                    <td>{f3(r.loco.emdCalibration)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="table-note">
            Table 2: accuracy and EMD on held-out test answers, from the model trained on everything (full) and from one trained without them (held out). <em>Whole zone</em>: every answer of
            the zone's people left out (<Term t="LOCO" />). <em>Profiles</em>: as CUMA's Appendix E.2, a share of every zone's profiles left out while the zone's other profiles are trained on;
            n is the number of those profiles' test answers, small where the world is small.
          </p>
        </div>
      )}
    </section>
  );
}
