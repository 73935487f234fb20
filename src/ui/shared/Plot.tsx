// One plotly chart. plotly.js is large, so it is loaded on first use (the Model view never pays for it);
// Plotly.react updates the chart in place when data changes, and a ResizeObserver keeps it fitted.
import { useEffect, useRef, useState } from 'react';
import type { PlotData, PlotLayout } from 'plotly.js-dist-min';

type PlotlyModule = typeof import('plotly.js-dist-min').default;
let plotly: Promise<PlotlyModule> | null = null;
function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-dist-min').then((m) => (m as unknown as { default: PlotlyModule }).default ?? (m as unknown as PlotlyModule));
  return plotly;
}

/** Fonts and colours that read from the back of a room, in light and dark mode. */
export function baseLayout(dark: boolean): PlotLayout {
  const text = dark ? '#eef1f5' : '#141a22';
  const grid = dark ? '#2c343f' : '#d5dbe3';
  return {
    font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 16, color: text },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    margin: { l: 64, r: 20, t: 48, b: 56 },
    xaxis: { gridcolor: grid, zerolinecolor: grid, automargin: true },
    yaxis: { gridcolor: grid, zerolinecolor: grid, automargin: true },
  };
}

export function useDark(): boolean {
  const [dark, setDark] = useState(() => typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    if (typeof matchMedia === 'undefined') return;
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const on = () => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark;
}

function merge(a: PlotLayout, b: PlotLayout): PlotLayout {
  const out: PlotLayout = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? { ...(prev as object), ...(v as object) } : v;
  }
  return out;
}

export interface PlotProps {
  data: PlotData[];
  layout: PlotLayout;
  height: number;
  testId?: string;
  /** what the chart shows, for screen readers (the numbers are also in a table next to it where it matters) */
  label: string;
  className?: string;
  /** extra data-* attributes on the chart's element (tests read them) */
  attrs?: Record<`data-${string}`, string | number>;
}

export function Plot({ data, layout, height, testId, label, className, attrs }: PlotProps) {
  const ref = useRef<HTMLDivElement | null>(null);
  const dark = useDark();
  const [rendered, setRendered] = useState(0);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let cancelled = false;
    loadPlotly()
      .then((P) => {
        if (cancelled) return;
        return P.react(el, data, merge(merge(baseLayout(dark), { height }), layout), { displaylogo: false, responsive: false, modeBarButtonsToRemove: ['lasso2d', 'select2d'] }).then(() => {
          if (!cancelled) setRendered((n) => n + 1);
        });
      })
      .catch((e: unknown) => setFailed((e as Error).message ?? String(e)));
    return () => {
      cancelled = true;
    };
  }, [data, layout, height, dark]);

  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let frame = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (el.querySelector('.main-svg')) void loadPlotly().then((P) => P.Plots.resize(el));
      });
    });
    ro.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
    };
  }, []);

  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el) void loadPlotly().then((P) => P.purge(el));
    };
  }, []);

  return (
    <figure className={`plot ${className ?? ''}`} aria-label={label} style={{ minHeight: height }}>
      <div ref={ref} data-testid={testId} data-rendered={rendered} role="img" aria-label={label} {...attrs} />
      {failed && <p className="muted small">The chart could not be drawn: {failed}</p>}
    </figure>
  );
}
