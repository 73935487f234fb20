// Train/test splits over a dataset's responses (indices into ds.responses), as CUMA evaluates:
//  - `randomSplit`: 10:1 over responses (paper §4.1 / D.4);
//  - `heldOutProfileSplit`: within each cultural zone, 1 in 11 distinct profiles (all attributes
//    equal ⇒ same profile) and all their answers go to test, so no test profile is seen in training
//    (Appendix E.2);
//  - `leaveOneClusterOut`: every answer of one zone's participants is the test set (Tables 2–3's
//    protocol name).
// All are deterministic in the seed. Participants whose zone is unknown (an imported country outside
// ZONE_ASSIGNMENT) count as the group "Unassigned".
import { linearize } from '../condition/profile';
import type { Participant, SurveyDataset } from './dataset';
import { shuffle, stream } from './rng';
import { ZONES, zoneOf } from './zones';

export interface Split {
  name: string;
  train: number[];
  test: number[];
}

export const UNASSIGNED = 'Unassigned';

/** The cultural group of a participant: its `zone` field when it has one, else its country's zone. */
export function participantGroup(p: Participant & { zone?: string }): string {
  if (p.zone) return p.zone;
  const c = p.profile.country;
  return (c !== undefined && zoneOf(c)) || UNASSIGNED;
}

/** Test size for n items at train:test = ratio:1. */
export function testSize(n: number, ratio: number): number {
  return Math.round(n / (ratio + 1));
}

/** Responses shuffled, round(n/(ratio+1)) of them to test, the rest to train. */
export function randomSplit(ds: SurveyDataset, opts: { seed: number; ratio?: number } = { seed: 1 }): Split {
  const ratio = opts.ratio ?? 10;
  const idx = shuffle(stream(opts.seed, 'split:random'), ds.responses.map((_, i) => i));
  const t = testSize(idx.length, ratio);
  return { name: `random ${ratio}:1`, test: idx.slice(0, t).sort((a, b) => a - b), train: idx.slice(t).sort((a, b) => a - b) };
}

/** The key that decides "same profile": its linearization (every attribute, CUMA's order). */
export function profileKey(p: Participant): string {
  return linearize(p.profile);
}

export function heldOutProfileSplit(
  ds: SurveyDataset,
  opts: { seed: number; ratio?: number; group?: (p: Participant) => string } = { seed: 1 },
): Split & { heldOutProfiles: string[] } {
  const ratio = opts.ratio ?? 10;
  const group = opts.group ?? participantGroup;
  // distinct profile keys per group, in first-seen order (deterministic), then shuffled per group
  const keysByGroup = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const p of ds.participants) {
    const key = profileKey(p);
    if (seen.has(key)) continue;
    seen.add(key);
    const g = group(p);
    let list = keysByGroup.get(g);
    if (!list) keysByGroup.set(g, (list = []));
    list.push(key);
  }
  const held = new Set<string>();
  for (const [g, keys] of [...keysByGroup].sort((a, b) => a[0].localeCompare(b[0]))) {
    const order = shuffle(stream(opts.seed, `split:profiles:${g}`), [...keys]);
    for (const k of order.slice(0, testSize(keys.length, ratio))) held.add(k);
  }
  const participantHeld = ds.participants.map((p) => held.has(profileKey(p)));
  const train: number[] = [];
  const test: number[] = [];
  ds.responses.forEach((r, i) => (participantHeld[r.participant] ? test : train).push(i));
  return { name: `held-out profiles ${ratio}:1`, train, test, heldOutProfiles: [...held].sort() };
}

/** Every response of `cluster`'s participants to test, the rest to train. */
export function leaveOneClusterOut(ds: SurveyDataset, cluster: string, group: (p: Participant) => string = participantGroup): Split {
  const inCluster = ds.participants.map((p) => group(p) === cluster);
  const train: number[] = [];
  const test: number[] = [];
  ds.responses.forEach((r, i) => (inCluster[r.participant] ? test : train).push(i));
  return { name: `leave out ${cluster}`, train, test };
}

/** One leave-one-cluster-out split per group present in the dataset: zones in ZONES order, then others sorted. */
export function leaveOneClusterOutAll(ds: SurveyDataset, group: (p: Participant) => string = participantGroup): Split[] {
  const order = (g: string) => {
    const i = (ZONES as readonly string[]).indexOf(g);
    return i < 0 ? ZONES.length : i;
  };
  const groups = [...new Set(ds.participants.map(group))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return groups.map((g) => leaveOneClusterOut(ds, g, group));
}
