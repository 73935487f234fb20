// A deck's scenes that read the model put the deck method's trained default on it first (once per open).
import { useEffect, useRef } from 'react';
import { presetOf, useLab } from '../../state/lab';
import { useApp } from '../../state/store';
import type { DeckMethod } from '../../state/deck';

export function useDeckModel(method: DeckMethod): { on: boolean; why: string | null } {
  const adapter = useLab((s) => s.adapter);
  const origin = useLab((s) => s.origin);
  const busy = useLab((s) => s.busy);
  const model = useApp((s) => s.modelStatus);
  const gpu = useApp((s) => s.gpuStatus);
  const embedded = useApp((s) => s.source?.kind === 'embedded');
  const summary = useApp((s) => s.summary);
  const adapterError = useLab((s) => s.errors.adapter);
  const tried = useRef<string | null>(null);
  const on = !!adapter && presetOf(adapter) === method && origin?.kind === 'default';
  useEffect(() => {
    // once per model and method: a model reloaded puts it on again; a failure is shown, not retried in a loop
    const key = `${method}|${summary?.label ?? ''}|${summary?.numParams ?? ''}`;
    if (on || busy || model !== 'ready' || !embedded || tried.current === key) return;
    tried.current = key;
    useLab.setState({ preset: method });
    void useLab.getState().loadTrainedDefault();
  }, [on, busy, model, embedded, method, summary]);
  const why =
    gpu === 'error'
      ? 'This scene runs the model, which needs WebGPU (Chrome or Edge 113+); this browser has none.'
      : model === 'error'
        ? 'The model failed to load: see the Model view.'
        : model !== 'ready'
          ? 'Loading the model…'
          : !embedded
            ? 'The deck uses the trained defaults of the embedded model: load it in the Model view.'
            : !on
              ? adapterError && !busy
                ? `The trained adapter could not be put on: ${adapterError.message}`
                : 'Putting the trained adapter on…'
              : null;
  return { on, why };
}
