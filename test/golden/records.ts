// What "the same forward and the same gradients" means for a refactor of the layer builder: the logits of a
// prefill and of each decoded token after it, and every gradient of one training sequence, on the fixture
// models, for the backbone alone and for each adapter method on each adapter path. `npm run golden` writes
// them (test/golden/forward-grads.safetensors); golden.test.ts recomputes and compares.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { dirSource } from '../../src/model/sources-node';
import { createAdapter, defaultSpec } from '../../src/adapters/create';
import { TARGETS, type AdapterSpec } from '../../src/adapters/types';
import type { AdapterPath } from '../../src/model/model';
import { Trainer, type TrainExample } from '../../src/train/step';
import { rand } from '../helpers/gpu';

type Kind = 'llama' | 'qwen2' | 'qwen3';

const PROMPT = [5, 17, 200, 3, 99, 42, 7, 150, 11];
const DECODE = [64, 250, 1];
const SEQ: TrainExample = { ids: [5, 17, 200, 3, 99, 42, 7, 150, 11, 64, 250, 1, 33, 8, 120, 19, 77, 230, 45], answerPositions: [6, 17, 18], targets: [12, 77, 260] };

function cumaSpec(targets: AdapterSpec['targets'], gating: 'eq4' | 'double'): AdapterSpec {
  const base = defaultSpec('cuma', 16);
  return { ...base, r: 3, alpha: 6, targets, cuma: { ...base.cuma!, experts: 4, topK: 2, routerHidden: 16, gating } };
}
function zhyperSpec(targets: AdapterSpec['targets']): AdapterSpec {
  const base = defaultSpec('zhyper', 16);
  return { ...base, r: 4, alpha: 8, targets, zhyper: { ...base.zhyper!, hidden: 32 } };
}
const loraSpec = (targets: AdapterSpec['targets']): AdapterSpec => ({ method: 'lora', r: 4, alpha: 8, rsLora: false, targets });

/** name → values, in a fixed order */
export async function goldenRecords(rt: Runtime): Promise<Map<string, Float32Array>> {
  const root = mkdtempSync(join(tmpdir(), 'atlas-golden-'));
  const dirs = Object.fromEntries((['llama', 'qwen2', 'qwen3'] as const).map((k) => [k, makeModel(k, join(root, k))])) as Record<Kind, string>;
  const out = new Map<string, Float32Array>();
  const load = async (k: Kind) => {
    await rt.load(dirSource(dirs[k]), undefined, undefined, { maxChunk: 64, maxContext: 128, weights: 'f32' }); // the records are f32 arithmetic
    return rt.dims();
  };
  const forward = async (name: string) => {
    const m = rt.model!;
    m.reset();
    out.set(`${name}/prefill`, await m.forward(PROMPT));
    for (let i = 0; i < DECODE.length; i++) out.set(`${name}/decode${i}`, await m.forward([DECODE[i]]));
    m.reset();
  };

  // inference: the backbone, then each method on each path
  const inference: { kind: Kind; name: string; spec: AdapterSpec | null }[] = [
    { kind: 'llama', name: 'base', spec: null },
    { kind: 'qwen2', name: 'base', spec: null },
    { kind: 'qwen3', name: 'base', spec: null },
    { kind: 'llama', name: 'lora-qvod', spec: loraSpec(['q', 'v', 'o', 'down']) },
    { kind: 'qwen2', name: 'zhyper-all', spec: zhyperSpec([...TARGETS]) },
    { kind: 'llama', name: 'cuma-qvod', spec: cumaSpec(['q', 'v', 'o', 'down'], 'eq4') },
    { kind: 'qwen3', name: 'cuma-all-double', spec: cumaSpec([...TARGETS], 'double') },
  ];
  for (const c of inference) {
    const dims = await load(c.kind);
    if (!c.spec) {
      await forward(`${c.kind}/${c.name}`);
      continue;
    }
    const a = createAdapter(c.spec, dims, 21, 'random');
    for (const path of ['fused', 'split', 'unfused'] as AdapterPath[]) {
      rt.attachAdapter(a, { path });
      if (c.spec.method !== 'lora') rt.setCondition(rand(16, 3));
      await forward(`${c.kind}/${c.name}/${path}`);
    }
    rt.attachAdapter(null);
  }

  // training: every gradient of one sequence, fused and unfused
  const training: { kind: Kind; name: string; spec: AdapterSpec; lb?: number }[] = [
    { kind: 'llama', name: 'lora-qvod', spec: loraSpec(['q', 'v', 'o', 'down']) },
    { kind: 'qwen2', name: 'lora-all', spec: loraSpec([...TARGETS]) },
    { kind: 'qwen3', name: 'zhyper-all', spec: zhyperSpec([...TARGETS]) },
    { kind: 'llama', name: 'cuma-qvod', spec: cumaSpec(['q', 'v', 'o', 'down'], 'eq4'), lb: 0.5 },
    { kind: 'qwen2', name: 'cuma-all-double', spec: cumaSpec([...TARGETS], 'double'), lb: 0.5 },
  ];
  for (const c of training) {
    const dims = await load(c.kind);
    const a = createAdapter(c.spec, dims, 23, 'random');
    for (const fused of [true, false]) {
      rt.attachAdapter(a);
      const tr = new Trainer(rt.model!, { lr: 1e-3, labelSmoothing: 0.1, fused, ...(c.lb ? { loadBalance: c.lb } : {}) });
      const ex = c.spec.method === 'lora' ? SEQ : { ...SEQ, condition: rand(16, 8) };
      const g = await tr.gradients([ex]);
      const name = `${c.kind}/${c.name}/${fused ? 'fused' : 'unfused'}`;
      out.set(`${name}/loss`, Float32Array.of(g.loss));
      for (const k of [...g.grads.keys()].sort()) out.set(`${name}/grad/${k}`, g.grads.get(k)!);
      g.dz.forEach((byLayer, s) => byLayer.forEach((byT, l) => Object.keys(byT).sort().forEach((t) => out.set(`${name}/dz/${s}/${l}/${t}`, byT[t]))));
      tr.destroy();
      rt.attachAdapter(null);
    }
  }
  return out;
}

export const GOLDEN_FILE = 'test/golden/forward-grads.safetensors';

/** the WebGPU adapter the numbers came from: bitwise equality is expected on the same one */
export function adapterName(rt: Runtime): string {
  return `${rt.info.vendor} ${rt.info.architecture} ${rt.info.description}`.trim();
}
