// The synthetic world: determinism, exact distributions, the question bank, the separation knob.
import { describe, it, expect } from 'vitest';
import { COUNTRIES, EDUCATION, EMPLOYMENT, GENDERS, RELIGIONS, profileFromJson } from '../../src/condition/profile';
import {
  QUESTIONS,
  ZONES,
  betweenZoneEmd,
  cumulativeLogit,
  emd,
  entropy,
  entropyReport,
  generateWorld,
  groupDistribution,
  pooledDistribution,
  trueDistribution,
  worldConfig,
  worldZones,
  zoneDistribution,
  WORLD_PRESETS,
  IW_KNOBS,
} from '../../src/data';

const quick = () => generateWorld(worldConfig('quick'));

describe('the question bank', () => {
  it('has at least 30 WVS-style questions on 4-, 5- or 10-point scales with unique ids', () => {
    expect(QUESTIONS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(QUESTIONS.map((q) => q.id)).size).toBe(QUESTIONS.length);
    for (const q of QUESTIONS) {
      expect([4, 5, 10]).toContain(q.options.length);
      expect(q.text.length).toBeGreaterThan(10);
      expect(new Set(q.options).size).toBe(q.options.length);
      // every question depends on at least one cultural axis or demographic
      expect(Object.values(q.loadings).some((b) => b !== 0)).toBe(true);
    }
    const scales = new Set(QUESTIONS.map((q) => q.options.length));
    expect([...scales].sort()).toEqual([10, 4, 5]);
    // both cultural axes are used, each by several questions
    expect(QUESTIONS.filter((q) => q.loadings.traditionalSecular !== 0).length).toBeGreaterThan(10);
    expect(QUESTIONS.filter((q) => q.loadings.survivalSelfExpression !== 0).length).toBeGreaterThan(10);
    for (const d of ['age', 'education', 'religiosity', 'gender'] as const) {
      expect(QUESTIONS.filter((q) => q.loadings[d] !== 0).length).toBeGreaterThan(3);
    }
  });

  it('every world uses the whole bank unless told otherwise', () => {
    expect(quick().questions.length).toBe(QUESTIONS.length);
    const w = generateWorld(worldConfig('quick', { questionIds: ['Q164', 'Q182'] }));
    expect(w.questions.map((q) => q.id)).toEqual(['Q164', 'Q182']);
    expect(() => generateWorld(worldConfig('quick', { questionIds: ['Q9999'] }))).toThrow(/unknown question id Q9999/);
  });
});

describe('determinism', () => {
  it('the same config gives the same world, bit for bit', () => {
    const a = quick();
    const b = quick();
    expect(b.participants).toEqual(a.participants);
    expect(b.responses).toEqual(a.responses);
    expect(b.questions).toEqual(a.questions);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('another seed gives another world', () => {
    const a = quick();
    const b = generateWorld(worldConfig('quick', { seed: 2 }));
    expect(b.participants.map((p) => p.profile)).not.toEqual(a.participants.map((p) => p.profile));
    expect(b.responses.map((r) => r.answer)).not.toEqual(a.responses.map((r) => r.answer));
  });

  it('profiles do not depend on the knobs; only answers move', () => {
    const a = quick();
    const b = generateWorld(worldConfig('quick', { separation: 0.5, sharpness: 1 }));
    expect(b.participants).toEqual(a.participants);
    expect(b.responses.map((r) => [r.participant, r.question])).toEqual(a.responses.map((r) => [r.participant, r.question]));
  });
});

describe('world contents', () => {
  it('presets have the documented sizes', () => {
    const q = quick();
    expect(q.countries.length).toBe(16);
    expect(worldZones(q)).toEqual([...ZONES]);
    expect(q.participants.length).toBe(16 * 12);
    expect(q.responses.length).toBe(16 * 12 * 8);
    const d = generateWorld(WORLD_PRESETS.default);
    expect(d.countries.length).toBe(COUNTRIES.length);
    expect(d.responses.length).toBe(COUNTRIES.length * 50 * 12);
  });

  it('profiles are valid Profile objects with the project’s own category wording', () => {
    const w = quick();
    for (const p of w.participants) {
      expect(profileFromJson(p.profile)).toEqual(p.profile);
      expect(p.profile.country).toBe(p.country);
      expect(p.profile.age).toBeGreaterThanOrEqual(18);
      expect(p.profile.age).toBeLessThanOrEqual(90);
      expect(GENDERS as readonly string[]).toContain(p.profile.gender);
      expect(EDUCATION as readonly string[]).toContain(p.profile.education);
      expect(RELIGIONS as readonly string[]).toContain(p.profile.religion);
      expect(EMPLOYMENT as readonly string[]).toContain(p.profile.employment);
    }
  });

  it('religion is plausible per zone and country', () => {
    const w = generateWorld(worldConfig('default', { participantsPerCountry: 200, questionsPerParticipant: 1 }));
    const share = (country: string, religion: string) => {
      const ps = w.participants.filter((p) => p.country === country);
      return ps.filter((p) => p.profile.religion === religion).length / ps.length;
    };
    expect(share('Pakistan', 'Muslim')).toBeGreaterThan(0.9);
    expect(share('India', 'Hindu')).toBeGreaterThan(0.7);
    expect(share('Poland', 'Catholic')).toBeGreaterThan(0.8);
    expect(share('Russia', 'Orthodox Christian')).toBeGreaterThan(0.6);
    expect(share('Israel', 'Jewish')).toBeGreaterThan(0.65);
    expect(share('Czechia', 'No religion')).toBeGreaterThan(0.6);
    expect(share('Thailand', 'Buddhist')).toBeGreaterThan(0.85);
    expect(share('Sweden', 'Hindu')).toBe(0);
  });

  it('each participant answers distinct questions; answers are valid option indices', () => {
    const w = quick();
    const seen = new Set<string>();
    for (const r of w.responses) {
      const key = `${r.participant}:${r.question}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(r.answer).toBeGreaterThanOrEqual(0);
      expect(r.answer).toBeLessThan(w.questions[r.question].options.length);
    }
  });

  it('rejects bad configs', () => {
    expect(() => generateWorld(worldConfig('quick', { participantsPerCountry: 0 }))).toThrow(/participantsPerCountry/);
    expect(() => generateWorld(worldConfig('quick', { separation: -1 }))).toThrow(/separation/);
    expect(() => generateWorld(worldConfig('quick', { sharpness: 0 }))).toThrow(/sharpness/);
    expect(() => generateWorld(worldConfig('quick', { countries: ['Atlantis' as never] }))).toThrow(/Atlantis/);
  });
});

describe('ground truth P*(answer | question, profile)', () => {
  it('is a probability vector for every participant and question', () => {
    const w = quick();
    for (let q = 0; q < w.questions.length; q++) {
      for (const person of w.participants) {
        const p = trueDistribution(w, q, person.profile);
        expect(p.length).toBe(w.questions[q].options.length);
        let s = 0;
        for (const x of p) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
          s += x;
        }
        expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('stays a probability vector at extreme latent scores and sharpness', () => {
    for (const eta of [-1e6, -40, -1, 0, 1, 40, 1e6]) {
      for (const s of [0.01, 1, 100]) {
        const p = cumulativeLogit(eta, [-2, -0.5, 0.5, 2], s);
        expect(p.every((x) => x >= 0 && x <= 1)).toBe(true);
        expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      }
    }
    expect(() => cumulativeLogit(0, [1, 0])).toThrow(/increase/);
  });

  it('is the cumulative-logit model: P(Y ≤ k) = σ(s(θ_k − η))', () => {
    const th = [-1, 0.5, 2];
    const p = cumulativeLogit(0.3, th, 1.7);
    let c = 0;
    for (let k = 0; k < th.length; k++) {
      c += p[k];
      expect(c).toBeCloseTo(1 / (1 + Math.exp(-1.7 * (th[k] - 0.3))), 12);
    }
  });

  it('moves with the loadings: older, religious respondents rate God as more important', () => {
    const w = quick();
    const q = w.questions.findIndex((x) => x.id === 'Q164');
    const base = { country: 'France', gender: 'Female', education: "Bachelor's degree" };
    const young = trueDistribution(w, q, { ...base, age: 22, religion: 'No religion' });
    const old = trueDistribution(w, q, { ...base, age: 80, religion: 'Catholic' });
    const mean = (p: Float64Array) => p.reduce((s, x, k) => s + x * k, 0);
    expect(mean(old)).toBeGreaterThan(mean(young) + 1);
  });

  it('group distributions are means of P* and sum to one', () => {
    const w = quick();
    for (let q = 0; q < w.questions.length; q++) {
      const pooled = pooledDistribution(w, q);
      expect(Math.abs(pooled.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      // the pooled distribution is the head-count-weighted mixture of the zones' distributions
      const mix = new Float64Array(pooled.length);
      for (const z of worldZones(w)) {
        const nz = w.participants.filter((p) => p.zone === z).length;
        zoneDistribution(w, q, z).forEach((x, k) => (mix[k] += (x * nz) / w.participants.length));
      }
      mix.forEach((x, k) => expect(x).toBeCloseTo(pooled[k], 12));
    }
    expect(groupDistribution(w, 0, () => false).every((x) => x === 0)).toBe(true);
  });

  it('sampled answers follow P* (χ²-style check on a large sample)', () => {
    const w = generateWorld(worldConfig('quick', { participantsPerCountry: 150, questionsPerParticipant: 'all' }));
    const q = w.questions.findIndex((x) => x.id === 'Q182');
    const expected = pooledDistribution(w, q);
    const counts = new Float64Array(expected.length);
    let n = 0;
    for (const r of w.responses) {
      if (r.question !== q) continue;
      counts[r.answer]++;
      n++;
    }
    for (let k = 0; k < counts.length; k++) {
      const sd = Math.sqrt((expected[k] * (1 - expected[k])) / n);
      expect(Math.abs(counts[k] / n - expected[k])).toBeLessThan(4 * sd + 1e-9);
    }
  });
});

describe('the separation knob', () => {
  const seps = [0, 0.5, 1, 2, 3, 4];
  const worlds = seps.map((separation) => generateWorld(worldConfig('quick', { separation })));

  it('increases the between-zone distance (EMD between zone distributions) monotonically', () => {
    const d = worlds.map(betweenZoneEmd);
    for (let i = 1; i < d.length; i++) expect(d[i]).toBeGreaterThan(d[i - 1]);
    expect(d[d.length - 1]).toBeGreaterThan(5 * d[0]);
  });

  it('at separation 0 the zones differ only through composition and within-zone spread', () => {
    const flat = generateWorld(worldConfig('quick', { separation: 0, withinZoneSpread: 0, demographicWeight: 0 }));
    expect(betweenZoneEmd(flat)).toBeLessThan(1e-12);
  });

  it('entropy: pooled ≥ zone ≥ profile; the zone information grows with separation', () => {
    const reps = worlds.map(entropyReport);
    for (const r of reps) {
      expect(r.pooled).toBeGreaterThanOrEqual(r.zone - 1e-12);
      expect(r.zone).toBeGreaterThanOrEqual(r.profile - 1e-12);
      expect(r.zoneInformation).toBeCloseTo(r.pooled - r.zone, 12);
    }
    for (let i = 1; i < reps.length; i++) expect(reps[i].zoneInformation).toBeGreaterThan(reps[i - 1].zoneInformation);
  });

  it('IW_KNOBS reproduce the map: zone offsets are zero and countries sit at their IW positions', () => {
    const w = generateWorld(worldConfig('quick', IW_KNOBS));
    for (const q of w.questions) expect(Object.values(q.zoneOffsets).every((u) => u === 0)).toBe(true);
    const sw = w.positions.Sweden!;
    const no = w.positions.Norway!;
    // centred positions keep the IW differences exactly
    expect(sw.traditionalSecular - no.traditionalSecular).toBeCloseTo(1.2085731678446998 - 1.0195651761175981, 12);
    expect(sw.survivalSelfExpression - no.survivalSelfExpression).toBeCloseTo(3.1101189179860063 - 3.036120769184754, 12);
  });
});

describe('distribution measures', () => {
  it('emd is W1 on [0, 1]: 1 between the two ends, 0 for equal, symmetric', () => {
    expect(emd([1, 0, 0, 0], [0, 0, 0, 1])).toBeCloseTo(1, 12);
    expect(emd([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    expect(emd([1, 0, 0], [0, 1, 0])).toBeCloseTo(0.5, 12);
    expect(emd([0.1, 0.6, 0.3], [0.5, 0.2, 0.3])).toBeCloseTo(emd([0.5, 0.2, 0.3], [0.1, 0.6, 0.3]), 12);
    expect(() => emd([1, 0], [1, 0, 0])).toThrow();
  });
  it('entropy in nats', () => {
    expect(entropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(Math.log(4), 12);
    expect(entropy([1, 0, 0])).toBe(0);
  });
});
