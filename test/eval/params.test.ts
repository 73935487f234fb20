import { describe, expect, it } from 'vitest';
import { trainableShare } from '../../src/eval';

describe('trainableShare', () => {
  it('is 100 · trainable / backbone', () => {
    expect(trainableShare(1, 100)).toBe(1);
    expect(trainableShare(0, 10)).toBe(0);
    // 4.2M on 7.24B: 100 · 4.2e6 / 7.24e9 = 0.058011… %
    expect(trainableShare(4.2e6, 7.24e9)).toBeCloseTo(0.0580110497, 9);
    expect(trainableShare(50, 50)).toBe(100);
  });

  it('rejects bad inputs with clear messages', () => {
    expect(() => trainableShare(-1, 10)).toThrow(/trainableShare: trainable = -1 must be a finite number ≥ 0/);
    expect(() => trainableShare(NaN, 10)).toThrow(/trainable = NaN/);
    expect(() => trainableShare(1, 0)).toThrow(/trainableShare: backboneParams = 0 must be a finite number > 0/);
    expect(() => trainableShare(1, Infinity)).toThrow(/backboneParams = Infinity/);
  });
});
