// The benchmark's tfjs peer must compute the same model as ours, or its speed means nothing.
import { it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeModel } from '../../scripts/make-test-models';
import { TfjsLlama } from '../../bench/tfjs-llama';
import { referenceLogits } from './tfjs-forward';
import { maxRelErr } from '../helpers/gpu';
import { argmaxRef } from './kernels';

it('the benchmark peer (fused q|k|v and gate|up, norms folded, fixed-length KV cache) matches the reference for prefill, decode and greedy ids', async () => {
  await tf.setBackend('cpu');
  for (const kind of ['llama', 'qwen2', 'qwen3'] as const) {
    const dir = makeModel(kind, join(mkdtempSync(join(tmpdir(), 'atlas-peer-')), kind));
    const ids = [5, 17, 200, 3, 99, 42];
    const want = await referenceLogits(dir, ids);
    const peer = new TfjsLlama(tf, readFileSync(join(dir, 'config.json'), 'utf8'), new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 8);
    expect(maxRelErr(await peer.forward(ids.slice(0, 3)), want[2])).toBeLessThan(1e-4);
    for (let t = 3; t < ids.length; t++) expect(maxRelErr(await peer.forward([ids[t]]), want[t])).toBeLessThan(1e-4);
    // greedy: one id read back, the reference's argmax
    peer.reset();
    expect(await peer.forwardArgmax(ids)).toBe(argmaxRef(want[ids.length - 1]));
    peer.dispose();
  }
});
