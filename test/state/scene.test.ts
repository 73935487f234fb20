import { describe, expect, it } from 'vitest';
import { defaultPersona, defaultScene, personaText, sanitizePersonas, sceneFromHash, SceneError, sceneToHash, type Scene } from '../../src/state/scene';

describe('personaText', () => {
  it('linearizes the profile and writes religiosity as a sentence before the free text', () => {
    const p = { profile: { age: 34, gender: 'Female', country: 'Norway', freeText: 'Enjoys hiking' }, religiosity: 0 };
    expect(personaText(p)).toBe('Age: 34. Gender: Female. Country: Norway. Not at all religious. Enjoys hiking.');
    expect(personaText({ ...p, religiosity: null })).toBe('Age: 34. Gender: Female. Country: Norway. Enjoys hiking.');
    expect(personaText({ profile: {}, religiosity: null })).toBe('');
  });
  it('gives the default personas different texts', () => {
    const s = defaultScene();
    expect(personaText(s.personas[0])).toMatch(/Country: Norway\./);
    expect(personaText(s.personas[1])).toMatch(/Country: Nigeria\./);
  });
});

describe('scene in a URL hash', () => {
  const scene: Scene = {
    personas: [defaultPersona(0), { ...defaultPersona(1), profile: { ...defaultPersona(1).profile, freeText: 'Ünïcode ✓ & symbols ?#=' } }],
    question: 'How important is family?',
    options: ['Very', 'Rather', 'Not very'],
    genPrompt: 'Say hello.',
    mode: 'prompt',
  };

  it('round-trips personas, question, options, prompt, mode and view', () => {
    const hash = sceneToHash(scene, 'blend');
    expect(hash).toMatch(/^#\/blend\?scene=[\w-]+$/);
    const back = sceneFromHash(hash)!;
    expect(back.view).toBe('blend');
    expect(back.scene.question).toBe(scene.question);
    expect(back.scene.options).toEqual(scene.options);
    expect(back.scene.genPrompt).toBe('Say hello.');
    expect(back.scene.mode).toBe('prompt');
    expect(back.scene.personas.map((p) => p.profile)).toEqual(scene.personas.map((p) => p.profile));
    expect(back.scene.personas.map((p) => p.religiosity)).toEqual(scene.personas.map((p) => p.religiosity));
    expect(back.scene.personas.map(personaText)).toEqual(scene.personas.map(personaText));
  });

  it('returns null for a hash without a scene', () => {
    expect(sceneFromHash('#/compare')).toBeNull();
    expect(sceneFromHash('')).toBeNull();
    expect(sceneFromHash('#/compare?x=1')).toBeNull();
  });

  it('throws a SceneError for damaged or invalid scenes', () => {
    const hash = sceneToHash(scene, 'compare');
    expect(() => sceneFromHash(hash.slice(0, -7))).toThrow(SceneError);
    const enc = (o: unknown) => `#/compare?scene=${btoa(JSON.stringify(o)).replace(/=+$/, '')}`;
    expect(() => sceneFromHash(enc({ v: 2 }))).toThrow(/version/);
    expect(() => sceneFromHash(enc({ v: 1, personas: [{}], question: 'q', options: ['a', 'b'] }))).toThrow(/2 to 4 personas/);
    expect(() => sceneFromHash(enc({ v: 1, personas: [{ age: 'x' }, {}], question: 'q', options: ['a', 'b'] }))).toThrow(/persona 1: .*age must be a number/);
    expect(() => sceneFromHash(enc({ v: 1, personas: [{}, {}], question: 'q', options: ['a'] }))).toThrow(/answer options/);
  });

  it('ignores an unknown view name', () => {
    const json = { v: 1, view: 'nowhere', personas: [{}, {}], question: 'q', options: ['a', 'b'] };
    const back = sceneFromHash(`#/x?scene=${btoa(JSON.stringify(json)).replace(/=+$/, '')}`)!;
    expect(back.view).toBeNull();
    expect(back.scene.mode).toBe('adapter');
  });
});

describe('sanitizePersonas', () => {
  it('keeps valid persisted personas and refuses broken ones', () => {
    const ok = [defaultPersona(0), defaultPersona(1)];
    expect(sanitizePersonas(JSON.parse(JSON.stringify(ok)))).toEqual(ok);
    expect(sanitizePersonas([ok[0]])).toBeNull();
    expect(sanitizePersonas('nope')).toBeNull();
    expect(sanitizePersonas([ok[0], { id: 'x', profile: { Country: 'Norway' }, religiosity: null }])).toBeNull();
    expect(sanitizePersonas([ok[0], { profile: {}, religiosity: 99 }])![1].religiosity).toBeNull();
  });
});
