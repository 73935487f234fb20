// The adapter on the model: the picker's choices, new, loaded, shared and trained-default adapters, exports
// and the accounting.
import { call, type LabContext, type LabState, type AdapterOrigin } from './lab-state';
import { hasTrainedDefault, presetOf, trainedDefault } from './lab-defaults';
import { DEFAULT_ENCODER_ID } from '../condition/encoder';
import { CATALOGUE } from '../adapters/methods';
import { METHOD_LABEL } from '../adapters/session';
import { TARGETS } from '../adapters/types';
import type { LoadProgress } from '../model/api';
import { callback, getClient } from '../worker/client';
import type { AdapterChoice } from '../worker/protocol';
import { personaCondition } from './scene';
import { openRunStore } from './runsDb';
import { useApp } from './store';

export function adapterActions(ctx: LabContext): Pick<LabState, 'setPreset' | 'setSeed' | 'setRank' | 'toggleTarget' | 'setEncoder' | 'newRandomAdapter' | 'loadTrainedDefault' | 'loadAdapterFile' | 'restoreShared' | 'clearAdapter' | 'saveAdapter' | 'exportPeft' | 'loadAccounting' | 'startDemo' | 'ensureDemoAdapter'> {
  const { set, get, setError, clearResults, canRun } = ctx;

  async function setAdapterChoice(choice: AdapterChoice, origin: AdapterOrigin): Promise<boolean> {
    if (!canRun('adapter')) return false;
    set({ busy: 'adapter' });
    setError('adapter', undefined);
    const want = get().encoderId;
    if (choice.kind === 'new' && get().encoderLoaded !== want && want !== DEFAULT_ENCODER_ID) {
      // the adapter reads the chosen encoder's embeddings: load that encoder first
      const e = await call(() => getClient().setEncoder(want));
      if (!e.ok && e.error.name !== 'EncoderMismatchError') {
        set({ busy: null });
        setError('encoder', e.error);
        return false;
      }
      set({ encoderLoaded: want });
    }
    const r = await call(() => getClient().setAdapter(choice));
    if (!r.ok) {
      set({ busy: null });
      setError('adapter', r.error);
      return false;
    }
    // a new adapter starts at strength 1
    await call(() => getClient().setStrength(1));
    ctx.strength.applied = 1;
    // the bar's method, rank and modules describe the adapter on the model (a loaded or trained one too),
    // so "New random adapter" starts from what is shown
    set({ busy: null, adapter: r.value, origin, strength: 1, encoderLoaded: r.value.encoderId ?? get().encoderLoaded, preset: presetOf(r.value) ?? get().preset, rank: r.value.r, targets: [...r.value.targets] });
    if (r.value.encoderId && r.value.encoderId !== get().encoderId) set({ encoderId: r.value.encoderId });
    clearResults();
    setError('score', undefined);
    setError('blend', undefined);
    setError('routing', undefined);
    return true;
  }

  return {
    async setPreset(preset) {
      set({ preset });
      // the picker names the adapter on the model: picking a method puts that method on (its trained
      // default where one ships for the embedded model, else a seeded random one)
      const app = useApp.getState();
      const s = get();
      if (s.adapter && presetOf(s.adapter) === preset) return true;
      if (app.modelStatus !== 'ready' || s.busy) return false;
      // a trained default that cannot be read (its error stays shown) gives way to a random one, so the
      // picker still names what is on the model
      if (app.source?.kind === 'embedded' && hasTrainedDefault(preset) && (await get().loadTrainedDefault())) return true;
      return get().newRandomAdapter();
    },
    setSeed(seed) {
      if (Number.isFinite(seed)) set({ seed: Math.round(seed) });
    },
    setRank(r) {
      if (Number.isInteger(r) && r >= 1 && r <= 64) set({ rank: r });
    },
    toggleTarget(t) {
      const cur = get().targets;
      const next = cur.includes(t) ? cur.filter((x) => x !== t) : TARGETS.filter((x) => x === t || cur.includes(x));
      if (next.length) set({ targets: next }); // at least one module stays adapted
    },
    async setEncoder(id) {
      const prev = get().encoderId;
      set({ encoderId: id, busy: 'encoder', encoderNote: `loading ${id}…` });
      setError('encoder', undefined);
      const onProgress = callback((p: LoadProgress) => {
        set({ encoderNote: p.phase === 'ready' ? null : `loading ${p.file}${p.total ? ` (${Math.round((100 * p.loaded) / p.total)}%)` : '…'}` });
      });
      const r = await call(() => getClient().setEncoder(id, onProgress));
      set({ busy: null, encoderNote: null });
      if (r.ok) {
        set({ encoderLoaded: r.value.id });
        clearResults();
      } else {
        // EncoderMismatchError: the encoder is loaded but the adapter reads another width
        if (r.error.name === 'EncoderMismatchError') set({ encoderLoaded: id });
        else set({ encoderId: prev });
        setError('encoder', r.error);
      }
    },
    async newRandomAdapter(preset) {
      const p = preset ?? get().preset;
      if (preset) set({ preset });
      const { seed, rank, targets } = get();
      return setAdapterChoice({ kind: 'new', preset: p, seed, init: 'random', overrides: { r: rank, targets } }, { kind: 'random', preset: p, seed });
    },
    async loadTrainedDefault() {
      const app = useApp.getState();
      const { preset } = get();
      if (app.source?.kind !== 'embedded') {
        setError('adapter', { name: 'Error', message: 'trained defaults belong to the embedded default model; this model has none (make a random adapter, load a file, or train one in Train)' });
        return false;
      }
      if (!hasTrainedDefault(preset)) {
        setError('adapter', { name: 'Error', message: `no trained default for ${METHOD_LABEL[preset]}: npm run train:defaults ships Zhyper diag and CUMA top-2 of 8` });
        return false;
      }
      const d = await trainedDefault(preset);
      if (!d) {
        setError('adapter', { name: 'Error', message: `the trained default for ${METHOD_LABEL[preset]} could not be read from adapters/ (run npm run train:defaults)` });
        return false;
      }
      return setAdapterChoice({ kind: 'file', name: d.file, bytes: d.bytes }, { kind: 'default', preset, file: d.file });
    },
    async loadAdapterFile(file, origin) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await file.arrayBuffer());
      } catch (e) {
        setError('adapter', { name: 'AdapterFileError', message: `could not read ${file.name}: ${(e as Error).message}` });
        return;
      }
      await setAdapterChoice({ kind: 'file', name: file.name, bytes }, origin ?? { kind: 'file', file: file.name });
    },
    async restoreShared() {
      const setup = get().pendingShare;
      if (!setup || useApp.getState().modelStatus !== 'ready') return;
      // a score or generation in flight keeps its adapter until it ends; the link's goes on after
      if (get().busy) {
        setTimeout(() => void get().restoreShared(), 300);
        return;
      }
      set({ pendingShare: null, autoDemoFor: useApp.getState().summary });
      // where the link's own adapter is missing, the trained default of its method stands in
      const fallback = async (method: string) => {
        // the shipped default of the same family (a Zhyper square link falls back to Zhyper diag)
        set({ preset: CATALOGUE[method.startsWith('zhyper') ? 'zhyper-diag' : 'cuma'].preset! });
        return get().loadTrainedDefault();
      };
      const a = setup.adapter;
      const missing = (message: string) => setError('scene', { name: 'SharedAdapterMissingError', message });
      let ok = true;
      if (a.kind === 'default') {
        set({ preset: a.preset });
        ok = await get().loadTrainedDefault();
      } else if (a.kind === 'random') {
        set({ preset: a.preset, seed: a.seed, rank: a.rank, targets: [...a.targets], ...(a.encoder ? { encoderId: a.encoder } : {}) });
        ok = await get().newRandomAdapter();
      } else if (a.kind === 'kept') {
        let bytes: Uint8Array | null = null;
        try {
          const db = await openRunStore();
          bytes = (await db.getAdapter(a.runId, a.method))?.bytes ?? null;
          db.close();
        } catch {
          bytes = null;
        }
        if (bytes) {
          await get().loadAdapterFile(new File([new Uint8Array(bytes)], `${a.name}.safetensors`), { kind: 'kept', runId: a.runId, method: a.method, file: `${a.name}.safetensors` });
          ok = !get().errors.adapter;
        } else {
          missing(`This link was made with "${a.name}", an adapter trained in the sender's browser (run ${a.runId}). This browser does not have it, so the scene opens with the trained default instead: ask the sender for the .safetensors file and load it with "Load adapter file…".`);
          ok = await fallback(a.method);
        }
      } else if (a.kind === 'file') {
        missing(`This link was made with the adapter file "${a.file}", which does not travel in a link. The scene opens with the trained default: load that file with "Load adapter file…" to see what the sender saw.`);
        ok = await fallback('cuma');
      } else if (get().adapter) await get().clearAdapter();
      if (!ok) return;
      if (a.kind !== 'none' && setup.strength !== get().strength) set({ strength: setup.strength });
      set({ alpha: setup.alpha });
      const view = useApp.getState().view;
      if (view === 'blend') get().refreshBlend();
      else if (view === 'routing') get().refreshRouting();
      else await get().scoreAll();
    },
    async clearAdapter() {
      if (!canRun('adapter')) return;
      const r = await call(() => getClient().clearAdapter());
      if (r.ok) {
        set({ adapter: null, origin: null, autoDemoFor: useApp.getState().summary });
        clearResults();
      } else setError('adapter', r.error);
    },
    async saveAdapter() {
      if (!canRun('export')) return null;
      set({ busy: 'save' });
      const r = await call(() => getClient().saveAdapter());
      set({ busy: null });
      if (!r.ok) {
        setError('export', r.error);
        return null;
      }
      setError('export', undefined);
      return r.value;
    },
    async exportPeft() {
      if (!canRun('export')) return null;
      const s = get();
      const app = useApp.getState();
      const base = app.source?.kind === 'hub' ? app.source.repoId : (app.summary?.label ?? 'unknown');
      const p = s.personas[0];
      set({ busy: 'export' });
      const r = await call(() => getClient().exportPeft(personaCondition(p, 'adapter'), base, s.question));
      set({ busy: null });
      if (!r.ok) {
        setError('export', r.error);
        return null;
      }
      setError('export', undefined);
      return r.value;
    },
    async loadAccounting() {
      if (useApp.getState().modelStatus !== 'ready') return;
      const r = await call(() => getClient().accounting());
      if (r.ok) {
        set({ accounting: r.value });
        setError('accounting', undefined);
      } else setError('accounting', r.error);
    },
    async startDemo() {
      const app = useApp.getState();
      set({ autoDemoFor: null });
      if (app.modelStatus !== 'ready') {
        await app.loadEmbedded();
        if (useApp.getState().modelStatus !== 'ready') return;
      }
      set({ autoDemoFor: useApp.getState().summary });
      await get().newRandomAdapter();
    },
    ensureDemoAdapter() {
      const app = useApp.getState();
      const s = get();
      if (app.modelStatus !== 'ready' || !app.summary || s.adapter || s.busy || s.autoDemoFor === app.summary) return;
      // a shared link brings its own adapter
      if (s.pendingShare) {
        void get().restoreShared();
        return;
      }
      set({ autoDemoFor: app.summary });
      // on the embedded model, the trained default of the chosen method (personas differ at first
      // open); anywhere else, or when none is shipped, a random one
      void (async () => {
        const d = app.source?.kind === 'embedded' ? await trainedDefault(s.preset) : null;
        // the user may have made or loaded an adapter while the files came: theirs stays
        const now = get();
        if (now.adapter || now.busy || useApp.getState().summary !== app.summary) return;
        if (d) await setAdapterChoice({ kind: 'file', name: d.file, bytes: d.bytes }, { kind: 'default', preset: s.preset, file: d.file });
        else await get().newRandomAdapter();
      })();
    },
  };
}
