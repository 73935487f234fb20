// Splits: 10:1 random, held-out profiles, leave-one-cluster-out.
import { describe, it, expect } from 'vitest';
import {
  ZONES,
  generateWorld,
  heldOutProfileSplit,
  leaveOneClusterOut,
  leaveOneClusterOutAll,
  participantGroup,
  profileKey,
  randomSplit,
  worldConfig,
  type Split,
  type SurveyDataset,
} from '../../src/data';

const w = generateWorld(worldConfig('quick'));

function expectPartition(ds: SurveyDataset, s: Split) {
  const train = new Set(s.train);
  const test = new Set(s.test);
  expect(train.size).toBe(s.train.length); // no duplicates
  expect(test.size).toBe(s.test.length);
  for (const i of test) expect(train.has(i)).toBe(false); // disjoint
  expect(train.size + test.size).toBe(ds.responses.length); // covering
  for (const i of [...train, ...test]) expect(i >= 0 && i < ds.responses.length).toBe(true);
}

describe('random 10:1 split', () => {
  it('is a disjoint partition sized 10:1', () => {
    const s = randomSplit(w, { seed: 3 });
    expectPartition(w, s);
    expect(s.test.length).toBe(Math.round(w.responses.length / 11));
    expect(s.train.length / s.test.length).toBeCloseTo(10, 1);
  });
  it('is deterministic in the seed', () => {
    expect(randomSplit(w, { seed: 3 })).toEqual(randomSplit(w, { seed: 3 }));
    expect(randomSplit(w, { seed: 4 }).test).not.toEqual(randomSplit(w, { seed: 3 }).test);
  });
  it('takes another ratio', () => {
    const s = randomSplit(w, { seed: 1, ratio: 4 });
    expect(s.test.length).toBe(Math.round(w.responses.length / 5));
  });
});

describe('held-out profiles', () => {
  const s = heldOutProfileSplit(w, { seed: 5 });

  it('is a disjoint partition; no test profile appears in training', () => {
    expectPartition(w, s);
    const trainProfiles = new Set(s.train.map((i) => profileKey(w.participants[w.responses[i].participant])));
    const testProfiles = new Set(s.test.map((i) => profileKey(w.participants[w.responses[i].participant])));
    for (const k of testProfiles) expect(trainProfiles.has(k)).toBe(false);
    expect([...testProfiles].sort()).toEqual(s.heldOutProfiles);
  });

  it('holds out about 1 in 11 profiles within every zone, so every zone is seen in training', () => {
    for (const z of ZONES) {
      const keys = new Set(w.participants.filter((p) => p.zone === z).map(profileKey));
      const held = s.heldOutProfiles.filter((k) => keys.has(k)).length;
      expect(held).toBe(Math.round(keys.size / 11));
      const trainZones = new Set(s.train.map((i) => w.participants[w.responses[i].participant].zone));
      expect(trainZones.has(z)).toBe(true);
    }
    // every participant answers the same number of questions here, so answers split ≈ 10:1 too
    expect(s.train.length / s.test.length).toBeGreaterThan(8);
    expect(s.train.length / s.test.length).toBeLessThan(13);
  });

  it('treats equal profiles as one profile', () => {
    const ds: SurveyDataset = {
      questions: [{ id: 'q', text: 'Q?', options: ['a', 'b'] }],
      participants: Array.from({ length: 22 }, (_, i) => ({ id: `p${i}`, profile: { country: 'Sweden', age: 30 + (i % 11) } })),
      responses: Array.from({ length: 22 }, (_, i) => ({ participant: i, question: 0, answer: i % 2 })),
    };
    const h = heldOutProfileSplit(ds, { seed: 1 });
    expect(h.heldOutProfiles.length).toBe(1); // 11 distinct profiles → 1 held out, with both of its participants
    expect(h.test.length).toBe(2);
    expectPartition(ds, h);
  });
});

describe('leave-one-cluster-out', () => {
  it('holds out exactly one zone: every test answer is from it, no training answer is', () => {
    for (const z of ZONES) {
      const s = leaveOneClusterOut(w, z);
      expectPartition(w, s);
      const testZones = new Set(s.test.map((i) => w.participants[w.responses[i].participant].zone));
      const trainZones = new Set(s.train.map((i) => w.participants[w.responses[i].participant].zone));
      expect([...testZones]).toEqual([z]);
      expect(trainZones.has(z)).toBe(false);
      expect(trainZones.size).toBe(ZONES.length - 1);
    }
  });

  it('one split per zone present, in the map’s zone order', () => {
    const all = leaveOneClusterOutAll(w);
    expect(all.map((s) => s.name)).toEqual(ZONES.map((z) => `leave out ${z}`));
  });

  it('imported participants without a zone field are grouped by their country, unknown ones as Unassigned', () => {
    expect(participantGroup({ id: 'a', profile: { country: 'Britain' } })).toBe('English-speaking');
    expect(participantGroup({ id: 'b', profile: { country: 'Atlantis' } })).toBe('Unassigned');
    expect(participantGroup({ id: 'c', profile: {} })).toBe('Unassigned');
  });
});
