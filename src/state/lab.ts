// State of the conditioned views (Compare, Blend, Routing): the scene (personas, question, prompt), the
// adapter on the model, and what the worker answered; its actions by area in lab-scene.ts, lab-adapter.ts and
// lab-views.ts, its shape in lab-state.ts. Like store.ts: UI → actions here → worker → back.
// Every worker call goes through one lane, so a score never interleaves with another call inside the
// worker; Blend's and Routing's live updates go through coalescers (one in flight, one pending at most).
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_ENCODER_ID } from '../condition/encoder';
import { getClient } from '../worker/client';
import { defaultScene } from './scene';
import { useApp, type AppError } from './store';
import { call, type LabArea, type LabContext, type LabState } from './lab-state';
import { sceneActions } from './lab-scene';
import { adapterActions } from './lab-adapter';
import { viewActions } from './lab-views';
import { labPersist } from './lab-persist';

export * from './lab-state';
export * from './lab-defaults';

export const useLab = create<LabState>()(
  persist(
    (set, get) => {
      const setError = (area: LabArea, e: AppError | undefined) => set((s) => ({ errors: { ...s.errors, [area]: e } }));
      const clearResults = () => set({ scores: {}, scoresKey: null, blendResult: null, blendKey: null, routing: null, routingKey: null, textRouting: null });

      /** the strength the worker's model has now */
      const strength = { applied: 1 };

      /** Model ready? Else say why in `area`. */
      function canRun(area: LabArea): boolean {
        const app = useApp.getState();
        if (app.modelStatus !== 'ready') {
          setError(area, {
            name: 'NoModelError',
            message: app.modelStatus === 'loading' ? 'The model is still loading; this works as soon as it is ready.' : 'No model is loaded yet.',
          });
          return false;
        }
        return true;
      }

      /** The model's adapter strength as the store says (Blend's slider sets it; every view scores with it). */
      async function syncStrength(area: LabArea): Promise<boolean> {
        const m = get().strength;
        if (!get().adapter || m === strength.applied) return true;
        const r = await call(() => getClient().setStrength(m));
        if (!r.ok) {
          setError(area, r.error);
          return false;
        }
        strength.applied = m;
        return true;
      }

      const ctx: LabContext = { set, get, setError, clearResults, canRun, syncStrength, strength };

      // a new model (or a lost device) takes the adapter off
      useApp.subscribe((s, prev) => {
        // a shared link opened before the model was ready: its adapter goes on now
        if (s.modelStatus === 'ready' && prev.modelStatus !== 'ready' && get().pendingShare) setTimeout(() => void get().restoreShared(), 0);
        const modelChanged = s.summary !== prev.summary;
        const gpuGone = s.gpuStatus !== prev.gpuStatus && (s.gpuStatus === 'lost' || s.gpuStatus === 'error');
        if (!modelChanged && !gpuGone) return;
        strength.applied = 1;
        set({ adapter: null, origin: null, strength: 1, accounting: null });
        if (gpuGone) set({ encoderLoaded: null, busy: null, generatingId: null });
        clearResults();
      });

      const scene = defaultScene();
      return {
        ...scene,
        encoderId: DEFAULT_ENCODER_ID,
        // CUMA opens: its trained default separates the default personas (TV 0.43 on the religion question;
        // Zhyper's 0.51)
        preset: 'cuma',
        seed: 1,
        rank: 8,
        targets: ['q', 'v'],
        blendA: null,
        blendB: null,
        alpha: 0,
        strength: 1,
        routingLayer: 0,
        settingsOpen: false,

        adapter: null,
        origin: null,
        encoderLoaded: null,
        encoderNote: null,
        busy: null,
        autoDemoFor: null,
        scores: {},
        scoresKey: null,
        generations: {},
        generatingId: null,
        scoringId: null,
        blendResult: null,
        blendKey: null,
        blendBusy: false,
        routing: null,
        routingKey: null,
        routingBusy: false,
        accounting: null,
        errors: {},
        shareUrl: null,
        pendingShare: null,
        textRouting: null,
        textRoutingBusy: false,

        ...sceneActions(ctx),
        ...adapterActions(ctx),
        ...viewActions(ctx),
        dismiss(area) {
          setError(area, undefined);
        },
        setSettingsOpen(settingsOpen) {
          set({ settingsOpen });
        },
      };
    },
    labPersist,
  ),
);

/** For end-to-end tests and the console. */
export function exposeLabForTests(): void {
  if (typeof window === 'undefined') return;
  const w = window as unknown as { __atlas?: Record<string, unknown> };
  w.__atlas = { ...(w.__atlas ?? {}), getLab: () => useLab.getState() };
}
