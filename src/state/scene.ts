// A scene: the personas, the shared question and options, the free-text prompt and the view. Pure data
// and pure functions (no React, no worker), so it can be persisted, put in a shareable URL and tested.
import { EDUCATION, linearize, profileFromJson, profileSentence, type Profile } from '../condition/profile';
import { METHOD_LABEL, type Condition, type ConditionMode, type MethodPreset } from '../adapters/session';
import { TARGETS, type Target } from '../adapters/types';
import { ENCODERS } from '../condition/encoder';
import { isView, type View } from './views';
import { QUESTIONS } from '../data/questions';

export const MIN_PERSONAS = 2;
export const MAX_PERSONAS = 4;
export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 6;

/** Religiosity is not a profile attribute; when set it is written as a sentence in the free text. */
export const RELIGIOSITY = ['Not at all religious', 'Not very religious', 'Somewhat religious', 'Very religious'] as const;

export interface Persona {
  /** stable across add/remove, so results stay with their persona */
  id: string;
  profile: Profile;
  /** index into RELIGIOSITY, or null: not stated */
  religiosity: number | null;
}

export interface Scene {
  personas: Persona[];
  question: string;
  options: string[];
  /** the free-text prompt every persona answers in Generate */
  genPrompt: string;
  mode: ConditionMode;
}

/** A World Values Survey item (Q6, importance of religion), worded as the synthetic world asks it: the
 *  trained default adapters learned it in these words. */
const Q6 = QUESTIONS.find((q) => q.id === 'Q6')!;
export const DEFAULT_QUESTION = Q6.text;
export const DEFAULT_OPTIONS = [...Q6.options];
export const DEFAULT_GEN_PROMPT = 'Describe a traditional celebration in your country in two sentences.';

export const DEFAULT_PROFILES: { profile: Profile; religiosity: number | null }[] = [
  {
    profile: { age: 34, gender: 'Female', country: 'Norway', education: "Master's degree", religion: 'No religion', employment: 'Full-time employed' },
    religiosity: 0,
  },
  {
    profile: { age: 41, gender: 'Male', country: 'Nigeria', education: 'Upper secondary school', religion: 'Muslim', employment: 'Self-employed' },
    religiosity: 3,
  },
  {
    profile: { age: 67, gender: 'Female', country: 'Japan', education: 'Upper secondary school', religion: 'Buddhist', employment: 'Retired' },
    religiosity: 1,
  },
  {
    profile: { age: 23, gender: 'Male', country: 'Brazil', education: "Bachelor's degree", religion: 'Catholic', employment: 'Student' },
    religiosity: 2,
  },
];

let idCounter = 0;
export function newPersonaId(): string {
  idCounter++;
  return `p${Date.now().toString(36)}${idCounter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export function defaultPersona(i: number, id = newPersonaId()): Persona {
  const d = DEFAULT_PROFILES[i % DEFAULT_PROFILES.length];
  return { id, profile: { ...d.profile }, religiosity: d.religiosity };
}

export function defaultScene(): Scene {
  return {
    personas: [defaultPersona(0), defaultPersona(1)],
    question: DEFAULT_QUESTION,
    options: [...DEFAULT_OPTIONS],
    genPrompt: DEFAULT_GEN_PROMPT,
    mode: 'adapter',
  };
}

/** The persona's profile with its religiosity as a sentence before the free text. */
function withReligiosity(p: Pick<Persona, 'profile' | 'religiosity'>): Profile {
  const rel = p.religiosity != null && RELIGIOSITY[p.religiosity] ? `${RELIGIOSITY[p.religiosity]}.` : '';
  const free = [rel, p.profile.freeText?.trim() ?? ''].filter(Boolean).join(' ');
  return { ...p.profile, freeText: free || undefined };
}

/** The text the condition encoder embeds: the linearized profile, religiosity as its own sentence before the free text. */
export function personaText(p: Pick<Persona, 'profile' | 'religiosity'>): string {
  return linearize(withReligiosity(p));
}

/** A persona as a condition: its text, and CUMA's sentence for an adapter trained on the code recipe's prompt. */
export function personaCondition(p: Pick<Persona, 'profile' | 'religiosity'>, mode: ConditionMode): Condition {
  return { text: personaText(p), sentence: profileSentence(withReligiosity(p)), mode };
}

/** A short name for headings and legends: "Norway, 34" */
export function personaName(p: Persona, i: number): string {
  const bits = [p.profile.country, p.profile.age != null ? String(p.profile.age) : ''].filter(Boolean);
  return bits.length ? bits.join(', ') : `Persona ${i + 1}`;
}

export function educationLevel(education: string | undefined): number {
  const i = (EDUCATION as readonly string[]).indexOf(education ?? '');
  return i < 0 ? 3 : i;
}

// ---- shareable URL: #/compare?scene=<base64url JSON> ----

/**
 * The adapter a shared scene was seen with, by reference (never its weights: a link stays short):
 * a shipped trained default by method, a seeded random one by its recipe, a kept adapter (trained in the
 * sender's browser) by its run id and method, a file by name (the recipient must load it), or none.
 */
export type SharedAdapter =
  | { kind: 'default'; preset: MethodPreset }
  | { kind: 'random'; preset: MethodPreset; seed: number; rank: number; targets: Target[]; encoder?: string }
  | { kind: 'kept'; runId: string; method: string; name: string }
  | { kind: 'file'; file: string }
  | { kind: 'none' };

/** What a link carries besides the scene: the adapter, its strength and Blend's α. */
export interface SharedSetup {
  adapter: SharedAdapter;
  strength: number;
  alpha: number;
}

interface SceneJson {
  v: 1;
  view?: View;
  personas: (Profile & { religiosity?: number | null })[];
  question: string;
  options: string[];
  genPrompt?: string;
  mode?: ConditionMode;
  adapter?: SharedAdapter;
  strength?: number;
  alpha?: number;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

export class SceneError extends Error {
  override name = 'SceneError';
}

/** The scene (and view, and the adapter setup when given) as a URL hash, e.g. `#/compare?scene=eyJ2Ijox…` */
export function sceneToHash(scene: Scene, view: View, setup?: SharedSetup): string {
  const json: SceneJson = {
    v: 1,
    view,
    personas: scene.personas.map((p) => ({ ...p.profile, ...(p.religiosity != null ? { religiosity: p.religiosity } : {}) })),
    question: scene.question,
    options: scene.options,
    genPrompt: scene.genPrompt,
    mode: scene.mode,
    ...(setup ? { adapter: setup.adapter, strength: setup.strength, alpha: setup.alpha } : {}),
  };
  return `#/${view}?scene=${toBase64Url(JSON.stringify(json))}`;
}

/**
 * The scene in a URL hash, or null when the hash has none. Throws SceneError when there is one but it
 * cannot be read (a link cut short, or edited by hand).
 */
export function sceneFromHash(hash: string): ParsedScene | null {
  const q = hash.indexOf('?');
  if (q < 0) return null;
  const raw = new URLSearchParams(hash.slice(q + 1)).get('scene');
  if (!raw) return null;
  let json: unknown;
  try {
    json = JSON.parse(fromBase64Url(raw));
  } catch {
    throw new SceneError('the shared link is damaged (cut short or edited): its scene could not be read');
  }
  return parseScene(json);
}

export interface ParsedScene {
  scene: Scene;
  view: View | null;
  /** absent in links made before adapters travelled (the recipient keeps its own adapter) */
  setup: SharedSetup | null;
}

const isPreset = (p: unknown): p is MethodPreset => typeof p === 'string' && p in METHOD_LABEL;

function parseAdapter(raw: unknown): SharedAdapter {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SceneError('the shared adapter is not an object');
  const a = raw as Record<string, unknown>;
  switch (a.kind) {
    case 'none':
      return { kind: 'none' };
    case 'default':
      if (!isPreset(a.preset)) throw new SceneError(`the shared adapter names an unknown method "${String(a.preset)}"`);
      return { kind: 'default', preset: a.preset };
    case 'random': {
      if (!isPreset(a.preset)) throw new SceneError(`the shared adapter names an unknown method "${String(a.preset)}"`);
      const targets = Array.isArray(a.targets) ? a.targets : [];
      if (!targets.length || !targets.every((t) => (TARGETS as readonly unknown[]).includes(t))) throw new SceneError('the shared adapter names unknown target modules');
      if (typeof a.seed !== 'number' || !Number.isInteger(a.seed)) throw new SceneError('the shared random adapter has no integer seed');
      if (typeof a.rank !== 'number' || !Number.isInteger(a.rank) || a.rank < 1 || a.rank > 64) throw new SceneError('the shared random adapter has no rank between 1 and 64');
      if (a.encoder !== undefined && (typeof a.encoder !== 'string' || !ENCODERS.some((e) => e.id === a.encoder))) throw new SceneError(`the shared random adapter names an unknown condition encoder "${String(a.encoder)}"`);
      return { kind: 'random', preset: a.preset, seed: a.seed, rank: a.rank, targets: targets as Target[], ...(a.encoder ? { encoder: a.encoder } : {}) };
    }
    case 'kept':
      if (typeof a.runId !== 'string' || typeof a.method !== 'string' || !a.runId || !a.method) throw new SceneError('the shared kept adapter has no run id and method');
      return { kind: 'kept', runId: a.runId, method: a.method, name: typeof a.name === 'string' ? a.name : `${a.method}` };
    case 'file':
      return { kind: 'file', file: typeof a.file === 'string' ? a.file : 'a file' };
    default:
      throw new SceneError(`the shared adapter has an unknown kind "${String(a.kind)}"`);
  }
}

function parseSetup(j: Partial<SceneJson>): SharedSetup | null {
  if (j.adapter === undefined) return null;
  const num = (v: unknown, lo: number, hi: number, name: string, dflt: number) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new SceneError(`the shared ${name} must be a number from ${lo} to ${hi}`);
    return v;
  };
  return { adapter: parseAdapter(j.adapter), strength: num(j.strength, 0, 2, 'strength', 1), alpha: num(j.alpha, 0, 1, 'blend α', 0) };
}

function parseScene(json: unknown): ParsedScene {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SceneError('the shared scene is not an object');
  const j = json as Partial<SceneJson>;
  if (j.v !== 1) throw new SceneError(`the shared scene has version ${String(j.v)}; this app reads version 1`);
  if (!Array.isArray(j.personas) || j.personas.length < MIN_PERSONAS || j.personas.length > MAX_PERSONAS)
    throw new SceneError(`a scene needs ${MIN_PERSONAS} to ${MAX_PERSONAS} personas`);
  const personas = j.personas.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SceneError(`persona ${i + 1} is not an object`);
    const { religiosity, ...rest } = raw as Record<string, unknown>;
    let profile: Profile;
    try {
      profile = profileFromJson(rest);
    } catch (e) {
      throw new SceneError(`persona ${i + 1}: ${(e as Error).message}`);
    }
    const rel = typeof religiosity === 'number' && Number.isInteger(religiosity) && religiosity >= 0 && religiosity < RELIGIOSITY.length ? religiosity : null;
    return { id: newPersonaId(), profile, religiosity: rel };
  });
  if (typeof j.question !== 'string') throw new SceneError('the shared scene has no question');
  if (!Array.isArray(j.options) || j.options.length < MIN_OPTIONS || j.options.length > MAX_OPTIONS || !j.options.every((o) => typeof o === 'string'))
    throw new SceneError(`a scene needs ${MIN_OPTIONS} to ${MAX_OPTIONS} answer options`);
  const view = typeof j.view === 'string' && isView(j.view) ? j.view : null;
  return {
    view,
    setup: parseSetup(j),
    scene: {
      personas,
      question: j.question,
      options: [...j.options],
      genPrompt: typeof j.genPrompt === 'string' ? j.genPrompt : DEFAULT_GEN_PROMPT,
      mode: j.mode === 'prompt' ? 'prompt' : 'adapter',
    },
  };
}

/** Persisted personas from an older or hand-edited localStorage entry: keep what is valid. */
export function sanitizePersonas(raw: unknown): Persona[] | null {
  if (!Array.isArray(raw) || raw.length < MIN_PERSONAS || raw.length > MAX_PERSONAS) return null;
  const out: Persona[] = [];
  for (const p of raw) {
    if (!p || typeof p !== 'object') return null;
    const o = p as Partial<Persona>;
    try {
      const profile = profileFromJson(o.profile ?? {});
      const rel = typeof o.religiosity === 'number' && o.religiosity >= 0 && o.religiosity < RELIGIOSITY.length ? o.religiosity : null;
      out.push({ id: typeof o.id === 'string' && o.id ? o.id : newPersonaId(), profile, religiosity: rel });
    } catch {
      return null;
    }
  }
  return out;
}
