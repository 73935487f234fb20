// The Present view's state: the deck (kept in localStorage; exported and imported as JSON) and the
// speaker's toggles. The scene number lives in the URL (#/present/3), so a link opens that scene.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { defaultDeck, DeckError, deckToJson, MAX_SCENES, parseDeck, SCENE_KIND_LABEL, type Deck, type DeckScene, type SceneKind } from './deck';

export interface PresentState {
  deck: Deck;
  notes: boolean;
  editing: boolean;
  importError: string | null;
  setDeck(patch: Partial<Omit<Deck, 'v' | 'scenes'>>): void;
  setScene(i: number, patch: Partial<DeckScene>): void;
  addScene(kind: SceneKind): void;
  removeScene(i: number): void;
  moveScene(i: number, by: -1 | 1): void;
  resetDeck(): void;
  importDeck(text: string, fileName: string): boolean;
  exportDeck(): string;
  toggleNotes(): void;
  setEditing(v: boolean): void;
}

export const usePresent = create<PresentState>()(
  persist(
    (set, get) => ({
      deck: defaultDeck(),
      notes: false,
      editing: false,
      importError: null,
      setDeck(patch) {
        set((s) => ({ deck: { ...s.deck, ...patch } }));
      },
      setScene(i, patch) {
        set((s) => ({ deck: { ...s.deck, scenes: s.deck.scenes.map((sc, j) => (j === i ? { ...sc, ...patch } : sc)) } }));
      },
      addScene(kind) {
        set((s) => (s.deck.scenes.length >= MAX_SCENES ? {} : { deck: { ...s.deck, scenes: [...s.deck.scenes, { kind, title: SCENE_KIND_LABEL[kind], text: '', notes: '' }] } }));
      },
      removeScene(i) {
        set((s) => (s.deck.scenes.length <= 1 ? {} : { deck: { ...s.deck, scenes: s.deck.scenes.filter((_, j) => j !== i) } }));
      },
      moveScene(i, by) {
        set((s) => {
          const j = i + by;
          if (j < 0 || j >= s.deck.scenes.length) return {};
          const scenes = s.deck.scenes.slice();
          [scenes[i], scenes[j]] = [scenes[j], scenes[i]];
          return { deck: { ...s.deck, scenes } };
        });
      },
      resetDeck() {
        set({ deck: defaultDeck(), importError: null });
      },
      importDeck(text, fileName) {
        try {
          set({ deck: parseDeck(text, fileName), importError: null });
          return true;
        } catch (e) {
          set({ importError: e instanceof DeckError ? e.message : `${fileName} could not be read: ${(e as Error).message}` });
          return false;
        }
      },
      exportDeck() {
        return deckToJson(get().deck);
      },
      toggleNotes() {
        set((s) => ({ notes: !s.notes }));
      },
      setEditing(editing) {
        set({ editing });
      },
    }),
    {
      name: 'adapter-atlas-deck-v1',
      version: 1,
      partialize: (s) => ({ deck: s.deck, notes: s.notes }),
      // a stored deck that no longer validates (hand-edited, older) falls back to the default
      merge: (persisted, current) => {
        const p = (persisted ?? {}) as Partial<PresentState>;
        let deck = current.deck;
        try {
          if (p.deck) deck = parseDeck(JSON.stringify(p.deck), 'the saved deck');
        } catch {
          deck = current.deck;
        }
        return { ...current, deck, notes: typeof p.notes === 'boolean' ? p.notes : current.notes };
      },
    },
  ),
);
