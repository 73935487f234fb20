// The app's path (ConditionSession.score: no profile text, chat form as Compare's default or plain):
// option distributions of 4 personas × 4 questions under the adapters in DIR, and how far apart they are.
//   bash scripts/gpu-env.sh tsx scripts/persona-spread.ts [DIR] [plain]
import { readFileSync } from 'node:fs';
import { Runtime } from '../src/model/runtime';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { loadAdapter } from '../src/adapters/files';
import { createEncoder, DEFAULT_ENCODER_ID } from '../src/condition/encoder';
import { linearize } from '../src/condition/profile';
import { ConditionSession } from '../src/adapters/session';
import { trueDistribution, generateWorld } from '../src/data';
import { emd } from '../src/eval/distribution';
import { defaultsWorld } from './defaults-world';
const dir = process.argv[2] ?? 'public/adapters';
const chat = process.argv[3] !== 'plain';
const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
await rt.load(dirSource('public/models/default'), undefined, undefined, { maxChunk: 256, maxContext: 512 });
const enc = await createEncoder(DEFAULT_ENCODER_ID);
const s = new ConditionSession(rt);
s.setEncoder(enc);
const w = generateWorld(defaultsWorld(1));
const people = ['Sweden', 'Nigeria', 'Japan', 'Mexico'].map((c) => w.participants.find((p) => p.country === c)!);
for (const f of ['zhyper-diag', 'cuma']) {
  s.useAdapter(loadAdapter(new Uint8Array(readFileSync(`${dir}/${f}.safetensors`))), f);
  let spread = 0, emdSum = 0, n = 0;
  for (const qi of [0, 1, 2, 3]) {
    const q = w.questions[qi];
    console.log(f, chat ? 'chat' : 'plain', q.text);
    const ps: number[][] = [];
    for (const p of people) {
      const text = linearize(p.profile);
      const r = await s.score({ text }, q.text, [...q.options], { chat });
      const t = trueDistribution(w, qi, p.profile);
      ps.push(r.probs);
      emdSum += emd(r.probs, t); n++;
      console.log('  ', p.country.padEnd(8), r.probs.map((v) => v.toFixed(3)).join(' '), '| true', Array.from(t).map((v) => v.toFixed(2)).join(' '));
    }
    for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++) spread = Math.max(spread, ps[i].reduce((a, v, k) => a + Math.abs(v - ps[j][k]), 0) / 2);
  }
  console.log(`${f}: largest total variation between two personas ${spread.toFixed(3)}; mean EMD to P* ${(emdSum / n).toFixed(3)}`);
}
rt.destroy();
