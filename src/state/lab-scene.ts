// The scene's actions: personas, question and options, the prompt, the mode, and the share link.
import { sharedAdapterOf } from './lab-state';
import { type LabContext, type LabState } from './lab-state';
import { defaultPersona, defaultScene, MAX_OPTIONS, MAX_PERSONAS, MIN_OPTIONS, MIN_PERSONAS, sceneFromHash, sceneToHash, type SharedSetup } from './scene';
import { useApp } from './store';

export function sceneActions(ctx: LabContext): Pick<LabState, 'setPersona' | 'addPersona' | 'removePersona' | 'setQuestion' | 'setOption' | 'addOption' | 'removeOption' | 'setGenPrompt' | 'setMode' | 'resetScene' | 'applyHash' | 'makeShareUrl'> {
  const { set, get, setError } = ctx;
  return {
    setPersona(id, patch) {
      set((s) => ({
        personas: s.personas.map((p) => (p.id === id ? { ...p, ...patch, profile: patch.profile ? { ...patch.profile } : p.profile } : p)),
        shareUrl: null,
      }));
    },
    addPersona() {
      const s = get();
      if (s.personas.length >= MAX_PERSONAS) return;
      // the next default profile not already shown (by country)
      const used = new Set(s.personas.map((p) => p.profile.country));
      let i = s.personas.length;
      for (let k = 0; k < MAX_PERSONAS; k++) {
        if (!used.has(defaultPersona(k).profile.country)) {
          i = k;
          break;
        }
      }
      set({ personas: [...s.personas, defaultPersona(i)], shareUrl: null });
    },
    removePersona(id) {
      const s = get();
      if (s.personas.length <= MIN_PERSONAS) return;
      const scores = { ...s.scores };
      delete scores[id];
      const generations = { ...s.generations };
      delete generations[id];
      set({ personas: s.personas.filter((p) => p.id !== id), scores, generations, shareUrl: null });
    },
    setQuestion(question) {
      set({ question, shareUrl: null });
    },
    setOption(i, text) {
      set((s) => ({ options: s.options.map((o, j) => (j === i ? text : o)), shareUrl: null }));
    },
    addOption() {
      set((s) => (s.options.length >= MAX_OPTIONS ? {} : { options: [...s.options, `Option ${s.options.length + 1}`], shareUrl: null }));
    },
    removeOption(i) {
      set((s) => (s.options.length <= MIN_OPTIONS ? {} : { options: s.options.filter((_, j) => j !== i), shareUrl: null }));
    },
    setGenPrompt(genPrompt) {
      set({ genPrompt, shareUrl: null });
    },
    setMode(mode) {
      set({ mode, shareUrl: null });
    },
    resetScene() {
      set({ ...defaultScene(), scores: {}, scoresKey: null, generations: {}, blendA: null, blendB: null, shareUrl: null });
    },
    applyHash(hash) {
      let parsed;
      try {
        parsed = sceneFromHash(hash);
      } catch (e) {
        setError('scene', { name: 'SceneError', message: (e as Error).message });
        return;
      }
      if (!parsed) return;
      set({ ...parsed.scene, scores: {}, scoresKey: null, generations: {}, blendA: null, blendB: null, shareUrl: null, pendingShare: parsed.setup });
      if (parsed.setup) {
        if (parsed.setup.adapter.kind === 'default' || parsed.setup.adapter.kind === 'random') set({ preset: parsed.setup.adapter.preset });
        set({ alpha: parsed.setup.alpha });
        if (useApp.getState().modelStatus === 'ready') void get().restoreShared();
      }
      const view = parsed.view ?? useApp.getState().view;
      useApp.getState().setView(view);
      // the scene is now the persisted one; a reload need not apply the link again
      if (typeof history !== 'undefined') history.replaceState(null, '', `${location.pathname}${location.search}#/${view}`);
    },
    makeShareUrl() {
      const s = get();
      const view = useApp.getState().view;
      const setup: SharedSetup = { adapter: sharedAdapterOf(s), strength: s.strength, alpha: s.alpha };
      const url = `${location.origin}${location.pathname}${location.search}${sceneToHash(s, view, setup)}`;
      set({ shareUrl: url });
      return url;
    },
  };
}
