// Mixture-of-experts routing: a router scores N experts per token and keeps the top k. A toy router on the
// words the user types (k, N, softmax or top-k, expert load and the load-balancing loss), then the same
// words through the real routers of CUMA's trained default for persona A and B.
import { useMemo, useState } from 'react';
import { loadStats, softmax, topKGates, wordLogits, words } from '../../learn/router';
import { blendPair, useLab } from '../../state/lab';
import { personaName } from '../../state/scene';
import { Heatmap } from '../shared/Heatmap';
import { Plot } from '../shared/Plot';
import { LabErrors } from '../shared/LabError';
import { Chapter, Readout, Slider } from './Chapter';
import { useDefaultAdapter } from './useDefaultAdapter';

const DEFAULT_TEXT = 'How important is family in your life?';

/** Layer-mean gates per token: [T][E]. */
function layerMean(g: { E: number; tokens: string[]; layers: number[][] }): number[][] {
  const T = g.tokens.length;
  return Array.from({ length: T }, (_, t) => Array.from({ length: g.E }, (_, e) => g.layers.reduce((a, l) => a + l[t * g.E + e], 0) / g.layers.length));
}

export function RoutingChapter() {
  const [text, setText] = useState(DEFAULT_TEXT);
  const [N, setN] = useState(8);
  const [k, setK] = useState(2);
  const [dense, setDense] = useState(false);
  const kk = dense ? N : Math.min(k, N);
  const toks = useMemo(() => words(text), [text]);
  const logits = useMemo(() => toks.map((w) => wordLogits(w, N)), [toks, N]);
  const gates = useMemo(() => logits.map((l) => (dense ? softmax(l) : topKGates(l, kk))), [logits, dense, kk]);
  const stats = useMemo(() => (logits.length ? loadStats(logits, kk) : null), [logits, kk]);
  const experts = useMemo(() => Array.from({ length: N }, (_, i) => `E${i + 1}`), [N]);
  const tokLabels = useMemo(() => toks.map((w, i) => `${i + 1}. ${w}`), [toks]);
  const loadData = useMemo(
    () =>
      stats
        ? [
            { type: 'bar', name: 'f_i: share of routed slots', x: experts, y: stats.f, marker: { color: '#0072b2' } },
            { type: 'bar', name: 'P_i: mean router probability', x: experts, y: stats.P, marker: { color: '#e69f00' } },
            { type: 'scatter', mode: 'lines', name: 'balanced (1/N)', x: experts, y: experts.map(() => 1 / N), line: { dash: 'dash', color: '#56606e' } },
          ]
        : [],
    [stats, experts, N],
  );
  const loadLayout = useMemo(() => ({ title: { text: 'Expert load' }, barmode: 'group', legend: { orientation: 'h', y: -0.3 }, yaxis: { title: { text: 'share (0–1)' }, rangemode: 'tozero' }, margin: { l: 60, r: 10, t: 48, b: 90 } }), []);

  const def = useDefaultAdapter('cuma');
  const textRouting = useLab((s) => s.textRouting);
  const busy = useLab((s) => s.textRoutingBusy);
  const personas = useLab((s) => s.personas);
  const blendA = useLab((s) => s.blendA);
  const blendB = useLab((s) => s.blendB);
  const [A, B] = blendPair({ personas, blendA, blendB });
  const real = def.on && textRouting && textRouting.a === A.id && textRouting.b === B.id ? textRouting : null;
  const realA = useMemo(() => (real ? layerMean(real.ga) : null), [real]);
  const realB = useMemo(() => (real ? layerMean(real.gb) : null), [real]);
  const realDiff = useMemo(() => (realA && realB ? realA.map((row, t) => row.map((v, e) => v - realB[t][e])) : null), [realA, realB]);
  const realTokens = useMemo(() => real?.ga.tokens.map((t, i) => `${i + 1}. ${t.replace(/\s/g, '·') || '∅'}`) ?? [], [real]);
  const realExperts = useMemo(() => Array.from({ length: real?.ga.E ?? 0 }, (_, i) => `E${i + 1}`), [real]);
  const routeReal = async () => {
    if (await def.putOn()) await useLab.getState().routeText(text);
  };
  return (
    <Chapter
      id="routing"
      title="3 · Mixture of experts: who handles which token"
      next={{ view: 'routing', label: "See every layer's routing in the Routing view" }}
      text={
        <>
          <p>
            A mixture of experts keeps N small LoRA updates, the experts. For each token a router gives every expert a score. Softmax turns the scores into gates g. Top-k gating
            keeps only the k largest gates and renormalises them, so each token pays for k experts, not N.
          </p>
          <p>
            If the router sends everything to one expert, the other experts learn nothing. The load-balancing loss N·Σ f_i·P_i is 1 when the load is even and grows towards N as one
            expert takes over. Training adds it with a small weight λ.
          </p>
          <p>CUMA's router also reads the persona's embedding e_d, so different people can use different experts for the same words.</p>
        </>
      }
    >
      <div className="toy-controls">
        <label className="pfield wide">
          <span>Sentence</span>
          <input type="text" value={text} onChange={(e) => setText(e.target.value)} data-testid="routing-text" maxLength={200} />
        </label>
        <Slider label="Experts N" value={N} min={2} max={16} onChange={(v) => setN(v)} testId="routing-n" />
        <Slider label="Top k" value={kk} min={1} max={N} onChange={(v) => setK(v)} testId="routing-k" />
        <label className="check">
          <input type="checkbox" checked={dense} onChange={(e) => setDense(e.target.checked)} data-testid="routing-dense" /> Dense softmax (every expert)
        </label>
      </div>
      <div className="readouts">
        <Readout label="Load-balancing loss" testId="routing-lb" raw={stats?.loss ?? NaN} value={stats ? stats.loss.toFixed(3) : '—'} hint={`N·Σ f_i·P_i over ${toks.length} tokens: 1 = even load, ${N} = one expert takes all. Lower is better.`} />
        <Readout label="Experts per token" testId="routing-active" raw={kk} value={`${kk} of ${N}`} hint="How many experts' updates each token computes" />
      </div>
      {toks.length > 0 ? (
        <div className="heat-row two">
          <Heatmap z={gates} x={experts} y={tokLabels} title={dense ? 'Gates g (dense softmax)' : `Gates g (top-${kk} of ${N})`} xTitle="expert" yTitle="token" valueTitle="gate g (0–1)" kind="value" zmin={0} zmax={1} testId="routing-toy-gates" height={Math.max(300, 110 + 24 * toks.length)} />
          <Plot data={loadData} layout={loadLayout} height={320} testId="routing-load" label="Expert load f and router probability P" />
        </div>
      ) : (
        <p className="muted">Type a sentence.</p>
      )}
      <h3 className="small-h">The same words through the real routers (CUMA's trained default)</h3>
      <div className="row">
        <button className="primary" data-testid="routing-real" disabled={!!def.blocked || def.busy || busy || !text.trim()} onClick={() => void routeReal()}>
          {def.busy || busy ? 'Routing…' : `Route as ${personaName(A, 0)} and ${personaName(B, 1)}`}
        </button>
        {def.blocked && <span className="muted small">{def.blocked}</span>}
      </div>
      <LabErrors areas={['learn', 'adapter']} />
      {realA && realB && realDiff && (
        <div className="heat-row three" data-testid="routing-real-maps">
          <Heatmap z={realA} x={realExperts} y={realTokens} title={`${personaName(A, 0)} (mean of ${real!.ga.layers.length} layers)`} xTitle="expert" yTitle="token" valueTitle="gate g" kind="value" zmin={0} zmax={1} testId="routing-real-a" />
          <Heatmap z={realB} x={realExperts} y={realTokens} title={personaName(B, 1)} xTitle="expert" yTitle="token" valueTitle="gate g" kind="value" zmin={0} zmax={1} testId="routing-real-b" />
          <Heatmap z={realDiff} x={realExperts} y={realTokens} title="A − B" xTitle="expert" yTitle="token" valueTitle="gate difference" kind="diff" testId="routing-real-diff" />
        </div>
      )}
    </Chapter>
  );
}
