// A world of real opinions: the questions and countries of a GlobalOpinionQA file, with
// P*(answer | question, country) the file's own distribution (one sample per country: import-goqa.ts's
// countryDistributions), and participants sampled from it. Table 1, Table 2 and the Atlas then run on what
// real people of those countries answered, not on the synthetic world's model of it.
//
// GlobalOpinionQA has no demographics: a participant's profile is their country, so every method can tell
// people apart only by country, and P* is the same for everyone of one country. Questions are kept when they
// have 2–10 options (letters A–J) and at least two countries with a cultural zone; the ones with the most
// countries come first.
import type { Country } from '../condition/profile';
import type { Participant, SurveyQuestion, SurveyResponse } from './dataset';
import { countryDistributions, type GlobalOpinionsImport } from './import-goqa';
import { mulberry32 } from '../model/sampling';
import { hashSeed } from './rng';
import { isCountry, zoneOf, type Zone } from './zones';

export interface OpinionWorldConfig {
  seed: number;
  /** at most this many questions (the ones most countries answered) */
  questions: number;
  /** sampled participants per country; each answers every kept question their country has a distribution for */
  participantsPerCountry: number;
  /** only these countries (canonical names); default every country with a zone */
  countries?: string[];
}

export interface OpinionParticipant extends Participant {
  country: Country;
  zone: Zone;
}

export interface OpinionWorld {
  questions: readonly SurveyQuestion[];
  participants: readonly OpinionParticipant[];
  responses: readonly SurveyResponse[];
  countries: readonly Country[];
  /** P*(· | question, country): the file's distribution */
  dist(question: number, country: string): number[];
  /** what was left out, in words */
  notes: string[];
}

export const MAX_OPTION_LETTERS = 10;

export function opinionWorld(imp: Pick<GlobalOpinionsImport, 'questions'>, c: OpinionWorldConfig): OpinionWorld {
  if (!Number.isInteger(c.questions) || c.questions < 1) throw new Error(`questions must be a positive integer, got ${c.questions}`);
  if (!Number.isInteger(c.participantsPerCountry) || c.participantsPerCountry < 1) throw new Error(`participantsPerCountry must be a positive integer, got ${c.participantsPerCountry}`);
  const want = c.countries ? new Set(c.countries) : null;
  for (const name of want ?? []) if (!isCountry(name)) throw new Error(`unknown country "${name}"`);
  const notes: string[] = [];
  let tooMany = 0, tooFew = 0;
  const usable = imp.questions
    .map((q, i) => {
      const d = countryDistributions(q).countries;
      for (const k of [...d.keys()]) if (want && !want.has(k)) d.delete(k);
      return { q, i, d };
    })
    .filter(({ q, d }) => {
      if (q.options.length > MAX_OPTION_LETTERS) return (tooMany++, false);
      if (d.size < 2) return (tooFew++, false);
      return true;
    })
    .sort((a, b) => b.d.size - a.d.size || a.i - b.i)
    .slice(0, c.questions);
  if (tooMany) notes.push(`${tooMany} question${tooMany > 1 ? 's' : ''} with more than ${MAX_OPTION_LETTERS} options left out (the answer letters run A–J)`);
  if (tooFew) notes.push(`${tooFew} question${tooFew > 1 ? 's' : ''} with fewer than two countries of a known zone left out`);
  if (usable.length === 0) throw new Error('no question of the file has 2–10 options and two countries with a cultural zone');
  const questions: SurveyQuestion[] = usable.map(({ q }) => ({ id: `goqa-${q.line}`, text: q.question, options: q.options.map((o, k) => (q.options.indexOf(o) !== k ? `${o} (${k + 1})` : o)) }));
  const countries = [...new Set(usable.flatMap(({ d }) => [...d.keys()]))].sort() as Country[];
  const rng = mulberry32(hashSeed(c.seed, 'goqa:participants'));
  const participants: OpinionParticipant[] = [];
  const responses: SurveyResponse[] = [];
  for (const country of countries) {
    const zone = zoneOf(country)!;
    for (let k = 0; k < c.participantsPerCountry; k++) {
      const pi = participants.length;
      participants.push({ id: `${country}-${k + 1}`, profile: { country }, country, zone });
      usable.forEach(({ d }, qi) => {
        const p = d.get(country);
        if (!p) return;
        let u = rng(), a = 0;
        while (a < p.length - 1 && u >= p[a]) u -= p[a++];
        responses.push({ participant: pi, question: qi, answer: a });
      });
    }
  }
  return {
    questions,
    participants,
    responses,
    countries,
    dist: (question, country) => {
      const p = usable[question].d.get(country as Country);
      if (!p) throw new Error(`question ${questions[question].id} has no distribution for ${country}`);
      return p;
    },
    notes,
  };
}
