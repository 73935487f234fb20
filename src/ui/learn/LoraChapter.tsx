// LoRA: a change ΔW of a d×k matrix written as B·A of rank r. The best rank-r B·A (by the SVD) of a real
// weight block or a picture, live as the rank slider moves.
import { useEffect, useMemo, useState } from 'react';
import { BLOCK, modelWeightBlock, picture, WEIGHT_NAME } from '../../learn/matrices';
import { loraParamCount, lowRank, relativeError, svd } from '../../learn/svd';
import { Heatmap } from '../shared/Heatmap';
import { Chapter, Readout, Slider } from './Chapter';

type Source = 'picture' | 'weight';

export function LoraChapter() {
  const [source, setSource] = useState<Source>('picture');
  const [r, setR] = useState(4);
  const [weight, setWeight] = useState<number[][] | null>(null);
  const [weightError, setWeightError] = useState<string | null>(null);
  useEffect(() => {
    if (source !== 'weight' || weight) return;
    modelWeightBlock(import.meta.env.BASE_URL).then(setWeight, (e: Error) => setWeightError(e.message));
  }, [source, weight]);
  const M = useMemo(() => (source === 'picture' ? picture() : weight), [source, weight]);
  const dec = useMemo(() => (M ? svd(M) : null), [M]);
  const approx = useMemo(() => (dec ? lowRank(dec, r) : null), [dec, r]);
  const err = M && approx ? relativeError(M, approx.BA) : null;
  const residual = useMemo(() => (M && approx ? M.map((row, i) => row.map((v, j) => v - approx.BA[i][j])) : null), [M, approx]);
  const d = M?.length ?? BLOCK;
  const k = M?.[0]?.length ?? BLOCK;
  const count = loraParamCount(d, k, r);
  const axis = useMemo(() => Array.from({ length: BLOCK }, (_, i) => i), []);
  const kind = source === 'picture' ? 'value' : 'diff';
  const range = source === 'picture' ? { zmin: 0, zmax: 1 } : {};
  return (
    <Chapter
      id="lora"
      title="1 · LoRA: a big change from two thin matrices"
      next={{ view: 'compare', label: 'See adapters change a real model in Compare' }}
      text={
        <>
          <p>
            Fine-tuning changes a weight matrix W (d×k) by some ΔW. LoRA keeps W frozen and learns only ΔW = B·A, with B of size d×r and A of size r×k. The model then uses W + s·B·A,
            where the scale s sets how strongly the update acts.
          </p>
          <p>
            The rank r is the whole budget. B·A can hold only r independent patterns. Move the slider: the middle map is the best B·A of that rank (from the singular value
            decomposition), and the right map is what it misses. A small r already captures most of a picture. A real weight block is closer to random, so it needs a much higher rank.
          </p>
        </>
      }
    >
      <div className="toy-controls">
        <fieldset className="seg" aria-label="Matrix">
          <label className="check">
            <input type="radio" name="lora-src" checked={source === 'picture'} onChange={() => setSource('picture')} data-testid="lora-source-picture" /> A picture
          </label>
          <label className="check">
            <input type="radio" name="lora-src" checked={source === 'weight'} onChange={() => setSource('weight')} data-testid="lora-source-weight" /> A real weight (embedded model, {WEIGHT_NAME.replace('model.', '').replace('.weight', '')}, 64×64 block)
          </label>
        </fieldset>
        <Slider label="Rank r" value={r} min={1} max={32} onChange={setR} testId="lora-rank" />
      </div>
      <div className="readouts">
        <Readout
          label="Reconstruction error"
          testId="lora-error"
          raw={err ?? NaN}
          value={err == null ? '…' : `${(100 * err).toFixed(1)}%`}
          hint="‖ΔW − B·A‖ / ‖ΔW‖: 0% = exact, 100% = nothing captured. Lower is better."
        />
        <Readout label="Parameters" testId="lora-params" raw={count.lora} value={`${count.lora.toLocaleString('en-US')} vs ${count.full.toLocaleString('en-US')}`} hint={`r·(d+k) = ${r}·(${d}+${k}) for B and A, against d·k = ${d}·${k} for a full ΔW: ${((100 * count.lora) / count.full).toFixed(1)}%`} />
      </div>
      {weightError && source === 'weight' && <p className="note">{weightError}</p>}
      {M && approx && residual ? (
        <div className="heat-row three">
          <Heatmap z={M} x={axis} y={axis} title="ΔW (the target)" xTitle="column" yTitle="row" valueTitle="value" kind={kind} {...range} testId="lora-target" height={280} gaps={false} />
          <Heatmap z={approx.BA} x={axis} y={axis} title={`B·A, rank ${r}`} xTitle="column" yTitle="row" valueTitle="value" kind={kind} {...range} testId="lora-approx" height={280} gaps={false} />
          <Heatmap z={residual} x={axis} y={axis} title="What rank r misses" xTitle="column" yTitle="row" valueTitle="difference" kind="diff" testId="lora-residual" height={280} gaps={false} />
        </div>
      ) : (
        !weightError && <p className="muted">Reading the embedded model's weights…</p>
      )}
    </Chapter>
  );
}
