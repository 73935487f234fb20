// The shape every survey source is brought into (the synthetic world, WorldValuesBench-style files),
// so prompts, splits and distribution measures work on any of them.
import type { Profile } from '../condition/profile';

export interface SurveyQuestion {
  id: string;
  text: string;
  /** answer labels in order; the model sees them lettered A., B., … */
  options: readonly string[];
}

export interface Participant {
  id: string;
  profile: Profile;
}

/** One answer: indices into the dataset's participants, questions and that question's options. */
export interface SurveyResponse {
  participant: number;
  question: number;
  answer: number;
}

export interface SurveyDataset {
  questions: readonly SurveyQuestion[];
  participants: readonly Participant[];
  responses: readonly SurveyResponse[];
}

/**
 * Empirical answer distribution of a question over the responses that pass `keep` (all by default):
 * counts / total, or all zeros when there are none.
 */
export function empiricalDistribution(
  ds: SurveyDataset,
  question: number,
  keep: (r: SurveyResponse) => boolean = () => true,
): Float64Array {
  const p = new Float64Array(ds.questions[question].options.length);
  let n = 0;
  for (const r of ds.responses) {
    if (r.question !== question || !keep(r)) continue;
    p[r.answer]++;
    n++;
  }
  if (n > 0) for (let k = 0; k < p.length; k++) p[k] /= n;
  return p;
}
