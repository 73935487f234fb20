// Learn's chapters that read a trained default (Zhyper's z, CUMA's router) put it on the model first.
import { useState } from 'react';
import { presetOf, useLab } from '../../state/lab';
import { useApp } from '../../state/store';
import type { MethodPreset } from '../../adapters/session';

export function useDefaultAdapter(preset: MethodPreset) {
  const adapter = useLab((s) => s.adapter);
  const origin = useLab((s) => s.origin);
  const busy = useLab((s) => s.busy);
  const gpu = useApp((s) => s.gpuStatus);
  const model = useApp((s) => s.modelStatus);
  const embedded = useApp((s) => s.source?.kind === 'embedded');
  const [asked, setAsked] = useState(false);
  const on = !!adapter && presetOf(adapter) === preset && origin?.kind === 'default';
  /** why the real part of the chapter cannot run here, or null */
  const blocked =
    gpu === 'error'
      ? 'This part runs the real model, which needs WebGPU; this browser has none (the toy above works without it).'
      : model !== 'ready'
        ? 'The embedded model is loading…'
        : !embedded
          ? 'The trained defaults belong to the embedded default model; load it in the Model view.'
          : null;
  const putOn = async (): Promise<boolean> => {
    setAsked(true);
    useLab.getState().dismiss('learn');
    if (on) return true;
    // Trained default, even when a random adapter of this method is on
    const lab = useLab.getState();
    useLab.setState({ preset });
    return lab.loadTrainedDefault();
  };
  return { on, busy: busy === 'adapter', blocked, putOn, asked };
}
