// The frame every Learn chapter shares: a title, a short text, the toy, and where the real thing is.
import type { ReactNode } from 'react';
import { useApp } from '../../state/store';
import type { View } from '../../state/views';

export function Chapter({ id, title, text, children, next }: { id: string; title: string; text: ReactNode; children: ReactNode; next: { view: View; label: string } }) {
  const setView = useApp((s) => s.setView);
  return (
    <article className="card chapter" data-testid={`chapter-${id}`} aria-labelledby={`chapter-${id}-h`}>
      <div className="chapter-text">
        <h2 id={`chapter-${id}-h`}>{title}</h2>
        {text}
        <p>
          <a
            href={`#/${next.view}`}
            className="chapter-next"
            data-testid={`chapter-${id}-next`}
            onClick={(e) => {
              e.preventDefault();
              setView(next.view);
            }}
          >
            {next.label} →
          </a>
        </p>
      </div>
      <div className="chapter-toy">{children}</div>
    </article>
  );
}

/** A labelled range slider with its value written next to it. */
export function Slider({ label, value, min, max, step = 1, onChange, testId, format }: { label: string; value: number; min: number; max: number; step?: number; onChange: (v: number) => void; testId: string; format?: (v: number) => string }) {
  return (
    <label className="toy-slider">
      <span>{label}</span>
      <input type="range" min={min} max={max} step={step} value={value} data-testid={testId} onChange={(e) => onChange(Number(e.target.value))} />
      <output data-testid={`${testId}-value`}>{format ? format(value) : value}</output>
    </label>
  );
}

/** A number read out large, with what it means. */
export function Readout({ label, value, hint, testId, raw }: { label: string; value: string; hint: string; testId: string; raw: number }) {
  return (
    <div className="readout" data-testid={testId} data-value={raw} title={hint}>
      <span className="readout-label">{label}</span>
      <strong className="readout-value">{value}</strong>
      <span className="readout-hint">{hint}</span>
    </div>
  );
}
