// CUMA Definition 2.1: D² = (µi − µj)ᵀ Σ̄⁻¹ (µi − µj) ≫ m, on known inputs and on the world.
import { describe, it, expect } from 'vitest';
import { mulberry32 } from '../../src/model/sampling';
import {
  generateWorld,
  groupAnswerMoments,
  mahalanobisSparsity,
  questionSparsity,
  sampleMoments,
  sampleSparsity,
  worldConfig,
  worldSparsity,
  zonePairSparsity,
  IW_KNOBS,
  trueDistribution,
  scaledMoments,
} from '../../src/data';

const eye = (m: number, s = 1) => Float64Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? s : 0));

function gaussian(rand: () => number): number {
  let u = rand();
  while (u <= 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

describe('Definition 2.1 on known moments', () => {
  it('with identity covariances D² is the squared Euclidean distance', () => {
    const r = mahalanobisSparsity([3, 4, 0], [0, 0, 0], eye(3), eye(3), { ridge: 0 });
    expect(r.d2).toBeCloseTo(25, 12);
    expect(r.m).toBe(3);
    expect(r.ratio).toBeCloseTo(25 / 3, 12);
    expect(r.sparse).toBe(false); // 8.3 < 10
    expect(mahalanobisSparsity([6, 8, 0], [0, 0, 0], eye(3), eye(3)).sparse).toBe(true); // 100/3 ≥ 10
    expect(mahalanobisSparsity([3, 4, 0], [0, 0, 0], eye(3), eye(3), { factor: 5 }).sparse).toBe(true);
  });

  it('uses the pooled covariance ½(Σi + Σj) and its inverse, not the diagonal', () => {
    // Σi = diag(1, 4), Σj = diag(3, 0) → Σ̄ = diag(2, 2); δ = (2, 2) → D² = 4/2 + 4/2 = 4
    const si = Float64Array.from([1, 0, 0, 4]);
    const sj = Float64Array.from([3, 0, 0, 0]);
    expect(mahalanobisSparsity([2, 2], [0, 0], si, sj, { ridge: 0 }).d2).toBeCloseTo(4, 12);
    // correlated: Σ = [[1, .9], [.9, 1]] has variance 0.1 along (1, −1)/√2 and 1.9 along (1, 1)/√2
    const c = Float64Array.from([1, 0.9, 0.9, 1]);
    const across = mahalanobisSparsity([1, -1], [0, 0], c, c, { ridge: 0 }).d2;
    const along = mahalanobisSparsity([1, 1], [0, 0], c, c, { ridge: 0 }).d2;
    expect(across).toBeCloseTo(2 / 0.1, 10);
    expect(along).toBeCloseTo(2 / 1.9, 10);
  });

  it('is symmetric in the two groups and scales with the square of the distance', () => {
    const si = Float64Array.from([2, 0.3, 0.3, 1]);
    const sj = Float64Array.from([1, -0.2, -0.2, 3]);
    const a = mahalanobisSparsity([1, 2], [0, -1], si, sj).d2;
    const b = mahalanobisSparsity([0, -1], [1, 2], sj, si).d2;
    expect(a).toBeCloseTo(b, 12);
    expect(mahalanobisSparsity([2, 4], [0, -2], si, sj).d2).toBeCloseTo(4 * a, 10);
  });

  it('a singular pooled covariance fails clearly with no ridge, and gives a number with one', () => {
    const z = new Float64Array(4);
    expect(() => mahalanobisSparsity([1, 0], [0, 0], z, z, { ridge: 0 })).toThrow(/positive definite/);
    const sing = Float64Array.from([1, 1, 1, 1]);
    expect(Number.isFinite(mahalanobisSparsity([1, 1], [0, 0], sing, sing, { ridge: 1e-6 }).d2)).toBe(true);
  });

  it('sample estimates converge to the population value (two Gaussians in m = 5)', () => {
    const rand = mulberry32(7);
    const m = 5;
    const delta = [4, 0, 3, 0, 0]; // ‖δ‖² = 25 with identity covariance → D²/m = 5
    const a = Array.from({ length: 4000 }, () => Array.from({ length: m }, () => gaussian(rand)));
    const b = Array.from({ length: 4000 }, () => Array.from({ length: m }, (_, i) => delta[i] + gaussian(rand)));
    const r = sampleSparsity(a, b);
    expect(r.m).toBe(5);
    expect(r.d2).toBeGreaterThan(23.5);
    expect(r.d2).toBeLessThan(26.5);
    const { mean, cov } = sampleMoments([
      [1, 2],
      [3, 6],
    ]);
    expect([...mean]).toEqual([2, 4]);
    expect([...cov]).toEqual([2, 4, 4, 8]);
    expect(() => sampleMoments([[1]])).toThrow(/two samples/);
  });
});

describe('Definition 2.1 on the synthetic world (exact moments)', () => {
  it('group moments are the exact mixture moments of the answer vector', () => {
    const w = generateWorld(worldConfig('quick', { countries: ['Sweden', 'Nigeria'], participantsPerCountry: 5 }));
    const members = w.participants.filter((p) => p.country === 'Sweden');
    const { mean, cov } = groupAnswerMoments(w, members, [0, 3]);
    // by hand: law of total variance over the 5 profiles
    const e = members.map((p) => [0, 3].map((q) => scaledMoments(trueDistribution(w, q, p.profile))));
    const mu = [0, 1].map((k) => e.reduce((s, x) => s + x[k].mean, 0) / 5);
    expect(mean[0]).toBeCloseTo(mu[0], 12);
    expect(mean[1]).toBeCloseTo(mu[1], 12);
    const v0 = e.reduce((s, x) => s + x[0].variance + (x[0].mean - mu[0]) ** 2, 0) / 5;
    const c01 = e.reduce((s, x) => s + (x[0].mean - mu[0]) * (x[1].mean - mu[1]), 0) / 5;
    expect(cov[0]).toBeCloseTo(v0, 12);
    expect(cov[1]).toBeCloseTo(c01, 12);
    expect(cov[2]).toBeCloseTo(c01, 12);
  });

  it('grows with separation, per question and for the joint answer vector', () => {
    const seps = [0, 1, 2, 3, 4];
    const reps = seps.map((separation) => worldSparsity(generateWorld(worldConfig('quick', { separation }))));
    for (let i = 1; i < reps.length; i++) {
      expect(reps[i].joint.medianRatio).toBeGreaterThan(reps[i - 1].joint.medianRatio);
      expect(reps[i].joint.minRatio).toBeGreaterThan(reps[i - 1].joint.minRatio);
      expect(reps[i].questionPairMedianRatio).toBeGreaterThan(reps[i - 1].questionPairMedianRatio);
      expect(reps[i].joint.sparseShare).toBeGreaterThanOrEqual(reps[i - 1].joint.sparseShare);
    }
    expect(reps[0].joint.sparseShare).toBe(0);
    expect(reps[0].joint.maxRatio).toBeLessThan(1);
  });

  it('the presets’ world is culturally sparse; the real map’s geometry alone is not', () => {
    const sparse = worldSparsity(generateWorld(worldConfig('quick')));
    expect(sparse.joint.m).toBe(generateWorld(worldConfig('quick')).questions.length);
    expect(sparse.joint.pairs.length).toBe(28);
    expect(sparse.joint.sparseShare).toBeGreaterThan(0.75);
    expect(sparse.joint.medianRatio).toBeGreaterThan(10);
    const iw = worldSparsity(generateWorld(worldConfig('quick', IW_KNOBS)));
    expect(iw.joint.sparseShare).toBe(0);
    expect(iw.joint.medianRatio).toBeLessThan(1);
  });

  it('per question, m = 1 and the most culture-laden items are the sparsest', () => {
    // map geometry only (no random zone offsets), pushed apart
    const w = generateWorld(worldConfig('quick', { ...IW_KNOBS, separation: 3 }));
    const q164 = questionSparsity(w, w.questions.findIndex((q) => q.id === 'Q164'));
    const q1 = questionSparsity(w, w.questions.findIndex((q) => q.id === 'Q1'));
    expect(q164.m).toBe(1);
    // "How important is God" separates zones more than "How important is family"
    expect(q164.medianRatio).toBeGreaterThan(q1.medianRatio);
    expect(zonePairSparsity(w, [0, 1]).m).toBe(2);
  });
});
