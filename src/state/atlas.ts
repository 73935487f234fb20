// State of the Atlas view: which run and which signatures it shows, and the t-SNE layout of the
// countries. The view hands the store the signature set it should show; the store asks the t-SNE
// worker (one layout in flight, the newest request waiting), warm-starting each layout from the last
// one of the same selection so points move as training goes on instead of jumping.
import { create } from 'zustand';
import { silhouette } from '../eval';
import type { SignatureSet } from '../experiments/signatures';
import { METHODS } from '../experiments/runner';
import { callback } from '../worker/client';
import { getTsneClient } from '../worker/tsne-client';
import { MIN_TSNE_POINTS } from '../worker/tsne-core';
import { createCoalescer } from './coalesce';
import { parseRunFile, type RecordedSignatures, type RunRecord, type SignatureSnapshot } from './runlog';
import type { AppError } from './store';
import { fetchDefaultSignatures, type DefaultSignatures } from './defaultSignatures';

export type SignatureKind = SignatureSet['kind'];

export interface AtlasPoint {
  country: string;
  zone: string;
  x: number;
  y: number;
}

export interface AtlasLayout {
  /** run | method | per-layer: the selection the layout belongs to */
  key: string;
  /** key + the snapshot it was computed from */
  inputKey: string;
  points: AtlasPoint[];
  iterations: number;
  /** false while intermediate frames arrive */
  final: boolean;
  warm: boolean;
  degenerate: boolean;
  step: number;
}

/** What the view asks the store to lay out. */
export interface AtlasInput {
  runId: string;
  method: string;
  perLayer: boolean;
  snapshot: SignatureSnapshot;
}

export interface AtlasState {
  /** the run shown; null: follow the Train view's current run */
  runId: string | null;
  kind: SignatureKind | null;
  method: string | null;
  perLayer: boolean;
  layout: AtlasLayout | null;
  /** finished layouts so far (tests and the status line read it) */
  layouts: number;
  busy: boolean;
  error: AppError | null;
  /** a recorded run being replayed: frame i of n */
  replaying: { frame: number; frames: number; step: number } | null;
  /** the shipped defaults' signatures (undefined: not asked yet; null: not shipped) */
  defaults: DefaultSignatures | null | undefined;
  loadDefaults(): Promise<DefaultSignatures | null>;
  /** the shipped recorded run (public/runs; undefined: not asked yet; null: not shipped) */
  recorded: RunRecord | null | undefined;
  loadRecorded(): Promise<RunRecord | null>;
  setRun(id: string | null): void;
  setKind(k: SignatureKind): void;
  setMethod(m: string): void;
  setPerLayer(v: boolean): void;
  show(input: AtlasInput): void;
  /** lay out a run's recorded signatures frame after frame, each warm-started from the one before */
  replay(input: Omit<AtlasInput, 'snapshot'>, frames: readonly RecordedSignatures[]): Promise<void>;
  stopReplay(): void;
}

/** The Atlas's pseudo-run: the shipped default adapters' signatures (public/adapters/signatures.json). */
export const DEFAULTS_SOURCE = 'shipped-defaults';
/** The Atlas's other pseudo-run: a training run recorded by `npm run record:run` and shipped with the app. */
export const RECORDED_SOURCE = 'shipped-recording';
export const RECORDED_RUN_URL = 'runs/contrast-8-cuma.json';

/** What the Atlas lays out: a run's signatures, or the shipped defaults' as a run of their own. */
export interface AtlasSource {
  id: string;
  signatures: Record<string, SignatureSnapshot>;
  recording?: Record<string, RecordedSignatures[]>;
  steps: number;
  live: boolean;
  run: RunRecord | null;
}

export function sourceOfRun(run: RunRecord): AtlasSource {
  return { id: run.id, signatures: run.signatures, recording: run.recording, steps: run.config.steps, live: run.status === 'running' || run.status === 'paused', run };
}

export function sourceOfDefaults(d: DefaultSignatures): AtlasSource {
  const signatures: Record<string, SignatureSnapshot> = {};
  for (const a of d.adapters) signatures[a.method] = { method: a.method, step: 0, set: a.set, updates: 1 };
  return { id: DEFAULTS_SOURCE, signatures, steps: 0, live: false, run: null };
}

/** The methods of a run that have signatures, in the table's order, with their kind. */
export function signatureChoices(run: Pick<RunRecord, 'signatures'> | undefined): { method: string; kind: SignatureKind }[] {
  if (!run) return [];
  const order = (m: string) => {
    const i = (METHODS as readonly string[]).indexOf(m);
    return i < 0 ? METHODS.length : i;
  };
  return Object.values(run.signatures)
    .sort((a, b) => order(a.method) - order(b.method))
    .map((s) => ({ method: s.method, kind: s.set.kind }));
}

/** The selection in effect: the chosen kind and method when the run has them, else the first there are. */
export function resolveSelection(run: Pick<RunRecord, 'signatures'> | undefined, want: { kind: SignatureKind | null; method: string | null }): { kind: SignatureKind; method: string; kinds: SignatureKind[]; methods: string[] } | null {
  const choices = signatureChoices(run);
  if (!choices.length) return null;
  const kinds = [...new Set(choices.map((c) => c.kind))];
  // a method picked explicitly wins; then the kind; then the newest method that has signatures
  const byMethod = want.method ? choices.find((c) => c.method === want.method && (!want.kind || c.kind === want.kind)) : undefined;
  const kind = byMethod?.kind ?? (want.kind && kinds.includes(want.kind) ? want.kind : choices[choices.length - 1].kind);
  const methods = choices.filter((c) => c.kind === kind).map((c) => c.method);
  const method = byMethod && byMethod.kind === kind ? byMethod.method : methods[methods.length - 1];
  return { kind, method, kinds, methods };
}

/** The vectors t-SNE sees: ḡ_c / z̄_c, or every layer's part concatenated. */
export function signatureVectors(set: SignatureSet, perLayer: boolean): number[][] {
  return set.countries.map((c) => (perLayer ? c.perLayer.flat() : c.vector));
}

/** The zones' silhouette in the space shown (the runner's number for ḡ_c / z̄_c; computed here for per-layer routing). */
export function zoneSilhouette(set: SignatureSet, perLayer: boolean): number | null {
  if (!perLayer || set.kind === 'z') return set.silhouette;
  const zones = set.countries.map((c) => c.zone);
  const k = new Set(zones).size;
  if (k < 2 || k > set.countries.length - 1) return null;
  try {
    return silhouette(signatureVectors(set, true), zones);
  } catch {
    return null;
  }
}

const selectionKey = (i: Pick<AtlasInput, 'runId' | 'method' | 'perLayer'>) => `${i.runId}|${i.method}|${i.perLayer ? 'layers' : 'mean'}`;

/** the last layout of each selection, by country: the next layout of that selection starts there */
const previous = new Map<string, Record<string, [number, number]>>();
let replaySeq = 0;
/** what the view last asked to show: laid out again when a replay ends or is stopped */
let lastShow: AtlasInput | null = null;
/** the shortest time a replayed frame is shown */
export const REPLAY_FRAME_MS = 400;

export const useAtlas = create<AtlasState>()((set, get) => {
  const tsne = createCoalescer<AtlasInput>(async (input) => {
    try {
      await layout(input);
    } finally {
      set({ busy: tsne.pending });
    }
  });

  async function layout(input: AtlasInput): Promise<void> {
    const key = selectionKey(input);
    const snap = input.snapshot;
    const inputKey = `${key}|${snap.step}|${snap.updates}`;
    const cur = get().layout;
    if (cur?.inputKey === inputKey && cur.final) return;
    const countries = snap.set.countries;
    if (countries.length < MIN_TSNE_POINTS) {
      set({ layout: null, error: null });
      return;
    }
    set({ busy: true });
    const ids = countries.map((c) => c.country);
    const zoneOf = new Map(countries.map((c) => [c.country, c.zone]));
    const toPoints = (pts: [number, number][]) => pts.map(([x, y], i) => ({ country: ids[i], zone: zoneOf.get(ids[i]) ?? '', x, y }));
    const onFrame = callback((pts: [number, number][], iteration: number) => {
      // one layout runs at a time (the coalescer), so every frame belongs to this one
      set({ layout: { key, inputKey, points: toPoints(pts), iterations: iteration, final: false, warm: previous.has(key), degenerate: false, step: snap.step } });
    });
    try {
      const r = await getTsneClient().embed({ ids, vectors: signatureVectors(snap.set, input.perLayer), init: previous.get(key), seed: 7 }, onFrame);
      previous.set(key, Object.fromEntries(r.ids.map((id, i) => [id, r.points[i]])));
      set((s) => ({ layout: { key, inputKey, points: toPoints(r.points), iterations: r.iterations, final: true, warm: r.warm, degenerate: r.degenerate, step: snap.step }, layouts: s.layouts + 1, error: null }));
    } catch (e) {
      const x = e as { name?: string; message?: string };
      set({ error: { name: x?.name || 'TsneError', message: `The t-SNE layout failed: ${x?.message ?? String(e)}` } });
    }
  }

  return {
    runId: null,
    kind: null,
    method: null,
    perLayer: false,
    layout: null,
    layouts: 0,
    busy: false,
    error: null,
    replaying: null,
    defaults: undefined,
    recorded: undefined,
    async loadRecorded() {
      const have = get().recorded;
      if (have !== undefined) return have;
      let run: RunRecord | null = null;
      try {
        const res = await fetch(`${import.meta.env.BASE_URL}${RECORDED_RUN_URL}`);
        if (res.ok) run = { ...parseRunFile(await res.text(), RECORDED_RUN_URL, 0), id: RECORDED_SOURCE };
      } catch {
        run = null;
      }
      set({ recorded: run });
      return run;
    },
    async loadDefaults() {
      const have = get().defaults;
      if (have !== undefined) return have;
      const d = await fetchDefaultSignatures();
      set({ defaults: d });
      return d;
    },
    setRun(runId) {
      set({ runId, method: null });
    },
    setKind(kind) {
      set({ kind, method: null });
    },
    setMethod(method) {
      set({ method });
    },
    setPerLayer(perLayer) {
      set({ perLayer });
    },
    show(input) {
      lastShow = input;
      if (get().replaying) return; // the replay owns the plot until it ends; then this input is laid out
      void tsne.push(input);
    },
    async replay(input, frames) {
      if (!frames.length) return;
      const seq = ++replaySeq;
      const key = selectionKey(input);
      previous.delete(key); // from a fresh layout, as the run began
      set({ layout: null });
      for (let i = 0; i < frames.length; i++) {
        if (seq !== replaySeq) return;
        const f = frames[i];
        set({ replaying: { frame: i + 1, frames: frames.length, step: f.step }, busy: true });
        // each frame stays up a moment, so the eye follows the points (t-SNE of a few countries takes milliseconds)
        await Promise.all([layout({ ...input, snapshot: { method: input.method, step: f.step, set: f.set, updates: -1 - i } }), new Promise((r) => setTimeout(r, REPLAY_FRAME_MS))]);
      }
      if (seq === replaySeq) {
        set({ replaying: null, busy: false });
        if (lastShow) void tsne.push(lastShow);
      }
    },
    stopReplay() {
      const was = get().replaying;
      replaySeq++;
      set({ replaying: null, busy: false });
      if (was && lastShow) void tsne.push(lastShow);
    },
  };
});

/** For end-to-end tests and the console. */
export function exposeAtlasForTests(): void {
  if (typeof window === 'undefined') return;
  const w = window as unknown as { __atlas?: Record<string, unknown> };
  w.__atlas = { ...(w.__atlas ?? {}), getAtlas: () => useAtlas.getState() };
}
