// Mean collapse: groups that answer one question in opposite ways, one dense fit against a fit routed by
// group identity, trained live in the page (CPU, milliseconds; no WebGPU needed).
import { useEffect, useMemo, useRef, useState } from 'react';
import { conflictingGroups, initFit, metrics, predict, step, type CollapseFit, type CollapseMetrics } from '../../learn/collapse';
import { Plot } from '../shared/Plot';
import { personaColor } from '../shared/colors';
import { Chapter, Readout } from './Chapter';

export const COLLAPSE_STEPS = 400;
const STEPS_PER_FRAME = 8;
const LR = 1.5;

interface RunState {
  step: number;
  dense: CollapseFit;
  routed: CollapseFit;
  history: { dense: CollapseMetrics[]; routed: CollapseMetrics[] };
}

function fresh(modes: number): RunState {
  const groups = conflictingGroups(modes);
  const K = groups[0].dist.length;
  const dense = initFit(1, modes, K);
  const routed = initFit(modes, modes, K);
  return { step: 0, dense, routed, history: { dense: [metrics(dense, groups, 0)], routed: [metrics(routed, groups, 0)] } };
}

/** The toy, shared by the Learn chapter and the Present deck. Deterministic: same modes, same numbers. */
export function CollapseToy({ autoRun = false, big = false }: { autoRun?: boolean; big?: boolean }) {
  const [modes, setModes] = useState(2);
  const groups = useMemo(() => conflictingGroups(modes), [modes]);
  const [run, setRun] = useState<RunState>(() => fresh(2));
  const [playing, setPlaying] = useState(autoRun);
  const frame = useRef(0);
  const K = groups[0].dist.length;

  useEffect(() => {
    if (!playing) return;
    const tick = () => {
      setRun((r) => {
        if (r.step >= COLLAPSE_STEPS) return r;
        let { dense, routed } = r;
        let s = r.step;
        const hd = [...r.history.dense];
        const hr = [...r.history.routed];
        for (let i = 0; i < STEPS_PER_FRAME && s < COLLAPSE_STEPS; i++) {
          dense = step(dense, groups, LR);
          routed = step(routed, groups, LR);
          s++;
        }
        hd.push(metrics(dense, groups, s));
        hr.push(metrics(routed, groups, s));
        return { step: s, dense, routed, history: { dense: hd, routed: hr } };
      });
      frame.current = requestAnimationFrame(tick);
    };
    frame.current = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame.current);
  }, [playing, groups]);
  useEffect(() => {
    if (run.step >= COLLAPSE_STEPS) setPlaying(false);
  }, [run.step]);

  const reset = (m = modes) => {
    setModes(m);
    setRun(fresh(m));
    setPlaying(false);
  };
  const d = run.history.dense.at(-1)!;
  const r = run.history.routed.at(-1)!;
  const pd = predict(run.dense, K);
  const pr = predict(run.routed, K);
  const opts = Array.from({ length: K }, (_, j) => `${j + 1}`);
  const h = big ? 320 : 240;
  return (
    <div className="collapse-toy" data-testid="collapse-toy" data-step={run.step}>
      <div className="toy-controls">
        <button className="primary big" data-testid="collapse-train" disabled={playing || run.step >= COLLAPSE_STEPS} onClick={() => setPlaying(true)}>
          {playing ? `Training… step ${run.step}` : run.step >= COLLAPSE_STEPS ? `Trained (${COLLAPSE_STEPS} steps)` : run.step ? 'Continue' : 'Train both'}
        </button>
        <button className="secondary" data-testid="collapse-reset" onClick={() => reset()}>
          Reset
        </button>
        <fieldset className="seg" aria-label="Groups">
          {[2, 3].map((m) => (
            <label key={m} className="check">
              <input type="radio" name="collapse-modes" checked={modes === m} onChange={() => reset(m)} data-testid={`collapse-groups-${m}`} /> {m} groups
            </label>
          ))}
        </fieldset>
        <span className="muted small">step {run.step} of {COLLAPSE_STEPS}</span>
      </div>
      <div className="readouts">
        <Readout label="Entropy: dense / routed" testId="collapse-entropy" raw={d.entropy - r.entropy} value={`${d.entropy.toFixed(2)} / ${r.entropy.toFixed(2)}`} hint="Mean entropy of the predicted answer distribution, in nats: higher = less committed" />
        <Readout label="EMD to each group: dense / routed" testId="collapse-emd" raw={d.emd - r.emd} value={`${d.emd.toFixed(3)} / ${r.emd.toFixed(3)}`} hint="Earth mover's distance to the group's true answers, divided by K − 1: 0 = exact. Lower is better." />
        <Readout label="Loss: dense / routed" testId="collapse-loss" raw={d.loss - r.loss} value={`${d.loss.toFixed(3)} / ${r.loss.toFixed(3)}`} hint="Cross-entropy against the groups' answers, in nats. Lower is better." />
      </div>
      <div className={`heat-row n${modes}`} data-testid="collapse-metrics" data-dense-entropy={d.entropy} data-routed-entropy={r.entropy} data-dense-emd={d.emd} data-routed-emd={r.emd}>
        {groups.map((g, i) => (
          <Plot
            key={`${modes}-${i}`}
            height={h}
            label={`${g.name}: true answers and both fits`}
            data={[
              { type: 'bar', name: `${g.name}'s answers`, x: opts, y: g.dist, marker: { color: personaColor(i + 2), opacity: 0.55 } },
              { type: 'scatter', mode: 'lines+markers', name: 'dense fit (one for all)', x: opts, y: pd[i], line: { color: '#d55e00', width: 4 }, marker: { size: 9 } },
              { type: 'scatter', mode: 'lines+markers', name: 'routed fit (by group)', x: opts, y: pr[i], line: { color: '#0072b2', width: 4, dash: 'dot' }, marker: { size: 9, symbol: 'diamond' } },
            ]}
            layout={{
              showlegend: i === 0,
              legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
              xaxis: { title: { text: `${g.name}: answer option (1–7)` }, type: 'category' },
              yaxis: { range: [0, 0.85], title: { text: 'probability' } },
              margin: { l: 56, r: 10, t: i === 0 ? 56 : 20, b: 56 },
            }}
          />
        ))}
      </div>
    </div>
  );
}

export function CollapseChapter() {
  return (
    <Chapter
      id="collapse"
      title="4 · Mean collapse: why one adapter for everyone fails"
      next={{ view: 'train', label: 'Train LoRA against CUMA on the synthetic world in Train' }}
      text={
        <>
          <p>
            Two groups answer the same question in opposite ways: group A near option 2, group B near option 6. One dense fit must serve both. Cross-entropy pushes it to cover both
            modes with one bump, so it sits in the empty middle with a wide, uncertain answer that fits nobody.
          </p>
          <p>
            A routed fit has one expert per mode, and the router picks the expert from the group's identity. Press Train and watch the dense fit spread out while the routed experts
            settle on each mode. Entropy and EMD stay high for the dense fit and fall for the routed one. CUMA makes this argument with real cultures.
          </p>
        </>
      }
    >
      <CollapseToy />
    </Chapter>
  );
}
