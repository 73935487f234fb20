// The countries as points of a t-SNE layout, coloured and shaped by cultural zone (Atlas view and the
// Present deck's map scene).
import { useMemo } from 'react';
import { ZONES } from '../../data/zones';
import type { AtlasPoint } from '../../state/atlas';
import { Plot, useDark } from '../shared/Plot';
import { zoneStyle } from '../shared/colors';

export function AtlasScatter({ points, height, testId, label, attrs, big }: { points: AtlasPoint[]; height: number; testId: string; label: string; attrs?: Record<`data-${string}`, string | number>; big?: boolean }) {
  const dark = useDark();
  const data = useMemo(() => {
    const zones = ZONES.filter((z) => points.some((p) => p.zone === z));
    const labels = points.length <= 24;
    return zones.map((z) => {
      const pts = points.filter((p) => p.zone === z);
      const st = zoneStyle(z);
      return {
        type: 'scatter',
        mode: labels ? 'markers+text' : 'markers',
        name: z,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y),
        text: pts.map((p) => p.country),
        textposition: 'top center',
        textfont: { size: big ? 20 : 15 },
        customdata: pts.map((p) => p.zone),
        hovertemplate: '<b>%{text}</b><br>%{customdata}<extra></extra>',
        marker: { color: st.color, symbol: st.symbol, size: big ? 20 : 16, line: { width: 1.5, color: dark ? '#eef1f5' : '#141a22' } },
      };
    });
  }, [points, dark, big]);
  const layout = useMemo(
    () => ({
      xaxis: { showticklabels: false, zeroline: false, showgrid: false, title: { text: '' } },
      yaxis: { showticklabels: false, zeroline: false, showgrid: false, title: { text: '' }, scaleanchor: 'x' },
      legend: { title: { text: 'Cultural zone' }, font: { size: big ? 20 : 15 } },
      margin: { l: 20, r: 20, t: 20, b: 20 },
      hovermode: 'closest',
    }),
    [big],
  );
  return <Plot testId={testId} data={data} layout={layout} height={height} label={label} attrs={attrs} />;
}
