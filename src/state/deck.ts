// A talk's deck for the Present view: pure data and pure functions (no React, no worker), so it can be
// persisted, exported, validated on import and tested. The scenes read the model through the lab store.
import { z } from 'zod';
import { profileFromJson, type Profile } from '../condition/profile';
import { DEFAULT_OPTIONS, DEFAULT_PROFILES, DEFAULT_QUESTION, MAX_OPTIONS, MIN_OPTIONS, RELIGIOSITY } from './scene';

export const SCENE_KINDS = ['title', 'personas', 'blend', 'routing', 'atlas', 'collapse', 'results'] as const;
export type SceneKind = (typeof SCENE_KINDS)[number];

export const SCENE_KIND_LABEL: Record<SceneKind, string> = {
  title: 'Title',
  personas: 'Two personas, one question',
  blend: 'Blend: the answer moves',
  routing: 'Routing of two personas',
  atlas: 'Atlas: the country map',
  collapse: 'Mean collapse (toy)',
  results: 'Results table',
};

/** Methods a deck can show: the two with trained defaults on the embedded model. */
export const DECK_METHODS = ['cuma', 'zhyper'] as const;
export type DeckMethod = (typeof DECK_METHODS)[number];

export interface DeckPersona {
  profile: Profile;
  religiosity: number | null;
}

export interface DeckScene {
  kind: SceneKind;
  title: string;
  /** what the audience reads (short) */
  text: string;
  /** what only the speaker sees */
  notes: string;
}

export interface Deck {
  v: 1;
  title: string;
  method: DeckMethod;
  personas: [DeckPersona, DeckPersona];
  question: string;
  options: string[];
  scenes: DeckScene[];
}

export const MAX_SCENES = 20;

export function defaultDeck(): Deck {
  const [a, b] = DEFAULT_PROFILES;
  return {
    v: 1,
    title: 'Conditioning a language model on culture',
    method: 'cuma',
    personas: [
      { profile: { ...a.profile }, religiosity: a.religiosity },
      { profile: { ...b.profile }, religiosity: b.religiosity },
    ],
    question: DEFAULT_QUESTION,
    options: [...DEFAULT_OPTIONS],
    scenes: [
      { kind: 'title', title: 'Conditioning a language model on culture', text: 'One small model, many people: LoRA adapters that read who is asking.', notes: 'Everything runs in this browser tab, offline, on WebGPU. Press → to go on.' },
      { kind: 'personas', title: 'Same question, two people', text: 'The adapter reads only each persona’s description. The prompt is identical.', notes: 'Total variation is how far apart the two answer distributions are (0 = identical, 1 = no overlap).' },
      { kind: 'blend', title: 'Move between them', text: 'Blend the two descriptions’ embeddings: the answer moves smoothly from one person to the other.', notes: 'α = 0 is persona A, α = 1 is persona B. Each point is the model’s real answer at that mix.' },
      { kind: 'routing', title: 'Who handles whom', text: 'CUMA routes each person through different experts.', notes: 'Mean gate per layer and expert over the question’s tokens; the right map is A − B.' },
      { kind: 'atlas', title: 'A map of countries', text: 'Each point is a country, placed by how the adapter treats its people.', notes: 'Shipped default adapter: no training needed. Press R to replay a recorded training run, if one is kept in this browser.' },
      { kind: 'collapse', title: 'Why one adapter for everyone fails', text: 'Two groups disagree. One dense fit lands in the empty middle; a routed fit serves each group.', notes: 'Deterministic toy, runs on the CPU: it trains as the scene opens, the same numbers every time.' },
      { kind: 'results', title: 'Results', text: 'Held-out answers of people the adapters never saw.', notes: 'Contrast preset: 4 countries of 4 zones, 50 people each, condition only through e_d. n and intervals are on the slide.' },
    ],
  };
}

const profileSchema = z.record(z.string(), z.unknown()).transform((raw, ctx) => {
  try {
    return profileFromJson(raw);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const personaSchema = z.object({
  profile: profileSchema,
  religiosity: z
    .number()
    .int()
    .min(0)
    .max(RELIGIOSITY.length - 1)
    .nullable(),
});

const deckSchema = z.object({
  v: z.literal(1),
  title: z.string().max(200),
  method: z.enum(DECK_METHODS),
  personas: z.tuple([personaSchema, personaSchema]),
  question: z.string().min(1).max(500),
  options: z.array(z.string().max(120)).min(MIN_OPTIONS).max(MAX_OPTIONS),
  scenes: z
    .array(z.object({ kind: z.enum(SCENE_KINDS), title: z.string().max(200), text: z.string().max(600), notes: z.string().max(2000) }))
    .min(1)
    .max(MAX_SCENES),
});

export class DeckError extends Error {
  override name = 'DeckError';
}

/** A deck from JSON text (an exported file). Throws DeckError naming the first problems; nothing changes then. */
export function parseDeck(text: string, fileName = 'the file'): Deck {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DeckError(`${fileName} is not JSON (${(e as Error).message}). Pick a deck saved with “Export deck”.`);
  }
  const r = deckSchema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
      .join('; ');
    throw new DeckError(`${fileName} is not a deck this app can read (${why}). Pick a deck saved with “Export deck”.`);
  }
  return r.data as Deck;
}

export function deckToJson(d: Deck): string {
  return JSON.stringify(d, null, 2) + '\n';
}

/** The scene number (1-based) in `#/present/3`; 1 when none or out of range. */
export function sceneFromHash(hash: string, count: number): number {
  const m = /^#\/?present\/(\d+)/.exec(hash);
  const n = m ? Number(m[1]) : 1;
  return Math.min(Math.max(1, Number.isFinite(n) ? n : 1), Math.max(1, count));
}
