// A world of real opinions from a GlobalOpinionQA file: P* is the file's distribution, participants are
// sampled from it, one sample per country.
import { describe, it, expect } from 'vitest';
import { importGlobalOpinions } from '../../src/data/import-goqa';
import { opinionWorld } from '../../src/data/opinion-world';
import { GOQA_TEXT } from './fixtures/real-layouts';

describe('opinionWorld', () => {
  const imp = importGlobalOpinions(GOQA_TEXT);

  it('keeps questions with 2–10 options and two zoned countries, most countries first', () => {
    const w = opinionWorld(imp, { seed: 1, questions: 10, participantsPerCountry: 5 });
    // the 11-option religion item is left out (letters A–J); the economy item has one zoned country (Czechia)
    expect(w.questions.map((q) => q.text.slice(0, 16))).toEqual(['When it comes to', 'In political mat']);
    expect(w.notes).toEqual(['1 question with more than 10 options left out (the answer letters run A–J)', '1 question with fewer than two countries of a known zone left out']);
    expect(w.countries).toEqual(['Belgium', 'Great Britain', 'Nigeria', 'South Korea', 'Sweden']);
    expect(w.participants.filter((p) => p.country === 'Nigeria').map((p) => p.profile)).toEqual(Array(5).fill({ country: 'Nigeria' }));
    // everyone answers every question their country has: Belgium, Britain, S. Korea the first, Sweden and Nigeria the second
    expect(w.responses.length).toBe(5 * 3 + 5 * 2);
    expect(w.dist(1, 'Nigeria')).toEqual([0.3, 0.7]);
  });

  it('samples answers from the file’s distribution (seeded)', () => {
    const w = opinionWorld(imp, { seed: 7, questions: 2, participantsPerCountry: 2000, countries: ['Sweden', 'Nigeria'] });
    const share = (country: string) => {
      const rs = w.responses.filter((r) => w.participants[r.participant].country === country);
      return rs.filter((r) => r.answer === 1).length / rs.length;
    };
    expect(Math.abs(share('Sweden') - 0.4)).toBeLessThan(0.04);
    expect(Math.abs(share('Nigeria') - 0.7)).toBeLessThan(0.04);
    expect(opinionWorld(imp, { seed: 7, questions: 2, participantsPerCountry: 2000, countries: ['Sweden', 'Nigeria'] }).responses).toEqual(w.responses);
  });

  it('refuses what it cannot build', () => {
    expect(() => opinionWorld(imp, { seed: 1, questions: 5, participantsPerCountry: 3, countries: ['Japan'] })).toThrow(/no question of the file/);
    expect(() => opinionWorld(imp, { seed: 1, questions: 0, participantsPerCountry: 3 })).toThrow(/questions must be a positive integer/);
    expect(() => opinionWorld(imp, { seed: 1, questions: 2, participantsPerCountry: 3, countries: ['Atlantis'] })).toThrow(/unknown country "Atlantis"/);
  });
});
