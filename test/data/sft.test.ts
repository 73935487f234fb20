// SFT examples in CUMA's WVB template.
import { describe, it, expect } from 'vitest';
import { linearize } from '../../src/condition/profile';
import { generateWorld, letterIndex, optionLetter, sftExample, sftExamples, systemPrompt, userPrompt, worldConfig } from '../../src/data';

describe('SFT examples', () => {
  const w = generateWorld(worldConfig('quick'));

  it('system = CUMA’s persona prompt around the linearized profile', () => {
    const profile = { age: 34, gender: 'Female', country: 'Norway', religion: 'Protestant' };
    expect(systemPrompt(profile)).toBe(
      'You are a person with the following profile: Age: 34. Gender: Female. Country: Norway. Religion: Protestant. ' +
        'You are a helpful assistant that answers survey questions honestly.',
    );
    expect(systemPrompt({})).toContain('(not given)');
  });

  it('user = question, lettered options one per line, CUMA’s closing sentence', () => {
    expect(userPrompt({ text: 'How important is family in your life?', options: ['Very important', 'Rather important', 'Not very important', 'Not at all important'] })).toBe(
      'How important is family in your life?\nA. Very important\nB. Rather important\nC. Not very important\nD. Not at all important\nYou can only choose one option.',
    );
  });

  it('target = the answer’s letter, for every response of a world', () => {
    const all = sftExamples(w);
    expect(all.length).toBe(w.responses.length);
    all.forEach((ex, i) => {
      const r = w.responses[i];
      const q = w.questions[r.question];
      const p = w.participants[r.participant];
      expect(ex.target).toBe('ABCDEFGHIJ'[r.answer]);
      expect(ex.answerIndex).toBe(r.answer);
      expect(ex.questionId).toBe(q.id);
      expect(ex.participantId).toBe(p.id);
      expect(ex.system).toContain(linearize(p.profile));
      const lines = ex.user.split('\n');
      expect(lines[0]).toBe(q.text);
      expect(lines.length).toBe(q.options.length + 2);
      expect(lines[1 + r.answer]).toBe(`${ex.target}. ${q.options[r.answer]}`);
    });
    // 10-point questions run to J
    const ten = all.find((e) => e.user.includes('\nJ. '));
    expect(ten).toBeDefined();
  });

  it('letters map both ways and refuse what they cannot letter', () => {
    expect(optionLetter(0)).toBe('A');
    expect(optionLetter(25)).toBe('Z');
    expect(() => optionLetter(26)).toThrow();
    expect(() => optionLetter(-1)).toThrow();
    expect(letterIndex('c')).toBe(2);
    expect(letterIndex('AB')).toBe(-1);
    expect(() => sftExample(w, w.responses.length)).toThrow();
  });
});
