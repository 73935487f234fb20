// The layer builder's refactors keep the numbers: the logits (prefill, then each decoded token) and every
// gradient of one sequence, on the fixtures, for the backbone and each method on each adapter path, equal
// those in forward-grads.safetensors (written by `npm run golden` before the refactor). Bitwise on the
// WebGPU adapter they were written on; on another one (a different driver rounds differently), within 1e-4
// relative to each record's largest value.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { parseSafetensors, tensorToF32 } from '../../src/model/safetensors';
import { goldenRecords, GOLDEN_FILE, adapterName } from './records';

let rt: Runtime | undefined;
afterAll(() => rt?.destroy());

describe('same logits and gradients as before the refactor', () => {
  it('every record of forward-grads.safetensors', { timeout: 600_000 }, async () => {
    const f = parseSafetensors(new Uint8Array(readFileSync(GOLDEN_FILE)), GOLDEN_FILE);
    rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
    const same = f.metadata.adapter === adapterName(rt);
    const got = await goldenRecords(rt);
    expect([...got.keys()]).toEqual([...f.tensors.keys()]);
    let differing = 0, worst = 0;
    for (const [name, info] of f.tensors) {
      const want = tensorToF32(f, info), have = got.get(name)!;
      expect(have.length, name).toBe(want.length);
      const scale = Math.max(1e-30, ...Array.from(want, Math.abs));
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(have[i] - want[i]));
      if (d > 0) differing++;
      worst = Math.max(worst, d / scale);
      if (same) expect(d, `${name} (bitwise on ${f.metadata.adapter})`).toBe(0);
      else expect(d / scale, name).toBeLessThan(1e-4);
    }
    console.log(`${got.size} records on ${adapterName(rt)} (golden from ${f.metadata.adapter}): ${differing} differ, worst relative ${worst.toExponential(2)}`);
  });
});
