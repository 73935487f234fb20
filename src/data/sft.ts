// Survey answers as conditional-SFT examples in CUMA's WorldValuesBench prompt format (paper,
// Appendix D.5):
//
//   system: "You are a person with the following profile: <profile> You are a helpful assistant
//            that answers survey questions honestly."
//   user:   "{Question}? {Options}. You can only choose one option."
//   target: the option's letter ("A", "B", …); CUMA's loss covers only that token.
//
// Deliberate differences, kept small: the profile is written by profile.ts `linearize` ("Age: 34.
// Gender: Female. …", CUMA's attribute order, absent attributes left out) rather than the paper's
// comma list with a "Marital Status" slot our Profile does not have; the question keeps its own
// punctuation instead of a forced "?", and the options are lettered one per line ("A. Very
// important") so the target letter is unambiguous.
import { linearize, type Profile } from '../condition/profile';
import type { SurveyDataset, SurveyQuestion } from './dataset';

export const SYSTEM_PREFIX = 'You are a person with the following profile:';
export const SYSTEM_SUFFIX = 'You are a helpful assistant that answers survey questions honestly.';
export const USER_SUFFIX = 'You can only choose one option.';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** "A" for 0, "B" for 1, … (at most 26 options). */
export function optionLetter(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= LETTERS.length) throw new Error(`option index ${index} out of range 0–25`);
  return LETTERS[index];
}

/** The index of a letter ("C" → 2), or −1. */
export function letterIndex(letter: string): number {
  return letter.length === 1 ? LETTERS.indexOf(letter.toUpperCase()) : -1;
}

export function systemPrompt(profile: Profile): string {
  const text = linearize(profile);
  return text ? `${SYSTEM_PREFIX} ${text} ${SYSTEM_SUFFIX}` : `${SYSTEM_PREFIX} (not given). ${SYSTEM_SUFFIX}`;
}

export function userPrompt(q: Pick<SurveyQuestion, 'text' | 'options'>): string {
  const lines = q.options.map((o, i) => `${optionLetter(i)}. ${o}`);
  return `${q.text.trim()}\n${lines.join('\n')}\n${USER_SUFFIX}`;
}

export interface SftExample {
  system: string;
  user: string;
  /** the answer's letter */
  target: string;
  answerIndex: number;
  questionId: string;
  participantId: string;
}

/** The SFT example of one response (an index into ds.responses). */
export function sftExample(ds: SurveyDataset, response: number): SftExample {
  const r = ds.responses[response];
  if (!r) throw new Error(`no response ${response}`);
  const q = ds.questions[r.question];
  const person = ds.participants[r.participant];
  return {
    system: systemPrompt(person.profile),
    user: userPrompt(q),
    target: optionLetter(r.answer),
    answerIndex: r.answer,
    questionId: q.id,
    participantId: person.id,
  };
}

/** SFT examples of the given responses (all by default), in order. */
export function sftExamples(ds: SurveyDataset, responses?: readonly number[]): SftExample[] {
  const idx = responses ?? ds.responses.map((_, i) => i);
  return idx.map((i) => sftExample(ds, i));
}
