// Start, pause, resume and stop: beside the run's progress, so the action and what it does are seen together.
import { aboutDuration, buildConfig, formProblem, secondsPerStep, totalSteps } from '../../state/runlog';
import { useMemo } from 'react';
import { useApp } from '../../state/store';
import { useTrain } from '../../state/train';

export function RunButtons() {
  const form = useTrain((s) => s.form);
  const control = useTrain((s) => s.control);
  const start = useTrain((s) => s.start);
  const pause = useTrain((s) => s.pause);
  const resume = useTrain((s) => s.resume);
  const stop = useTrain((s) => s.stop);
  const modelStatus = useApp((s) => s.modelStatus);
  const goqaLoaded = useTrain((s) => !!s.goqa);
  const active = control !== 'idle';
  const problem = formProblem(form, goqaLoaded);
  const modelLabel = useApp((s) => s.summary?.label ?? null);
  // the time per step measured in this browser's latest run on this model: the estimate's basis
  const runs = useTrain((s) => s.runs);
  const measured = useMemo(() => {
    for (const r of runs) {
      if (r.model?.label !== modelLabel) continue;
      const per = secondsPerStep(r);
      if (per !== null) return { per, batch: r.config.batchSize, at: r.createdAt };
    }
    return null;
  }, [runs, modelLabel]);
  const steps = problem ? 0 : totalSteps(buildConfig(form, useTrain.getState().goqa?.name));
  return (
    <section className="card run-controls" aria-label="Run controls">
        {problem && !active && (
          <p className="form-problem" role="status" data-testid="train-form-problem">
            {problem}
          </p>
        )}
        <div className="run-buttons">
          <button className="primary big" data-testid="train-start" disabled={active || !!problem || modelStatus !== 'ready'} onClick={() => void start()}>
            {control === 'starting' ? 'Starting…' : 'Start'}
          </button>
          {control === 'paused' ? (
            <button className="big" data-testid="train-resume" onClick={resume}>
              Resume
            </button>
          ) : control === 'pausing' ? (
            <button className="big" data-testid="train-resume" onClick={resume} title="The run pauses when the step in flight has finished; click to take the pause back">
              Pausing… (resume)
            </button>
          ) : (
            <button className="big" data-testid="train-pause" disabled={control !== 'running'} onClick={pause}>
              Pause
            </button>
          )}
          <button className="big" data-testid="train-stop" disabled={!active || control === 'stopping'} onClick={stop}>
            {control === 'stopping' ? 'Stopping…' : 'Stop'}
          </button>
        </div>
        {!active && !problem && (
          <p className="muted small" data-testid="train-estimate">
            {steps} optimizer steps.{' '}
            {measured
              ? `Estimated ${aboutDuration(steps * measured.per)} of training (plus evaluation): ${measured.per.toFixed(1)} s per step in your run of ${new Date(measured.at).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })} on this model${measured.batch !== form.batchSize ? ` with batch ${measured.batch} (this one has ${form.batchSize})` : ''}.`
              : 'The time per step depends on the device (on a CPU-emulated GPU, seconds to tens of seconds); the run shows the time left once its first steps are measured.'}
          </p>
        )}
        {active && <p className="muted small">While a run trains, the model is busy: Compare, Blend, Routing and chat wait until it ends (their buttons say so).</p>}
    </section>
  );
}
