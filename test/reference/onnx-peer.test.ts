// The transformers.js peer (bench/onnx-llama.ts): our models exported to the ONNX layout transformers.js loads for
// LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM with a KV cache, run by transformers.js itself
// (onnxruntime-node here; onnxruntime-web on WebGPU in the Chromium bench). Both graphs (ONNX's own ops, and
// onnxruntime's fused ones) against our forward: the logits of every prompt position, and the greedy ids of a
// generation, which go through transformers.js's own KV cache (past_key_values in, present out).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, AutoModelForCausalLM, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { exportOnnxRepo, type OnnxGraphKind } from '../../bench/onnx-llama';
import { writeAllFixtures } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import { maxRelErr } from '../helpers/gpu';

let rt: Runtime;
let fixtures: ReturnType<typeof writeAllFixtures>;
const out = mkdtempSync(join(tmpdir(), 'atlas-onnx-'));
beforeAll(async () => {
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  fixtures = writeAllFixtures(mkdtempSync(join(tmpdir(), 'atlas-onnx-fx-')));
  env.allowRemoteModels = false;
  env.localModelPath = out + '/';
}, 120_000);
afterAll(() => rt?.destroy());

const ids64 = (ids: number[]) => new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);

async function theirs(name: string) {
  return (await AutoModelForCausalLM.from_pretrained(name, { local_files_only: true, dtype: 'fp32' })) as PreTrainedModel;
}

const cases: { model: string; dir: () => string; kinds: OnnxGraphKind[]; prompt: number[] }[] = [
  { model: 'embedded default (llama, 4 layers, 4/2 heads)', dir: () => 'public/models/default', kinds: ['standard', 'fused'], prompt: [2134, 5, 17, 99, 300, 42, 7] },
  { model: 'llama3 fixture (Llama-3 RoPE scaling, tied, BF16 file)', dir: () => fixtures.llama3, kinds: ['standard', 'fused'], prompt: [1, 9, 33, 4, 250, 3] },
  { model: 'qwen2 fixture (q|k|v bias, 6/2 heads of 8, F16 file)', dir: () => fixtures.qwen2, kinds: ['standard'], prompt: [3, 14, 15, 92, 65, 35, 89, 79] },
  { model: 'qwen3 fixture (per-head q/k norm)', dir: () => fixtures.qwen3, kinds: ['standard'], prompt: [2, 71, 82, 81, 8] },
];

describe('ONNX export run by transformers.js equals our forward', () => {
  for (const c of cases) {
    for (const kind of c.kinds) {
      it(`${c.model}, ${kind} graph: every position's logits, and greedy ids through its KV cache`, { timeout: 120_000 }, async () => {
        const name = `${c.model.split(' ')[0]}-${c.model.split(' ')[1]}-${kind}`.replace(/[^a-z0-9-]/gi, '');
        exportOnnxRepo(c.dir(), join(out, name), kind);
        await rt.load(dirSource(c.dir()), undefined, undefined, { weights: 'f32' });
        const model = await theirs(name);
        try {
          const ids = c.prompt;
          const o = (await model({ input_ids: ids64(ids), attention_mask: ids64(ids.map(() => 1)) })) as { logits: Tensor };
          const V = o.logits.dims[2];
          expect(o.logits.dims).toEqual([1, ids.length, rt.summary!.vocabSize]);
          for (let t = 1; t <= ids.length; t++) {
            const want = await rt.logits(ids.slice(0, t));
            const got = (o.logits.data as Float32Array).slice((t - 1) * V, t * V);
            expect(maxRelErr(got, want), `position ${t - 1}`).toBeLessThan(1e-4);
          }
          const gen = (await model.generate({ input_ids: ids64(ids), attention_mask: ids64(ids.map(() => 1)), max_new_tokens: 10, do_sample: false })) as Tensor;
          const tjsIds = Array.from(gen.data as BigInt64Array, Number).slice(ids.length);
          const ours = await rt.generate(ids, { maxTokens: 10, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1, chat: false });
          expect(tjsIds.length).toBeGreaterThan(1);
          expect(tjsIds).toEqual(ours.ids.slice(0, tjsIds.length));
        } finally {
          await model.dispose();
        }
      });
    }
  }

  it('refuses the fused graph by name where onnxruntime could not run it: Qwen3, head_dim not a multiple of 16', () => {
    expect(() => exportOnnxRepo(fixtures.qwen3, join(out, 'qwen3-refused'), 'fused')).toThrow(/no per-head q\/k norm before RoPE \(Qwen3\)/);
    expect(() => exportOnnxRepo(fixtures.qwen2, join(out, 'qwen2-refused'), 'fused')).toThrow(/GroupQueryAttention needs head_dim a multiple of 16, this model's is 8/);
  });
});
