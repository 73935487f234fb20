// Blend: the condition embedding moves from persona A (α = 0) to persona B (α = 1); the adapter strength
// scales the whole update. The answer distribution and z (or the routers' mean gates) follow live.
import { TRAINING_BUSY_TITLE, useTrainingBusy } from '../shared/useTrainingBusy';
import { useShallow } from 'zustand/react/shallow';
import { useEffect, useId, useMemo } from 'react';
import { blendPair, isCuma, useLab } from '../../state/lab';
import { meanGates, zMatrix } from '../../state/plots';
import { personaText } from '../../state/scene';
import { useApp } from '../../state/store';
import { AdapterBar } from '../shared/AdapterBar';
import { Heatmap } from '../shared/Heatmap';
import { LabErrors } from '../shared/LabError';
import { OptionBars } from '../shared/OptionBars';
import { PairPicker } from '../shared/PairPicker';
import { ShareButton } from '../shared/ShareButton';
import { ViewHeader } from '../shared/ViewHeader';

function Sliders() {
  const uid = useId();
  const alpha = useLab((s) => s.alpha);
  const strength = useLab((s) => s.strength);
  const adapter = useLab((s) => s.adapter);
  const lab = useLab.getState;
  const conditioned = !!adapter && adapter.method !== 'lora';
  const training = useTrainingBusy();
  return (
    <section className="card blend-sliders" aria-label="Blend controls">
      <label className="big-slider" htmlFor={`${uid}-alpha`}>
        <span className="slider-head">
          <span>
            Blend α <output data-testid="blend-alpha-value">{alpha.toFixed(2)}</output>
          </span>
          <span className="muted small">0 = persona A · 1 = persona B (embedding (1−α)·A + α·B)</span>
        </span>
        <input
          id={`${uid}-alpha`}
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={alpha}
          disabled={!conditioned || training}
          title={training ? TRAINING_BUSY_TITLE : undefined}
          data-testid="blend-alpha"
          aria-valuetext={`alpha ${alpha.toFixed(2)}: ${Math.round((1 - alpha) * 100)}% persona A, ${Math.round(alpha * 100)}% persona B`}
          onChange={(e) => lab().setAlpha(Number(e.target.value))}
        />
        <span className="slider-ends" aria-hidden>
          <span>A</span>
          <span>B</span>
        </span>
      </label>
      <label className="big-slider" htmlFor={`${uid}-strength`}>
        <span className="slider-head">
          <span>
            Adapter strength <output data-testid="blend-strength-value">{strength.toFixed(2)}×</output>
          </span>
          <span className="muted small">0 = the backbone alone · 1 = as made · 2 = doubled (applies in every view)</span>
        </span>
        <input
          id={`${uid}-strength`}
          type="range"
          min={0}
          max={2}
          step={0.05}
          value={strength}
          disabled={!adapter || training}
          title={training ? TRAINING_BUSY_TITLE : undefined}
          data-testid="blend-strength"
          aria-valuetext={`${strength.toFixed(2)} times`}
          onChange={(e) => lab().setStrength(Number(e.target.value))}
        />
        <span className="slider-ends" aria-hidden>
          <span>0×</span>
          <span>1×</span>
          <span>2×</span>
        </span>
      </label>
      {adapter && !conditioned && <p className="note">A dense LoRA has no condition: α changes nothing. Make a Zhyper or CUMA adapter to blend.</p>}
    </section>
  );
}

function BlendPlots() {
  const result = useLab((s) => s.blendResult);
  const options = useLab((s) => s.options);
  const adapter = useLab((s) => s.adapter);
  const busy = useLab((s) => s.blendBusy);
  const alpha = useLab((s) => s.alpha);
  const heat = useMemo(() => {
    if (!result) return null;
    if (result.gates) {
      const m = meanGates(result.gates);
      return {
        z: m,
        x: Array.from({ length: result.gates.E }, (_, e) => `E${e + 1}`),
        y: m.map((_, l) => l),
        title: 'Router: mean gate per layer and expert',
        xTitle: 'expert',
        valueTitle: 'mean gate g (0–1)',
        zmin: 0,
        zmax: 1,
      };
    }
    if (result.z) {
      const m = zMatrix(result.z, 0);
      const sq = m[0]?.length === result.z.r * result.z.r;
      return {
        z: m,
        x: m[0]?.map((_, j) => (sq ? `${Math.floor(j / result.z!.r) + 1},${(j % result.z!.r) + 1}` : `${j + 1}`)) ?? [],
        y: m.map((_, l) => l),
        title: `Zhyper z for ${result.z.targets[0]}_proj (per layer)`,
        xTitle: sq ? 'Z entry (row, column)' : 'rank index i of z',
        valueTitle: 'z value',
        zmin: undefined,
        zmax: undefined,
      };
    }
    return null;
  }, [result]);
  return (
    <div className="blend-plots" aria-busy={busy}>
      <section className="card">
        <div className="card-head">
          <h2>Answer at α = {alpha.toFixed(2)}</h2>
          <span className="muted small" role="status" data-testid="blend-status">
            {busy ? 'updating…' : result ? 'up to date' : ''}
          </span>
        </div>
        <OptionBars result={result} options={options} color="#009e73" title="Answer distribution of the blend" testId="blend-bars" height={90 + 44 * options.length} />
      </section>
      <section className="card">
        {heat ? (
          <Heatmap testId="blend-z" kind="value" z={heat.z} x={heat.x} y={heat.y} title={heat.title} xTitle={heat.xTitle} yTitle="layer" valueTitle={heat.valueTitle} zmin={heat.zmin} zmax={heat.zmax} />
        ) : (
          <p className="muted">{adapter ? (isCuma(adapter) || adapter.method === 'zhyper' ? 'z / gates appear after the first score.' : 'A dense LoRA has no z and no router.') : 'No adapter yet.'}</p>
        )}
      </section>
    </div>
  );
}

export function BlendView() {
  const [A, B] = useLab(useShallow(blendPair));
  const textA = personaText(A);
  const textB = personaText(B);
  const alpha = useLab((s) => s.alpha);
  const strength = useLab((s) => s.strength);
  const adapter = useLab((s) => s.adapter);
  const question = useLab((s) => s.question);
  const options = useLab((s) => s.options);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const refresh = useLab((s) => s.refreshBlend);
  useEffect(() => {
    if (ready && adapter) refresh();
  }, [ready, adapter, textA, textB, alpha, strength, question, options, refresh]);
  return (
    <div className="lab-view blend-view" data-testid="view-blend">
      <ViewHeader title="Blend" actions={<ShareButton />}>
        Slide between two personas' condition embeddings: the answer and the adapter's numbers move with them.
      </ViewHeader>
      <AdapterBar />
      <LabErrors areas={['blend']} />
      <div className="blend-main">
        <div className="blend-side">
          <Sliders />
          <p className="muted small question-echo">
            Question: <strong>{question}</strong> (edit it in Compare)
          </p>
        </div>
        <BlendPlots />
      </div>
      <PairPicker />
    </div>
  );
}
