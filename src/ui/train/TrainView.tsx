// Train: pick methods, data and budget; watch progress, loss and probe-metric curves; read CUMA's
// Table 1 (and Table 2) as methods finish; export results and trained adapters; reopen kept runs.
import { useEffect } from 'react';
import { useTrain } from '../../state/train';
import { ViewHeader } from '../shared/ViewHeader';
import { CurvesCard, ResultsCard, RunProgressCard } from './RunPanels';
import { RunList } from './RunList';
import { RunButtons } from './RunButtons';
import { TrainErrors } from './TrainErrors';
import { TrainSetup } from './TrainSetup';

export function TrainView() {
  const run = useTrain((s) => s.runs.find((r) => r.id === s.currentId));
  const notice = useTrain((s) => s.notice);
  const init = useTrain((s) => s.init);
  useEffect(() => {
    void init();
  }, [init]);
  return (
    <div className="lab-view train-view" data-testid="view-train">
      <ViewHeader title="Train">
        Train Zhyper, CUMA and dense LoRA on the synthetic world or on real opinions, and compare them as the papers do: accuracy, macro-F1, EMD, entropy, fairness across countries, parameter share, zone silhouette.
      </ViewHeader>
      <TrainErrors />
      <div className="columns train-columns">
        <div className="side">
          <TrainSetup />
          <RunList />
        </div>
        <div className="main">
          <RunButtons />
          {notice && (
            <p className="note" role="status">
              {notice}
            </p>
          )}
          {run ? (
            <>
              <RunProgressCard run={run} />
              <CurvesCard run={run} />
              <ResultsCard run={run} />
            </>
          ) : (
            <section className="card empty-run">
              <h2>No run yet</h2>
              <p className="muted">
                Pick methods on the left and press Start. “Tiny” is the smallest world; the estimate under Start comes from the step times measured in your last run; the loss curve, the probe metrics and the results table fill
                in as the run goes, and the Atlas view shows the countries' signatures forming.
              </p>
            </section>
          )}
        </div>
      </div>
    </div>
  );
}
