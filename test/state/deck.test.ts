// The Present deck: the default deck validates, a deck survives export → import, bad files are refused by
// name; the scene number in the URL; the results slide's intervals.
import { describe, expect, it } from 'vitest';
import { defaultDeck, DeckError, deckToJson, parseDeck, SCENE_KINDS, sceneFromHash } from '../../src/state/deck';
import { wilson } from '../../src/ui/present/scenes';
import { CONTRAST_RESULTS } from '../../src/ui/present/results';

describe('deck files', () => {
  it('the default deck has 7 scenes at projector scale: title, personas, blend, routing, atlas, collapse, results', () => {
    const d = defaultDeck();
    expect(d.scenes.map((s) => s.kind)).toEqual(['title', 'personas', 'blend', 'routing', 'atlas', 'collapse', 'results']);
    for (const k of SCENE_KINDS) expect(d.scenes.some((s) => s.kind === k)).toBe(true);
    expect(d.method).toBe('cuma');
  });

  it('round-trips through JSON', () => {
    const d = defaultDeck();
    d.title = 'My talk';
    d.scenes[1].notes = 'Say the TV out loud.';
    expect(parseDeck(deckToJson(d))).toEqual(d);
  });

  it('refuses what is not a deck, naming the file and the field', () => {
    expect(() => parseDeck('not json', 'talk.json')).toThrow(DeckError);
    expect(() => parseDeck('not json', 'talk.json')).toThrow(/talk\.json is not JSON/);
    const d = JSON.parse(deckToJson(defaultDeck()));
    expect(() => parseDeck(JSON.stringify({ ...d, v: 2 }), 'a.json')).toThrow(/a\.json is not a deck this app can read \(v:/);
    expect(() => parseDeck(JSON.stringify({ ...d, method: 'lora' }), 'a.json')).toThrow(/method/);
    expect(() => parseDeck(JSON.stringify({ ...d, scenes: [] }), 'a.json')).toThrow(/scenes/);
    expect(() => parseDeck(JSON.stringify({ ...d, scenes: [{ kind: 'video', title: '', text: '', notes: '' }] }), 'a.json')).toThrow(/scenes\.0\.kind/);
    expect(() => parseDeck(JSON.stringify({ ...d, options: ['only one'] }), 'a.json')).toThrow(/options/);
    expect(() => parseDeck(JSON.stringify({ ...d, personas: [d.personas[0]] }), 'a.json')).toThrow(/personas/);
    expect(() => parseDeck(JSON.stringify({ ...d, personas: [{ profile: { age: 'old' }, religiosity: null }, d.personas[1]] }), 'a.json')).toThrow(/personas\.0\.profile/);
    expect(() => parseDeck(JSON.stringify({ ...d, personas: [{ ...d.personas[0], religiosity: 9 }, d.personas[1]] }), 'a.json')).toThrow(/religiosity/);
  });

  it('reads the scene number from the URL, clamped to the deck', () => {
    expect(sceneFromHash('#/present/3', 7)).toBe(3);
    expect(sceneFromHash('#/present', 7)).toBe(1);
    expect(sceneFromHash('#/present/99', 7)).toBe(7);
    expect(sceneFromHash('#/present/0', 7)).toBe(1);
    expect(sceneFromHash('#/compare', 7)).toBe(1);
  });
});

describe('results slide', () => {
  it('Wilson interval against a hand computation', () => {
    // p = 0.5, n = 100: centre 0.5, half-width 1.96·sqrt(.25/100 + 1.96²/40000)/(1 + 1.96²/100) = 0.0954…
    const [lo, hi] = wilson(0.5, 100);
    expect((lo + hi) / 2).toBeCloseTo(0.5, 12);
    expect(hi - 0.5).toBeCloseTo((1.96 * Math.sqrt(0.0025 + 1.96 ** 2 / 40000)) / (1 + 1.96 ** 2 / 100), 12);
    // p = 0 keeps a positive upper bound at small n
    const [l0, h0] = wilson(0, 10);
    expect(l0).toBe(0);
    expect(h0).toBeGreaterThan(0.2);
  });

  it('shows the committed contrast results with their n and the reference rows', () => {
    const labels = CONTRAST_RESULTS.rows.map((r) => r.label);
    expect(labels).toEqual(expect.arrayContaining(['LoRA (dense)', 'Zhyper (diag)', 'CUMA (top-2 of 8)']));
    expect(CONTRAST_RESULTS.rows.filter((r) => r.reference)).toHaveLength(3);
    for (const r of CONTRAST_RESULTS.rows) expect(r.n).toBeGreaterThan(0);
    expect(CONTRAST_RESULTS.caption).toMatch(/n = \d+ held-out answers/);
    // Zhyper's row is the rerun with the heads at the identity (EMD 0.287), not the older 0.372
    expect(CONTRAST_RESULTS.rows.find((r) => r.label === 'Zhyper (diag)')!.emd).toBeCloseTo(0.287, 3);
  });
});
