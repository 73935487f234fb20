// A persona's answer distribution: one horizontal bar per option, the probability written on each bar.
import { useMemo } from 'react';
import type { ScoreResult } from '../../adapters/session';
import { OPTION_LETTERS } from '../../adapters/session';
import { Plot } from './Plot';

export function OptionBars({
  result,
  options,
  color,
  title,
  testId,
  stale,
  height,
  big,
}: {
  result: ScoreResult | null;
  options: string[];
  color: string;
  title: string;
  testId: string;
  stale?: boolean;
  height?: number;
  /** projector scale (the Present deck) */
  big?: boolean;
}) {
  const labels = useMemo(() => options.map((o, i) => `${OPTION_LETTERS[i]}. ${o.length > 28 ? `${o.slice(0, 27)}…` : o}`), [options]);
  const probs = useMemo(() => (result && result.probs.length === options.length ? result.probs : null), [result, options.length]);
  const data = useMemo(
    () => [
      {
        type: 'bar',
        orientation: 'h',
        y: labels,
        x: probs ?? options.map(() => 0),
        text: probs ? probs.map((p) => `${(100 * p).toFixed(1)}%`) : options.map(() => ''),
        textposition: 'auto',
        insidetextanchor: 'end',
        textfont: { size: big ? 24 : 16 },
        textangle: 0,
        marker: { color, opacity: stale ? 0.45 : 1 },
        hovertemplate: '%{y}: %{x:.3f}<extra></extra>',
        cliponaxis: false,
      },
    ],
    [labels, probs, options, color, stale, big],
  );
  const layout = useMemo(
    () => ({
      ...(big ? { font: { size: 22 } } : {}),
      title: { text: title, font: { size: big ? 26 : 17 } },
      margin: { l: 10, r: 16, t: 44, b: 56 },
      xaxis: { range: [0, 1.04], dtick: 0.5, tickangle: 0, title: { text: 'probability' }, tickformat: '.0%', fixedrange: true },
      yaxis: { autorange: 'reversed', fixedrange: true, automargin: true },
      bargap: 0.25,
    }),
    [title, big],
  );
  return (
    <div className="option-bars" data-testid={testId} data-probs={probs ? JSON.stringify(probs) : ''} data-stale={stale ? 'true' : 'false'}>
      <Plot data={data} layout={layout} height={height ?? 90 + 46 * options.length} label={`${title}: option probabilities`} />
      {probs && (
        <table className="sr-only">
          <caption>{title}</caption>
          <tbody>
            {options.map((o, i) => (
              <tr key={i}>
                <th scope="row">
                  {OPTION_LETTERS[i]}. {o}
                </th>
                <td>{(100 * probs[i]).toFixed(1)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
