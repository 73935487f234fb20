// Which conditioning adapter is on the model: the chat below uses it (with the condition last applied),
// so the Model view says so and lets the user take it off for plain chat.
import { useLab } from '../../state/lab';
import { useApp } from '../../state/store';
import { useTrain } from '../../state/train';
import { describeMethod, originText } from '../shared/AdapterBar';

export function LoraCard() {
  const adapter = useLab((s) => s.adapter);
  const origin = useLab((s) => s.origin);
  const busy = useLab((s) => s.busy);
  const ready = useApp((s) => s.modelStatus === 'ready');
  const training = useTrain((s) => s.activeId !== null);
  const setView = useApp((s) => s.setView);
  return (
    <section className="card" data-testid="lora-on-model" data-method={adapter?.method ?? 'none'} aria-labelledby="lora-h">
      <h2 id="lora-h">Adapter on the model</h2>
      {!ready && <p className="muted">No model loaded.</p>}
      {ready && !adapter && (
        <p className="muted" data-testid="lora-none">
          None: the chat is the plain backbone. Put one on in Compare.
        </p>
      )}
      {ready && adapter && (
        <>
          <p>
            <strong>{describeMethod(adapter)}</strong> <span className="muted">({originText(origin)})</span>
          </p>
          <p className="muted small">The chat runs through it, conditioned on the persona last scored or generated in Compare, Blend or Routing.</p>
          <div className="row">
            <button className="secondary" data-testid="lora-off" disabled={busy !== null || training} onClick={() => void useLab.getState().clearAdapter()} title={training ? 'A run is training on the model' : 'Plain chat with the backbone alone'}>
              Take it off (plain chat)
            </button>
            <button className="link-button" onClick={() => setView('compare')}>
              Change it in Compare
            </button>
          </div>
        </>
      )}
    </section>
  );
}
