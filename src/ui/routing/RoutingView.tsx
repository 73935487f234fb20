// Routing: what the adapter does per persona. CUMA: the routers' gates per token and expert at a chosen
// layer, the mean gate per layer and expert, and persona A minus persona B. Zhyper: z per layer and rank
// for each target module, and A minus B.
import { useEffect, useId, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ScoreResult } from '../../adapters/session';
import { blendPair, useLab } from '../../state/lab';
import { diffMatrix, meanGates, tokenExpertGates, tokenLabels, zMatrix } from '../../state/plots';
import { personaName, personaText } from '../../state/scene';
import { useApp } from '../../state/store';
import { AdapterBar } from '../shared/AdapterBar';
import { Heatmap } from '../shared/Heatmap';
import { LabErrors } from '../shared/LabError';
import { PairPicker } from '../shared/PairPicker';
import { ShareButton } from '../shared/ShareButton';
import { ViewHeader } from '../shared/ViewHeader';

const experts = (E: number) => Array.from({ length: E }, (_, e) => `E${e + 1}`);

function CumaRouting({ ra, rb, nameA, nameB }: { ra: ScoreResult; rb: ScoreResult; nameA: string; nameB: string }) {
  const uid = useId();
  const layerPref = useLab((s) => s.routingLayer);
  const setLayer = useLab((s) => s.setRoutingLayer);
  const ga = ra.gates!;
  const gb = rb.gates!;
  const L = ga.layers.length;
  const layer = Math.min(layerPref, L - 1);
  const E = ga.E;
  const tokA = useMemo(() => tokenExpertGates(ga, layer), [ga, layer]);
  const tokB = useMemo(() => tokenExpertGates(gb, layer), [gb, layer]);
  const labelsA = useMemo(() => tokenLabels(ga.tokens), [ga]);
  const labelsB = useMemo(() => tokenLabels(gb.tokens), [gb]);
  const meanA = useMemo(() => meanGates(ga), [ga]);
  const meanB = useMemo(() => meanGates(gb), [gb]);
  const diff = useMemo(() => diffMatrix(meanA, meanB), [meanA, meanB]);
  const layers = meanA.map((_, l) => l);
  const ex = experts(E);
  return (
    <>
      <section className="card">
        <div className="card-head">
          <h2>Gates per token at one layer</h2>
          <label className="layer-pick" htmlFor={`${uid}-layer`}>
            <span>
              Layer <output data-testid="routing-layer-value">{layer}</output> of {L - 1}
            </span>
            <input
              id={`${uid}-layer`}
              type="range"
              min={0}
              max={L - 1}
              step={1}
              value={layer}
              data-testid="routing-layer"
              aria-valuetext={`layer ${layer}`}
              onChange={(e) => setLayer(Number(e.target.value))}
            />
          </label>
        </div>
        <p className="muted small">
          Each row is a token of the prompt as the model read it; each column an expert. With top-k routing only k gates per token are non-zero; they sum to 1.
        </p>
        <div className="heat-grid two">
          <Heatmap testId="routing-heatmap" kind="value" zmin={0} zmax={1} z={tokA} x={ex} y={labelsA} title={`A · ${nameA} · layer ${layer}`} xTitle="expert" yTitle="token" valueTitle="gate g (0–1)" />
          <Heatmap testId="routing-heatmap-b" kind="value" zmin={0} zmax={1} z={tokB} x={ex} y={labelsB} title={`B · ${nameB} · layer ${layer}`} xTitle="expert" yTitle="token" valueTitle="gate g (0–1)" />
        </div>
      </section>
      <section className="card">
        <h2>Mean gate per layer and expert</h2>
        <p className="muted small">Gates averaged over the prompt's tokens. The difference is A − B: red where persona A uses an expert more, blue where B does.</p>
        <div className="heat-grid three">
          <Heatmap testId="routing-mean-a" kind="value" zmin={0} zmax={1} z={meanA} x={ex} y={layers} title={`A · ${nameA}`} xTitle="expert" yTitle="layer" valueTitle="mean gate (0–1)" />
          <Heatmap testId="routing-mean-b" kind="value" zmin={0} zmax={1} z={meanB} x={ex} y={layers} title={`B · ${nameB}`} xTitle="expert" yTitle="layer" valueTitle="mean gate (0–1)" />
          <Heatmap testId="routing-diff" kind="diff" z={diff} x={ex} y={layers} title="A − B" xTitle="expert" yTitle="layer" valueTitle="gate difference" />
        </div>
      </section>
    </>
  );
}

function ZhyperRouting({ ra, rb, nameA, nameB }: { ra: ScoreResult; rb: ScoreResult; nameA: string; nameB: string }) {
  const za = ra.z!;
  const zb = rb.z!;
  const square = (za.values[0]?.[0]?.length ?? 0) === za.r * za.r && za.r > 1;
  const cols = Array.from({ length: square ? za.r * za.r : za.r }, (_, j) => (square ? `${Math.floor(j / za.r) + 1},${(j % za.r) + 1}` : `${j + 1}`));
  return (
    <section className="card">
      <h2>Zhyper z per layer{square ? ' (square Z, row-major)' : ''}</h2>
      <p className="muted small">
        The hypernetwork turns the persona's embedding into {square ? `an r×r matrix Z` : `r = ${za.r} numbers z`} per layer and module; the update is ΔW = s·B·{square ? 'Z' : 'diag(z)'}·A. The
        difference is A − B: red where A's z is larger, blue where B's is.
      </p>
      {za.targets.map((t, ti) => {
        const a = zMatrix(za, ti);
        const b = zMatrix(zb, ti);
        const d = diffMatrix(a, b);
        const layers = a.map((_, l) => l);
        // one colour range for A and B, so equal colours mean equal z
        const all = [...a.flat(), ...b.flat()];
        const zmin = Math.min(...all);
        const zmax = Math.max(...all);
        return (
          <div key={t} className="target-block">
            <h3 className="small-h">{t}_proj</h3>
            <div className="heat-grid three">
              <Heatmap testId={`routing-z-${t}-a`} kind="value" zmin={zmin} zmax={zmax} z={a} x={cols} y={layers} title={`A · ${nameA}`} xTitle={square ? 'Z entry' : 'rank index i'} yTitle="layer" valueTitle="z value" />
              <Heatmap testId={`routing-z-${t}-b`} kind="value" zmin={zmin} zmax={zmax} z={b} x={cols} y={layers} title={`B · ${nameB}`} xTitle={square ? 'Z entry' : 'rank index i'} yTitle="layer" valueTitle="z value" />
              <Heatmap testId={`routing-z-${t}-diff`} kind="diff" z={d} x={cols} y={layers} title="A − B" xTitle={square ? 'Z entry' : 'rank index i'} yTitle="layer" valueTitle="z difference" />
            </div>
          </div>
        );
      })}
    </section>
  );
}

export function RoutingView() {
  const [A, B] = useLab(useShallow(blendPair));
  const personas = useLab((s) => s.personas);
  const textA = personaText(A);
  const textB = personaText(B);
  const adapter = useLab((s) => s.adapter);
  const routing = useLab((s) => s.routing);
  const busy = useLab((s) => s.routingBusy);
  const question = useLab((s) => s.question);
  const options = useLab((s) => s.options);
  const strength = useLab((s) => s.strength);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const refresh = useLab((s) => s.refreshRouting);
  useEffect(() => {
    if (ready && adapter) refresh();
  }, [ready, adapter, textA, textB, question, options, strength, refresh]);
  const nameA = personaName(A, personas.indexOf(A));
  const nameB = personaName(B, personas.indexOf(B));
  const r = routing;
  return (
    <div className="lab-view routing-view" data-testid="view-routing">
      <ViewHeader title="Routing" actions={<ShareButton />}>
        {adapter?.method === 'zhyper'
          ? "What the hypernetwork makes of each persona: z per layer and rank, and where two personas differ."
          : 'Which experts each token is sent to, per layer, and where two personas differ.'}
      </ViewHeader>
      <AdapterBar />
      <LabErrors areas={['routing']} />
      <p className="muted small question-echo">
        Prompt: the Compare question, <strong>{question}</strong> with its {options.length} options.{' '}
        <span role="status" data-testid="routing-status">
          {busy ? 'Updating…' : ''}
        </span>
      </p>
      {!adapter && ready && <p className="note">No adapter yet: make a CUMA (routing) or Zhyper (z) adapter in the bar above.</p>}
      {adapter?.method === 'lora' && <p className="note">A dense LoRA has no router and no z: every persona gets the same update. Pick CUMA or Zhyper above.</p>}
      {r && r.ra.gates && r.rb.gates && <CumaRouting ra={r.ra} rb={r.rb} nameA={nameA} nameB={nameB} />}
      {r && !r.ra.gates && r.ra.z && r.rb.z && <ZhyperRouting ra={r.ra} rb={r.rb} nameA={nameA} nameB={nameB} />}
      {!r && adapter && adapter.method !== 'lora' && <p className="muted">{busy ? 'Reading the routing…' : 'The routing appears here.'}</p>}
      <PairPicker />
    </div>
  );
}
