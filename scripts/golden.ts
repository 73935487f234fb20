// `npm run golden` (on SwiftShader, the adapter the tests and CI run on): write test/golden/forward-grads.safetensors, the logits and gradients golden.test.ts
// compares against (test/golden/records.ts says what they are). Rewrite it only on purpose: after a change
// that is meant to change numbers (a kernel's arithmetic), never to make a refactor pass.
import { writeFileSync } from 'node:fs';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { writeSafetensors } from '../src/model/safetensors';
import { goldenRecords, GOLDEN_FILE, adapterName } from '../test/golden/records';

const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
const recs = await goldenRecords(rt);
const tensors = Object.fromEntries([...recs].map(([k, v]) => [k, { shape: [v.length], data: v }]));
writeFileSync(GOLDEN_FILE, writeSafetensors(tensors, { adapter: adapterName(rt), commit: process.env.GOLDEN_COMMIT ?? '' }));
process.stdout.write(`${GOLDEN_FILE}: ${recs.size} records on ${adapterName(rt)}\n`);
rt.destroy();
