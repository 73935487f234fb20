// Centred conditions folded into the adapter: an adapter fed ê = (e − μ)/m gives, on the GPU, the same
// z, gates and logits as its folded copy fed the raw e; μ and m checked on hand-computed vectors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { createAdapter, defaultSpec } from '../../src/adapters/create';
import { centreCondition, conditionCentre, foldConditionCentre } from '../../src/adapters/centre';
import { maxRelErr, rand } from '../helpers/gpu';

describe('conditionCentre', () => {
  it('μ is the mean, m the mean distance from it (hand-computed)', () => {
    // (1,0), (3,0), (2,3): μ = (2,1); distances √2, √2, 2
    const c = conditionCentre([Float32Array.of(1, 0), Float32Array.of(3, 0), Float32Array.of(2, 3)]);
    expect(Array.from(c.mu)).toEqual([2, 1]);
    expect(c.m).toBeCloseTo((2 * Math.SQRT2 + 2) / 3, 6);
    const e = centreCondition(Float32Array.of(4, 1), c);
    expect(e[0]).toBeCloseTo(2 / c.m, 6);
    expect(e[1]).toBeCloseTo(0, 6);
  });

  it('refuses no profiles, identical profiles and mixed widths', () => {
    expect(() => conditionCentre([])).toThrow(/no training profile/);
    expect(() => conditionCentre([Float32Array.of(1, 2), Float32Array.of(1, 2)])).toThrow(/same condition/);
    expect(() => conditionCentre([Float32Array.of(1, 2), Float32Array.of(1, 2, 3)])).toThrow(/2 and 3/);
    expect(() => centreCondition(Float32Array.of(1), conditionCentre([Float32Array.of(0, 1), Float32Array.of(1, 0)]))).toThrow(/1 numbers/);
  });
});

describe('foldConditionCentre on the GPU', () => {
  let dirs: ReturnType<typeof writeAllFixtures>;
  let rt: Runtime;
  beforeAll(async () => {
    dirs = writeAllFixtures(mkdtempSync(join(tmpdir(), 'atlas-centre-')));
    rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
    await rt.load(dirSource(dirs.llama));
  });
  afterAll(() => rt?.destroy());

  const IDS = [5, 17, 200, 3, 99, 42, 7, 150, 11];
  const D = 24;
  // embeddings like the real ones: a large shared direction plus small per-profile differences
  const shared = rand(D, 100, 1);
  const profile = (seed: number) => Float32Array.from(rand(D, seed, 0.3), (v, i) => v + shared[i]);
  const centre = conditionCentre([1, 2, 3, 4, 5].map(profile));
  const e = profile(9);

  for (const kind of ['zhyper', 'zhyper-square', 'cuma', 'cuma-soft'] as const) {
    it(`${kind}: folded(e) = original(ê), and the fold changes what raw e gives`, async () => {
      const a = createAdapter(defaultSpec(kind, D), rt.dims(), 21, 'random');
      const folded = foldConditionCentre(a, centre);
      expect(a.tensors.get(kind.startsWith('zhyper') ? 'hyper.cond.W' : 'layers.0.router.W1')!.data).not.toEqual(folded.tensors.get(kind.startsWith('zhyper') ? 'hyper.cond.W' : 'layers.0.router.W1')!.data);

      const ad = rt.attachAdapter(a)!;
      rt.setCondition(centreCondition(e, centre));
      const want = await rt.logits(IDS);
      const wantZ = ad.z?.map((zl) => Object.values(zl).map((v) => Array.from(v)).flat()).flat();
      const wantGates = kind.startsWith('cuma') ? (await rt.readGates()).gates : null;
      rt.setCondition(e);
      const unfolded = await rt.logits(IDS);

      const fd = rt.attachAdapter(folded)!;
      rt.setCondition(e);
      const got = await rt.logits(IDS);
      expect(maxRelErr(got, want)).toBeLessThan(1e-4);
      if (wantZ) {
        const gotZ = fd.z!.map((zl) => Object.values(zl).map((v) => Array.from(v)).flat()).flat();
        expect(maxRelErr(Float32Array.from(gotZ), Float32Array.from(wantZ))).toBeLessThan(1e-4);
      }
      if (wantGates) (await rt.readGates()).gates.forEach((g, l) => expect(maxRelErr(g, wantGates[l]), `layer ${l}`).toBeLessThan(1e-4));
      // the original adapter on raw e is another model: the fold is not the identity
      expect(maxRelErr(unfolded, want)).toBeGreaterThan(1e-3);
      rt.attachAdapter(null);
    });
  }

  it('plain LoRA and semantic-only routing read no condition and come back unchanged', () => {
    for (const kind of ['lora', 'cuma-semantic'] as const) {
      const a = createAdapter(defaultSpec(kind, D), rt.dims(), 22, 'random');
      const f = foldConditionCentre(a, centre);
      for (const [k, t] of a.tensors) expect(f.tensors.get(k)!.data, k).toEqual(t.data);
    }
  });

  it('refuses a centre of another width', () => {
    const a = createAdapter(defaultSpec('cuma', D), rt.dims(), 23, 'random');
    expect(() => foldConditionCentre(a, conditionCentre([rand(8, 1), rand(8, 2)]))).toThrow(/reads 24 numbers, the centre has 8/);
  });
});
