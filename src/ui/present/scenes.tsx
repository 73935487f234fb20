// The Present deck's scenes. Each reads what it shows from the model (through the lab store's probe, with
// the deck method's trained default), the shipped files, or a CPU toy, so a replay shows the same numbers.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ScoreResult } from '../../adapters/session';
import { OPTION_LETTERS } from '../../adapters/session';
import { useLab } from '../../state/lab';
import type { Deck } from '../../state/deck';
import { personaCondition } from '../../state/scene';
import { diffMatrix, meanGates, totalVariation, zMatrix } from '../../state/plots';
import { DEFAULTS_SOURCE, RECORDED_SOURCE, useAtlas } from '../../state/atlas';
import { useTrain } from '../../state/train';
import { OptionBars } from '../shared/OptionBars';
import { Heatmap } from '../shared/Heatmap';
import { Plot } from '../shared/Plot';
import { personaColor } from '../shared/colors';
import { AtlasScatter } from '../atlas/AtlasScatter';
import { CollapseToy } from '../learn/CollapseChapter';
import { CONTRAST_RESULTS } from './results';
import { useDeckModel } from './useDeckModel';

function personaLabel(d: Deck, i: 0 | 1): string {
  const p = d.personas[i].profile;
  return [p.country, p.age != null ? String(p.age) : ''].filter(Boolean).join(', ') || `Persona ${i + 1}`;
}

/** Scores on the model once the deck's adapter is on; recomputed on every visit (deterministic). */
function useProbe(deck: Deck, which: 'personas' | 'blend' | 'routing') {
  const { on, why } = useDeckModel(deck.method);
  const [res, setRes] = useState<{ key: string; value: ScoreResult[] } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const key = JSON.stringify([which, deck.method, deck.personas, deck.question, deck.options]);
  useEffect(() => {
    if (!on) return;
    let live = true;
    setErr(null);
    const [a, b] = deck.personas.map((p) => personaCondition(p, 'adapter'));
    const conditions = which === 'blend' ? Array.from({ length: 11 }, (_, i) => ({ ...a, textB: b.text, sentenceB: b.sentence, alpha: i / 10 })) : [a, b];
    void useLab
      .getState()
      .probe(conditions, deck.question, deck.options, which === 'routing')
      .then((r) => {
        if (!live) return;
        if (r.ok) setRes({ key, value: r.value });
        else setErr(r.error.message);
      });
    return () => {
      live = false;
    };
  }, [on, key, which, deck]);
  return { value: res?.key === key ? res.value : null, why: err ?? why };
}

function Waiting({ why }: { why: string | null }) {
  return <p className="scene-wait">{why ?? 'Scoring…'}</p>;
}

/** Plot height that fits the stage under its title at this window's height (projectors are often 720 px). */
export function useStageHeight(reserve = 330, max = 600): number {
  const [h, setH] = useState(() => window.innerHeight);
  useEffect(() => {
    const on = () => setH(window.innerHeight);
    window.addEventListener('resize', on);
    document.addEventListener('fullscreenchange', on);
    return () => {
      window.removeEventListener('resize', on);
      document.removeEventListener('fullscreenchange', on);
    };
  }, []);
  return Math.max(260, Math.min(max, h - reserve));
}

export function PersonasScene({ deck }: { deck: Deck }) {
  const { value, why } = useProbe(deck, 'personas');
  const stageH = useStageHeight(300, 520);
  const tv = value ? totalVariation(value[0].probs, value[1].probs) : null;
  return (
    <div className="scene-personas" data-testid="scene-personas" data-tv={tv ?? ''} data-probs={value ? JSON.stringify(value.map((v) => v.probs)) : ''}>
      <p className="scene-question">“{deck.question}”</p>
      {value ? (
        <>
          <div className="scene-two">
            {([0, 1] as const).map((i) => (
              <OptionBars key={i} result={value[i]} options={deck.options} color={personaColor(i)} title={personaLabel(deck, i)} testId={`scene-bars-${i}`} height={Math.min(110 + 62 * deck.options.length, stageH)} big />
            ))}
          </div>
          <p className="scene-stat">
            Total variation between them: <strong>{tv!.toFixed(2)}</strong> <span className="muted">(0 = the same answers, 1 = no overlap)</span>
          </p>
        </>
      ) : (
        <Waiting why={why} />
      )}
    </div>
  );
}

export function BlendScene({ deck }: { deck: Deck }) {
  const { value, why } = useProbe(deck, 'blend');
  const stageH = useStageHeight(330, 560);
  const alphas = useMemo(() => Array.from({ length: 11 }, (_, i) => i / 10), []);
  const data = useMemo(
    () =>
      value
        ? deck.options.map((o, k) => ({
            type: 'scatter',
            mode: 'lines+markers',
            name: `${OPTION_LETTERS[k]}. ${o}`,
            x: alphas,
            y: value.map((v) => v.probs[k]),
            line: { width: 5, color: personaColor(k) },
            marker: { size: 12 },
          }))
        : [],
    [value, deck.options, alphas],
  );
  const layout = useMemo(
    () => ({
      font: { size: 22 },
      xaxis: { title: { text: `α: ${personaLabel(deck, 0)} (0) → ${personaLabel(deck, 1)} (1)` }, dtick: 0.1, range: [-0.02, 1.02] },
      yaxis: { title: { text: 'probability of the answer' }, range: [0, 1], tickformat: '.0%' },
      legend: { x: 1.02, y: 1, font: { size: 20 } },
      margin: { l: 90, r: 20, t: 10, b: 70 },
    }),
    [deck],
  );
  return (
    <div data-testid="scene-blend" data-probs={value ? JSON.stringify(value.map((v) => v.probs)) : ''}>
      <p className="scene-question">“{deck.question}”</p>
      {value ? <Plot data={data} layout={layout} height={stageH} label="Answer probabilities as the condition moves from persona A to B" /> : <Waiting why={why} />}
    </div>
  );
}

export function RoutingScene({ deck }: { deck: Deck }) {
  const { value, why } = useProbe(deck, 'routing');
  const stageH = useStageHeight(300, 520);
  const maps = useMemo(() => {
    if (!value) return null;
    const [ra, rb] = value;
    if (ra.gates && rb.gates) {
      const a = meanGates(ra.gates);
      const b = meanGates(rb.gates);
      return { a, b, d: diffMatrix(a, b), min: Math.min(0, ...a.flat(), ...b.flat()), max: Math.max(...a.flat(), ...b.flat()), x: Array.from({ length: ra.gates.E }, (_, e) => `E${e + 1}`), y: a.map((_, l) => l), xTitle: 'expert', value: 'mean gate g' };
    }
    if (ra.z && rb.z) {
      const a = zMatrix(ra.z, 0);
      const b = zMatrix(rb.z, 0);
      return { a, b, d: diffMatrix(a, b), min: Math.min(0, ...a.flat(), ...b.flat()), max: Math.max(...a.flat(), ...b.flat()), x: a[0].map((_, i) => `z${i + 1}`), y: a.map((_, l) => l), xTitle: `rank (${ra.z.targets[0]})`, value: 'z' };
    }
    return null;
  }, [value]);
  return (
    <div data-testid="scene-routing" data-diff={maps ? JSON.stringify(maps.d) : ''}>
      {maps ? (
        <div className="scene-three">
          <Heatmap z={maps.a} x={maps.x} y={maps.y} title={personaLabel(deck, 0)} xTitle={maps.xTitle} yTitle="layer" valueTitle={maps.value} kind="value" zmin={maps.min} zmax={maps.max} testId="scene-routing-a" height={stageH} big />
          <Heatmap z={maps.b} x={maps.x} y={maps.y} title={personaLabel(deck, 1)} xTitle={maps.xTitle} yTitle="layer" valueTitle={maps.value} kind="value" zmin={maps.min} zmax={maps.max} testId="scene-routing-b" height={stageH} big />
          <Heatmap z={maps.d} x={maps.x} y={maps.y} title="A − B" xTitle={maps.xTitle} yTitle="layer" valueTitle="difference" kind="diff" testId="scene-routing-diff" height={stageH} big />
        </div>
      ) : (
        <Waiting why={why} />
      )}
    </div>
  );
}

const ATLAS_METHOD: Record<Deck['method'], string> = { cuma: 'cuma', zhyper: 'zhyper-diag' };

export function AtlasScene({ deck, replayKey }: { deck: Deck; replayKey: number }) {
  const defaults = useAtlas((s) => s.defaults);
  const layout = useAtlas((s) => s.layout);
  const replaying = useAtlas((s) => s.replaying);
  const runs = useTrain((s) => s.runs);
  const shipped = useAtlas((s) => s.recorded);
  const method = ATLAS_METHOD[deck.method];
  const set = defaults?.adapters.find((a) => a.method === method)?.set;
  // the newest kept run with a recording of this deck's method (or any conditioned one)
  const recorded = useMemo(() => {
    for (const r of runs) {
      const m = r.recording?.[method] ? method : Object.keys(r.recording ?? {}).find((k) => (r.recording?.[k]?.length ?? 0) > 1);
      if (m && (r.recording?.[m]?.length ?? 0) > 1) return { run: r, method: m, frames: r.recording![m] };
    }
    // else the run `npm run record:run` recorded and the app ships
    const frames = shipped?.recording?.cuma;
    return shipped && frames && frames.length > 1 ? { run: shipped, method: 'cuma', frames } : null;
  }, [runs, method, shipped]);
  useEffect(() => {
    void useAtlas.getState().loadDefaults();
    void useAtlas.getState().loadRecorded();
    void useTrain.getState().init();
    return () => useAtlas.getState().stopReplay();
  }, []);
  useEffect(() => {
    if (set && !useAtlas.getState().replaying) useAtlas.getState().show({ runId: DEFAULTS_SOURCE, method, perLayer: false, snapshot: { method, step: 0, set, updates: 1 } });
  }, [set, method]);
  // a replay starts on R only (a runs update must not restart it)
  const recordedRef = useRef(recorded);
  recordedRef.current = recorded;
  useEffect(() => {
    const r = recordedRef.current;
    if (replayKey > 0 && r) void useAtlas.getState().replay({ runId: r.run.id, method: r.method, perLayer: false }, r.frames);
  }, [replayKey]);
  const key = replaying && recorded ? `${recorded.run.id}|${recorded.method}|mean` : `${DEFAULTS_SOURCE}|${method}|mean`;
  const shown = layout?.key === key ? layout : null;
  const stageH = useStageHeight(380, 640);
  if (defaults === null) return <p className="scene-wait">The shipped signatures (adapters/signatures.json) are missing: run npm run signatures:defaults.</p>;
  return (
    <div data-testid="scene-atlas" data-points={shown?.points.length ?? 0}>
      <p className="scene-caption">
        {replaying
          ? `Replaying ${recorded?.run.id === RECORDED_SOURCE ? 'a recorded run (CUMA, 8 countries)' : 'a run kept in this browser'}: frame ${replaying.frame} of ${replaying.frames}, step ${replaying.step} of ${recorded?.run.config.steps ?? '?'}`
          : `${set?.countries.length ?? '…'} countries, ${deck.method === 'cuma' ? 'CUMA’s mean routing ḡ_c' : 'Zhyper’s mean z̄_c'} (shipped default adapter)${set?.silhouette != null ? ` · zone silhouette ${set.silhouette.toFixed(2)} (−1…1, higher = zones apart)` : ''}`}
        {!replaying && recorded ? ' · press R to replay training' : ''}
      </p>
      {shown ? <AtlasScatter points={shown.points} height={stageH} testId="scene-atlas-plot" label="Countries placed by t-SNE of their signatures" big /> : <p className="scene-wait">Laying out the map…</p>}
    </div>
  );
}

export function CollapseScene() {
  return <CollapseToy autoRun big />;
}

/** Wilson score interval for a proportion: honest at small n. */
export function wilson(p: number, n: number, zq = 1.96): [number, number] {
  const d = 1 + (zq * zq) / n;
  const c = (p + (zq * zq) / (2 * n)) / d;
  const h = (zq * Math.sqrt((p * (1 - p)) / n + (zq * zq) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

export function ResultsScene() {
  const r = CONTRAST_RESULTS;
  return (
    <div data-testid="scene-results">
      <table className="scene-table">
        <thead>
          <tr>
            <th>Method</th>
            <th title="Share of held-out answers predicted exactly; higher is better">Accuracy ↑ (95% CI)</th>
            <th title="Earth mover's distance to the true answer distribution, divided by K − 1; lower is better">EMD ↓</th>
            <th title="Entropy of the predicted distribution, nats">Entropy</th>
          </tr>
        </thead>
        <tbody>
          {r.rows.map((row) => {
            const [lo, hi] = wilson(row.acc, row.n);
            return (
              <tr key={row.label} className={row.reference ? 'reference' : undefined}>
                <td>{row.label}</td>
                <td>
                  {row.acc.toFixed(2)} <span className="muted">({lo.toFixed(2)}–{hi.toFixed(2)})</span>
                </td>
                <td>{row.emd.toFixed(2)}</td>
                <td>{row.entropy.toFixed(2)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="scene-caption">{r.caption}</p>
    </div>
  );
}
