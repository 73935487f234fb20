import type { View } from '../state/views';
import { VIEW_INFO } from '../state/views';

export function Placeholder({ view }: { view: View }) {
  const info = VIEW_INFO[view];
  return (
    <section className="card placeholder" data-testid={`view-${view}`}>
      <h1>{info.title}</h1>
      <p className="lead">{info.summary}</p>
      <p className="muted">Coming in a later issue. The Model view already works: load a backbone and chat with it.</p>
    </section>
  );
}
