// The synthetic world the default adapters are trained on (scripts/train-defaults.ts) and measured in
// (scripts/persona-spread.ts).
import { worldConfig } from '../src/data';

/**
 * Every country of the map, a few people each (personas built in the app can name any of them), and four
 * importance questions with religion first, the Compare view's default: with a small budget an adapter
 * learns persona → answer only where it sees each question often.
 */
export function defaultsWorld(seed: number) {
  return worldConfig('default', { seed, participantsPerCountry: 8, questionIds: ['Q6', 'Q1', 'Q4', 'Q5'], questionsPerParticipant: 'all' });
}
