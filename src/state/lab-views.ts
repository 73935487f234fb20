// The live views' actions: Compare's scores and generations, Blend's and Routing's coalesced updates, Present's
// probes and Learn's routed text.
import { call, chatFlag, blendPair, scoreKey, isCuma, type LabContext, type LabState } from './lab-state';
import { type Condition, type ScoreResult } from '../adapters/session';
import { callback, getClient } from '../worker/client';
import { createCoalescer } from './coalesce';
import { personaCondition, personaText } from './scene';
import { useApp } from './store';

let stopRequested = false;

export function viewActions(ctx: LabContext): Pick<LabState, 'scoreAll' | 'generateAll' | 'stopGenerating' | 'setBlendPair' | 'setAlpha' | 'setStrength' | 'refreshBlend' | 'setRoutingLayer' | 'refreshRouting' | 'probe' | 'routeText'> {
  const { set, get, setError, canRun, syncStrength } = ctx;

  // Blend: one score in flight, one pending; each run reads the newest alpha and strength.
  const blend = createCoalescer<null>(async () => {
    try {
      await blendRun();
    } finally {
      set({ blendBusy: blend.pending });
    }
  });
  async function blendRun(): Promise<void> {
    const s = get();
    if (useApp.getState().modelStatus !== 'ready' || !s.adapter) return;
    const [A, B] = blendPair(s);
    const m = s.strength;
    const a = personaCondition(A, 'adapter'), b = personaCondition(B, 'adapter');
    const c: Condition = { ...a, textB: b.text, sentenceB: b.sentence, alpha: s.alpha };
    const key = JSON.stringify([c, m, scoreKey(s)]);
    if (key === get().blendKey && get().blendResult) return;
    set({ blendBusy: true });
    if (!(await syncStrength('blend'))) return;
    const r = await call(() => getClient().score(c, s.question, s.options, { chat: chatFlag(), routing: true }));
    if (r.ok) {
      set({ blendResult: r.value, blendKey: key });
      setError('blend', undefined);
    } else setError('blend', r.error);
  }

  const routing = createCoalescer<null>(async () => {
    try {
      await routingRun();
    } finally {
      set({ routingBusy: routing.pending });
    }
  });
  async function routingRun(): Promise<void> {
    const s = get();
    if (useApp.getState().modelStatus !== 'ready' || !s.adapter) return;
    const [A, B] = blendPair(s);
    const key = JSON.stringify([personaText(A), personaText(B), scoreKey(s)]);
    if (key === get().routingKey && get().routing) return;
    set({ routingBusy: true });
    if (!(await syncStrength('routing'))) return;
    const opts = { chat: chatFlag(), routing: true };
    const ra = await call(() => getClient().score(personaCondition(A, 'adapter'), s.question, s.options, opts));
    const rb = ra.ok ? await call(() => getClient().score(personaCondition(B, 'adapter'), s.question, s.options, opts)) : ra;
    if (ra.ok && rb.ok) {
      set({ routing: { a: A.id, b: B.id, ra: ra.value, rb: rb.value }, routingKey: key });
      setError('routing', undefined);
    } else setError('routing', (!ra.ok ? ra.error : !rb.ok ? rb.error : undefined)!);
  }

  return {
    async scoreAll() {
      if (!canRun('score')) return;
      const s = get();
      if (s.busy === 'score') return;
      set({ busy: 'score' });
      setError('score', undefined);
      const key = scoreKey(s);
      const opts = { chat: chatFlag(), routing: false };
      if (!(await syncStrength('score'))) {
        set({ busy: null });
        return;
      }
      const personas = s.personas;
      const options = s.options.map((o) => o.trim() || '(empty)');
      for (const p of personas) {
        const c = personaCondition(p, s.mode);
        const text = c.text!;
        set({ scoringId: p.id });
        const r = await call(() => getClient().score(c, s.question, options, opts));
        if (!r.ok) {
          set({ busy: null, scoringId: null });
          setError('score', r.error);
          return;
        }
        set((st) => ({ scores: { ...st.scores, [p.id]: { result: r.value, text } } }));
      }
      set({ busy: null, scoresKey: key, scoringId: null });
    },
    async generateAll() {
      if (!canRun('generate')) return;
      const s = get();
      if (s.busy === 'generate') return;
      stopRequested = false;
      set({ busy: 'generate', generations: {} });
      setError('generate', undefined);
      const app = useApp.getState();
      const opts = { ...app.opts, chat: chatFlag() };
      if (!(await syncStrength('generate'))) {
        set({ busy: null });
        return;
      }
      for (const p of s.personas) {
        if (stopRequested) break;
        set((st) => ({ generatingId: p.id, generations: { ...st.generations, [p.id]: { text: '', done: false } } }));
        const onToken = callback((e: { text: string }) => {
          set((st) => ({ generations: { ...st.generations, [p.id]: { text: e.text, done: false } } }));
        });
        const r = await call(() => getClient().generateAs(personaCondition(p, s.mode), s.genPrompt, opts, onToken));
        if (!r.ok) {
          set((st) => ({ generations: { ...st.generations, [p.id]: { text: st.generations[p.id]?.text ?? '', done: true } } }));
          setError('generate', r.error);
          break;
        }
        set((st) => ({ generations: { ...st.generations, [p.id]: { text: r.value.text, done: true, stopReason: r.value.stopReason } } }));
        if (r.value.stopReason === 'cancelled') break;
      }
      set({ busy: null, generatingId: null });
    },
    stopGenerating() {
      stopRequested = true;
      if (get().busy === 'generate') void getClient().stop();
    },
    setBlendPair(a, b) {
      set({ blendA: a, blendB: b });
      get().refreshBlend();
    },
    setAlpha(alpha) {
      set({ alpha: Math.min(1, Math.max(0, alpha)) });
      get().refreshBlend();
    },
    setStrength(m) {
      set({ strength: Math.min(2, Math.max(0, m)) });
      get().refreshBlend();
    },
    refreshBlend() {
      void blend.push(null);
    },
    setRoutingLayer(l) {
      set({ routingLayer: Math.max(0, Math.round(l)) });
    },
    refreshRouting() {
      void routing.push(null);
    },
    async probe(conditions, question, options, routing = false) {
      if (useApp.getState().modelStatus !== 'ready') return { ok: false, error: { name: 'NoModelError', message: 'No model is loaded yet.' } };
      // at strength 1 whatever Blend's slider says, so a replay gives the same numbers (the views put
      // their strength back before they score)
      if (get().adapter && ctx.strength.applied !== 1) {
        const r = await call(() => getClient().setStrength(1));
        if (!r.ok) return r;
        ctx.strength.applied = 1;
      }
      const out: ScoreResult[] = [];
      for (const c of conditions) {
        const r = await call(() => getClient().score(c, question, options, { chat: chatFlag(), routing }));
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    },
    async routeText(text) {
      if (!canRun('learn')) return;
      const s = get();
      if (!isCuma(s.adapter)) {
        setError('learn', { name: 'NoAdapterError', message: 'Routing needs a CUMA adapter on the model: press "Put CUMA\'s trained default on".' });
        return;
      }
      set({ textRoutingBusy: true });
      setError('learn', undefined);
      const [A, B] = blendPair(s);
      if (!(await syncStrength('learn'))) {
        set({ textRoutingBusy: false });
        return;
      }
      const ra = await call(() => getClient().route(personaCondition(A, 'adapter'), text));
      const rb = ra.ok ? await call(() => getClient().route(personaCondition(B, 'adapter'), text)) : ra;
      set({ textRoutingBusy: false });
      if (ra.ok && rb.ok) set({ textRouting: { text, a: A.id, b: B.id, ga: ra.value, gb: rb.value } });
      else setError('learn', (!ra.ok ? ra.error : !rb.ok ? rb.error : undefined)!);
    },
  };
}
