// Zhyper: ΔW = B·diag(z)·A. A and B are shared by everyone; the condition only sets the r numbers of z.
// A slider moves z from persona A's to persona B's (the real z of the trained default when it is on).
import { useMemo, useState } from 'react';
import { mulberry32 } from '../../model/sampling';
import { normal } from '../../data/rng';
import { blendPair, useLab } from '../../state/lab';
import { personaName } from '../../state/scene';
import { Heatmap } from '../shared/Heatmap';
import { Plot } from '../shared/Plot';
import { AccountingPanel } from '../shared/Accounting';
import { LabErrors } from '../shared/LabError';
import { personaColor } from '../shared/colors';
import { Chapter, Readout, Slider } from './Chapter';
import { useDefaultAdapter } from './useDefaultAdapter';

const D = 24;

function seeded(rows: number, cols: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => normal(r) / Math.sqrt(cols)));
}

/** Two made-up z vectors for when the real ones are not loaded: they disagree on a few directions. */
function toyZ(r: number): [number[], number[]] {
  return [Array.from({ length: r }, (_, i) => 1 + 0.6 * Math.sin(1 + 2.1 * i)), Array.from({ length: r }, (_, i) => 1 - 0.6 * Math.sin(1 + 2.1 * i))];
}

export function ZhyperChapter() {
  const routing = useLab((s) => s.routing);
  const routingBusy = useLab((s) => s.routingBusy);
  const personas = useLab((s) => s.personas);
  const blendA = useLab((s) => s.blendA);
  const blendB = useLab((s) => s.blendB);
  const [A, B] = blendPair({ personas, blendA, blendB });
  const def = useDefaultAdapter('zhyper');
  const [t, setT] = useState(0);
  const [layer, setLayer] = useState(0);
  const [target, setTarget] = useState(0);
  const realZ = useMemo(() => (def.on && routing?.ra.z && routing.rb.z && routing.a === A.id && routing.b === B.id ? { a: routing.ra.z, b: routing.rb.z } : null), [def.on, routing, A.id, B.id]);
  const layers = realZ?.a.values.length ?? 1;
  const targets = realZ?.a.targets ?? [];
  const [zA, zB] = useMemo((): [number[], number[]] => {
    if (!realZ) return toyZ(8);
    const l = Math.min(layer, realZ.a.values.length - 1);
    const ti = Math.min(target, realZ.a.targets.length - 1);
    return [realZ.a.values[l][ti], realZ.b.values[l][ti]];
  }, [realZ, layer, target]);
  const r = zA.length;
  const z = zA.map((v, i) => (1 - t) * v + t * zB[i]);
  const Am = useMemo(() => seeded(r, D, 11), [r]);
  const Bm = useMemo(() => seeded(D, r, 12), [r]);
  const dW = useMemo(() => Bm.map((brow) => Array.from({ length: D }, (_, c) => brow.reduce((acc, b, j) => acc + b * z[j] * Am[j][c], 0))), [Am, Bm, z]);
  const axis = useMemo(() => Array.from({ length: D }, (_, i) => i), []);
  const nameA = personaName(A, 0);
  const nameB = personaName(B, 1);
  const zDiff = Math.sqrt(zA.reduce((a, v, i) => a + (v - zB[i]) ** 2, 0));
  const bars = useMemo(
    () => [
      { type: 'bar', name: nameA, x: zA.map((_, i) => `z${i + 1}`), y: zA, marker: { color: personaColor(0) } },
      { type: 'bar', name: nameB, x: zB.map((_, i) => `z${i + 1}`), y: zB, marker: { color: personaColor(1) } },
      { type: 'scatter', mode: 'markers', name: `z at t = ${t.toFixed(2)}`, x: z.map((_, i) => `z${i + 1}`), y: z, marker: { size: 14, color: '#141a22', symbol: 'diamond' } },
    ],
    [zA, zB, z, t, nameA, nameB],
  );
  const barLayout = useMemo(() => ({ title: { text: realZ ? `Trained default's z (layer ${layer}, ${targets[target] ?? ''})` : 'z of two made-up conditions' }, barmode: 'group', legend: { orientation: 'h', y: -0.25 }, yaxis: { title: { text: 'z (1 = plain LoRA)' } }, margin: { l: 60, r: 10, t: 48, b: 80 } }), [realZ, layer, target, targets]);
  const loadReal = async () => {
    if (await def.putOn()) useLab.getState().refreshRouting();
  };
  return (
    <Chapter
      id="zhyper"
      title="2 · Zhyper: one condition, r numbers per layer"
      next={{ view: 'blend', label: 'Move between two personas on the real model in Blend' }}
      text={
        <>
          <p>
            Zhyper writes the update as ΔW = B·diag(z)·A. Everyone shares A and B. A hypernetwork reads the persona's text embedding and outputs only z: r numbers for each layer and
            module.
          </p>
          <p>
            So a persona is a handful of dials, not a new matrix. Slide t from one persona's z to the other's and watch ΔW on the right reshape itself. The real z comes from the
            trained default, for the first two personas in Compare.
          </p>
          <p>
            The parameter arithmetic below is counted honestly. Zhyper trains its hypernetwork and also A and B. A T2L-style hypernetwork would generate all of A and B instead.
          </p>
        </>
      }
    >
      <div className="toy-controls">
        <Slider label={`t: ${nameA} → ${nameB}`} value={t} min={0} max={1} step={0.05} onChange={setT} testId="zhyper-t" format={(v) => v.toFixed(2)} />
        {realZ && (
          <>
            <Slider label="Layer" value={layer} min={0} max={layers - 1} onChange={setLayer} testId="zhyper-layer" />
            <label className="pfield">
              <span>Module</span>
              <select value={target} onChange={(e) => setTarget(Number(e.target.value))} data-testid="zhyper-target">
                {targets.map((tg, i) => (
                  <option key={tg} value={i}>
                    {tg}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        {!realZ && (
          <button className="primary" data-testid="zhyper-real" disabled={!!def.blocked || def.busy || routingBusy} onClick={() => void loadReal()}>
            {def.busy || routingBusy ? 'Loading…' : "Use the trained default's real z"}
          </button>
        )}
      </div>
      {def.blocked && <p className="muted small">{def.blocked}</p>}
      {def.asked && realZ && <p className="muted small">Zhyper's trained default is now on the model: Compare, Blend and Routing use it too.</p>}
      <LabErrors areas={['learn', 'adapter', 'routing']} />
      <div className="readouts">
        <Readout label="Numbers per layer and module" testId="zhyper-r" raw={r} value={`${r}`} hint="r: all a condition changes per layer and module" />
        <Readout label={`‖z_A − z_B‖`} testId="zhyper-zdiff" raw={zDiff} value={zDiff.toFixed(3)} hint="How far apart the two personas' z are (0 = the same update for both)" />
      </div>
      <div className="heat-row two">
        <Plot data={bars} layout={barLayout} height={300} testId="zhyper-z" label="z of two personas and the mix" attrs={{ 'data-z': JSON.stringify(z.map((v) => +v.toFixed(6))), 'data-real': realZ ? 'true' : 'false' }} />
        <Heatmap z={dW} x={axis} y={axis} title="ΔW = B·diag(z)·A (24×24 toy A, B)" xTitle="column" yTitle="row" valueTitle="ΔW" kind="diff" testId="zhyper-dw" height={300} gaps={false} />
      </div>
      <details className="accounting-details">
        <summary>Parameter accounting: Zhyper against generating all of A and B (T2L), CUMA and LoRA</summary>
        <AccountingPanel />
      </details>
    </Chapter>
  );
}
