// A labelled heatmap: Viridis for values (gates, z), a diverging red–blue scale centred on 0 for differences.
import { useMemo } from 'react';
import type { Matrix } from '../../state/plots';
import { maxAbs } from '../../state/plots';
import { Plot } from './Plot';

/** ColorBrewer RdBu (colour-blind safe): negative blue, 0 near white, positive red. */
export const DIVERGING = [
  [0, '#2166ac'],
  [0.25, '#67a9cf'],
  [0.5, '#f7f7f7'],
  [0.75, '#ef8a62'],
  [1, '#b2182b'],
];

export interface HeatmapProps {
  z: Matrix;
  x: (string | number)[];
  y: (string | number)[];
  title: string;
  xTitle: string;
  yTitle: string;
  /** the colour bar's title: what the numbers mean */
  valueTitle: string;
  /** 'value': Viridis over [zmin, zmax] (or the data's range); 'diff': RdBu centred on 0 */
  kind: 'value' | 'diff';
  zmin?: number;
  zmax?: number;
  testId: string;
  height?: number;
  /** how many decimals the hover shows */
  digits?: number;
  /** gaps between cells (off for dense matrices, where 1 px gaps would hide the cells) */
  gaps?: boolean;
  /** projector scale (the Present deck) */
  big?: boolean;
}

export function Heatmap({ z, x, y, title, xTitle, yTitle, valueTitle, kind, zmin, zmax, testId, height, digits = 3, gaps = true, big = false }: HeatmapProps) {
  const data = useMemo(() => {
    const m = kind === 'diff' ? maxAbs(z) : 0;
    return [
      {
        type: 'heatmap',
        z,
        x: x.map(String),
        y: y.map(String),
        colorscale: kind === 'diff' ? DIVERGING : 'Viridis',
        ...(kind === 'diff' ? { zmin: -m, zmax: m, zmid: 0 } : zmin !== undefined && zmax !== undefined ? { zmin, zmax } : {}),
        colorbar: { title: { text: valueTitle, side: 'right' }, thickness: 16, outlinewidth: 0 },
        hovertemplate: `${yTitle} %{y}<br>${xTitle} %{x}<br>${valueTitle}: %{z:.${digits}f}<extra></extra>`,
        xgap: gaps ? 1 : 0,
        ygap: gaps ? 1 : 0,
      },
    ];
  }, [z, x, y, kind, zmin, zmax, valueTitle, xTitle, yTitle, digits, gaps]);
  const layout = useMemo(
    () => ({
      ...(big ? { font: { size: 22 } } : {}),
      title: { text: title, font: { size: big ? 26 : 17 } },
      margin: { l: 70, r: 10, t: 48, b: 60 },
      xaxis: { title: { text: xTitle }, type: 'category', fixedrange: true, automargin: true },
      yaxis: { title: { text: yTitle }, type: 'category', autorange: 'reversed', fixedrange: true, automargin: true },
    }),
    [title, xTitle, yTitle, big],
  );
  const h = height ?? Math.max(260, Math.min(900, 110 + 22 * y.length));
  return <Plot data={data} layout={layout} height={h} testId={testId} label={`${title} (${yTitle} × ${xTitle}; ${valueTitle})`} className="heatmap" attrs={{ 'data-rows': y.length, 'data-cols': x.length }} />;
}
