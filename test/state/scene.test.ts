import { describe, expect, it } from 'vitest';
import { defaultPersona, defaultScene, personaText, sanitizePersonas, sceneFromHash, SceneError, sceneToHash, type Scene, type SharedAdapter } from '../../src/state/scene';

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

describe('a shared link carries the adapter, its strength and α', () => {
  const scene = defaultScene();
  it('round-trips every kind of adapter', () => {
    const adapters: SharedAdapter[] = [
      { kind: 'default', preset: 'cuma' },
      { kind: 'random', preset: 'zhyper', seed: 7, rank: 4, targets: ['q', 'v', 'o'] },
      { kind: 'random', preset: 'cuma', seed: 2, rank: 8, targets: ['q', 'v'], encoder: 'use-lite-512' },
      { kind: 'kept', runId: 'run-abc', method: 'cuma', name: 'cuma-SmolLM2' },
      { kind: 'file', file: 'mine.safetensors' },
      { kind: 'none' },
    ];
    for (const adapter of adapters) {
      const back = sceneFromHash(sceneToHash(scene, 'blend', { adapter, strength: 1.5, alpha: 0.25 }))!;
      expect(back.setup).toEqual({ adapter, strength: 1.5, alpha: 0.25 });
      expect(back.view).toBe('blend');
    }
  });

  it('an older link without an adapter keeps the recipient’s own (setup null)', () => {
    expect(sceneFromHash(sceneToHash(scene, 'compare'))!.setup).toBeNull();
  });

  it('refuses a damaged setup by name', () => {
    const bad = (patch: object) => {
      const hash = sceneToHash(scene, 'compare', { adapter: { kind: 'none' }, strength: 1, alpha: 0 });
      const b64 = hash.split('scene=')[1];
      const json = JSON.parse(Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
      const out = Buffer.from(JSON.stringify({ ...json, ...patch })).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      return () => sceneFromHash(`#/compare?scene=${out}`);
    };
    expect(bad({ adapter: { kind: 'default', preset: 'gpt' } })).toThrow(/unknown method "gpt"/);
    expect(bad({ adapter: { kind: 'random', preset: 'cuma', seed: 1, rank: 8, targets: ['qq'] } })).toThrow(/unknown target modules/);
    expect(bad({ adapter: { kind: 'random', preset: 'cuma', seed: 1, rank: 99, targets: ['q'] } })).toThrow(/rank between 1 and 64/);
    expect(bad({ adapter: { kind: 'kept' } })).toThrow(/run id and method/);
    expect(bad({ adapter: { kind: 'random', preset: 'cuma', seed: 1, rank: 8, targets: ['q'], encoder: 'bert-huge' } })).toThrow(/unknown condition encoder "bert-huge"/);
    expect(bad({ adapter: { kind: 'weird' } })).toThrow(/unknown kind "weird"/);
    expect(bad({ strength: 5 })).toThrow(/strength must be a number from 0 to 2/);
    expect(bad({ alpha: -1 })).toThrow(/α must be a number from 0 to 1/);
    expect(bad({ adapter: { kind: 'weird' } })).toThrow(SceneError);
  });
});
