// The conditioned views' state (lab.ts): its shape, the helpers its actions share, and their context.
import { presetOf } from './lab-defaults';
import { type AdapterSummary, type Condition, type ConditionMode, type MethodPreset, type ScoreResult } from '../adapters/session';
import type { AccountingTable } from '../adapters/accounting';
import { type Target } from '../adapters/types';
import type { GenerationResult } from '../model/api';
import type { PeftFiles, Result, WorkerError } from '../worker/protocol';
import { createLane } from './coalesce';
import { type Persona, type Scene, type SharedAdapter, type SharedSetup } from './scene';
import { useApp, type AppError } from './store';

export type LabArea = 'adapter' | 'encoder' | 'score' | 'generate' | 'blend' | 'routing' | 'export' | 'accounting' | 'scene' | 'learn';

/** CUMA's gates for a typed text (Learn's routing chapter), for persona A and B. */
export interface TextRouting {
  text: string;
  a: string;
  b: string;
  ga: NonNullable<ScoreResult['gates']>;
  gb: NonNullable<ScoreResult['gates']>;
}
export type LabBusy = null | 'adapter' | 'encoder' | 'score' | 'generate' | 'save' | 'export';

export interface AdapterOrigin {
  /** default: one of the adapters `npm run train:defaults` ships in public/adapters for the embedded model;
   *  kept: one a run trained in this browser (IndexedDB), named by run id and method */
  kind: 'random' | 'train' | 'file' | 'default' | 'kept';
  preset?: MethodPreset;
  seed?: number;
  file?: string;
  runId?: string;
  method?: string;
}

/** How the adapter on the model can be named in a link (see SharedAdapter). */
export function sharedAdapterOf(s: Pick<LabState, 'adapter' | 'origin' | 'rank' | 'targets'>): SharedAdapter {
  const a = s.adapter;
  const o = s.origin;
  if (!a || !o) return { kind: 'none' };
  const preset = presetOf(a);
  if (o.kind === 'default' && o.preset) return { kind: 'default', preset: o.preset };
  if (o.kind === 'random' && preset) return { kind: 'random', preset, seed: o.seed ?? 1, rank: a.r, targets: [...a.targets], ...(a.encoderId ? { encoder: a.encoderId } : {}) };
  if (o.kind === 'kept' && o.runId && o.method) return { kind: 'kept', runId: o.runId, method: o.method, name: o.file ?? o.method };
  return { kind: 'file', file: o.file ?? 'adapter.safetensors' };
}

export interface Generation {
  text: string;
  done: boolean;
  stopReason?: GenerationResult['stopReason'];
}

export interface PersonaScore {
  result: ScoreResult;
  text: string;
}

export interface RoutingResult {
  /** persona ids scored, A and B */
  a: string;
  b: string;
  ra: ScoreResult;
  rb: ScoreResult;
}

export interface LabState extends Scene {
  encoderId: string;
  preset: MethodPreset;
  seed: number;
  /** rank r and target modules of new adapters (the papers' default: 8, q and v) */
  rank: number;
  targets: Target[];
  /** Blend: persona ids of A and B (default: the first two) */
  blendA: string | null;
  blendB: string | null;
  alpha: number;
  /** adapter strength, 0..2 (applied to the model: it affects every view) */
  strength: number;
  routingLayer: number;
  /** the adapter bar's settings and files (encoder, seed, rank, modules, load / save / export) are shown */
  settingsOpen: boolean;

  // not persisted
  adapter: AdapterSummary | null;
  origin: AdapterOrigin | null;
  /** the encoder the worker has (null: its default, not asked for yet) */
  encoderLoaded: string | null;
  encoderNote: string | null;
  busy: LabBusy;
  /** the demo adapter was made (or tried) for this model, so it is not made again */
  autoDemoFor: unknown;
  /** per persona id: the result and the persona text it was scored with */
  scores: Record<string, PersonaScore>;
  /** what the scores were computed for (question, options, mode, adapter); stale when it differs */
  scoresKey: string | null;
  generations: Record<string, Generation>;
  generatingId: string | null;
  scoringId: string | null;
  blendResult: ScoreResult | null;
  blendKey: string | null;
  blendBusy: boolean;
  routing: RoutingResult | null;
  routingKey: string | null;
  routingBusy: boolean;
  accounting: { loaded: AccountingTable; mistral: AccountingTable } | null;
  errors: Partial<Record<LabArea, AppError>>;
  shareUrl: string | null;
  /** a shared link's adapter, strength and α, put on once the model is ready (then the scene is scored) */
  pendingShare: SharedSetup | null;
  textRouting: TextRouting | null;
  textRoutingBusy: boolean;

  // scene
  setPersona(id: string, patch: Partial<Pick<Persona, 'profile' | 'religiosity'>>): void;
  addPersona(): void;
  removePersona(id: string): void;
  setQuestion(q: string): void;
  setOption(i: number, text: string): void;
  addOption(): void;
  removeOption(i: number): void;
  setGenPrompt(p: string): void;
  setMode(m: ConditionMode): void;
  resetScene(): void;
  applyHash(hash: string): void;
  makeShareUrl(): string;

  // adapter
  /** pick a method: its adapter goes on the model (resolves true when an adapter of that method is on) */
  setPreset(p: MethodPreset): Promise<boolean>;
  setSeed(seed: number): void;
  setRank(r: number): void;
  toggleTarget(t: Target): void;
  setEncoder(id: string): Promise<void>;
  newRandomAdapter(preset?: MethodPreset): Promise<boolean>;
  /** put the shipped trained adapter of the chosen method on the embedded model (npm run train:defaults) */
  loadTrainedDefault(): Promise<boolean>;
  loadAdapterFile(file: File, origin?: AdapterOrigin): Promise<void>;
  /** a shared link's setup: its adapter on the model, strength and α, then the scene scored as the sender saw it */
  restoreShared(): Promise<void>;
  clearAdapter(): Promise<void>;
  saveAdapter(): Promise<Uint8Array | null>;
  exportPeft(): Promise<PeftFiles | null>;
  loadAccounting(): Promise<void>;
  /** the one-click demo: the embedded default (if nothing is loaded) and a random adapter of the chosen preset */
  startDemo(): Promise<void>;
  /** on a conditioned view with a model and no adapter yet: make the random demo adapter once per model */
  ensureDemoAdapter(): void;

  // work
  scoreAll(): Promise<void>;
  generateAll(): Promise<void>;
  stopGenerating(): void;
  setBlendPair(a: string | null, b: string | null): void;
  setAlpha(a: number): void;
  setStrength(m: number): void;
  refreshBlend(): void;
  setRoutingLayer(l: number): void;
  refreshRouting(): void;
  /**
   * Score conditions on a question with the adapter on the model, without touching the scene (the Present
   * deck's scenes). Deterministic: the same adapter and conditions give the same numbers.
   */
  probe(conditions: Condition[], question: string, options: string[], routing?: boolean): Promise<Result<ScoreResult[]>>;
  /** route a typed text through the CUMA adapter on the model as Blend's persona A and B (Learn) */
  routeText(text: string): Promise<void>;
  dismiss(area: LabArea): void;
  setSettingsOpen(open: boolean): void;
}

export const lane = createLane();

export function err(e: unknown): WorkerError {
  const x = e as { name?: string; message?: string };
  return { name: x?.name || 'Error', message: x?.message ?? String(e) };
}

export async function call<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await lane.run(fn);
  } catch (e) {
    return { ok: false, error: err(e) };
  }
}

export function chatFlag(): boolean {
  const s = useApp.getState();
  return s.opts.chat && !!s.summary?.hasChatTemplate;
}

export function adapterKey(a: AdapterSummary | null, origin: AdapterOrigin | null): string {
  if (!a) return 'none';
  return `${a.label}|${a.method}|${a.params}|${origin?.kind}|${origin?.seed ?? ''}|${origin?.file ?? ''}`;
}

export function personaById(s: Pick<LabState, 'personas'>, id: string | null): Persona | undefined {
  return id ? s.personas.find((p) => p.id === id) : undefined;
}

/** Blend's A and B: the chosen ids if they still exist, else the first two personas. */
export function blendPair(s: Pick<LabState, 'personas' | 'blendA' | 'blendB'>): [Persona, Persona] {
  const a = personaById(s, s.blendA) ?? s.personas[0];
  let b = personaById(s, s.blendB) ?? s.personas[1];
  if (b.id === a.id) b = s.personas.find((p) => p.id !== a.id) ?? b;
  return [a, b];
}

export function scoreKey(s: Pick<LabState, 'question' | 'options' | 'mode' | 'adapter' | 'origin' | 'strength'>): string {
  return JSON.stringify([s.question, s.options, s.mode, adapterKey(s.adapter, s.origin), s.strength]);
}

export function isCuma(a: AdapterSummary | null): boolean {
  return a?.method === 'cuma';
}


/** What the action factories share: the store's set/get and the helpers every area uses. */
export interface LabContext {
  set: (partial: Partial<LabState> | ((s: LabState) => Partial<LabState>)) => void;
  get: () => LabState;
  setError(area: LabArea, e: AppError | undefined): void;
  clearResults(): void;
  /** Model ready? Else say why in `area`. */
  canRun(area: LabArea): boolean;
  /** The model's adapter strength as the store says (Blend's slider sets it; every view scores with it). */
  syncStrength(area: LabArea): Promise<boolean>;
  /** the strength the worker's model has now */
  strength: { applied: number };
}
