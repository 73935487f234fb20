// Start, pause, resume and stop: beside the run's progress, so the action and what it does are seen together.
import { formProblem } from '../../state/runlog';
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
        {active && <p className="muted small">While a run trains, the model is busy: Compare, Blend, Routing and chat wait until it ends (they say so).</p>}
    </section>
  );
}
