// npm run bench:variants [-- --rounds N]: the measurement behind src/gpu/variants.ts's table, at the level that
// matters: greedy decode tokens/s of the SmolLM2-135M-shaped model (f16 weights) under each decode GEMV form, the
// plain one (down, LM head) and the fused ones (norm·qkv·RoPE, norm·gate·up) chosen apart. One runtime per
// configuration, each loaded once; the configurations take turns within each round, so drift in the machine's speed
// hits them alike, and each reports its median. Every configuration's greedy ids must equal the first's, or
// nothing is reported. Prints the table and what variants.ts chooses for this adapter.
import { mkdirSync, writeFileSync } from 'node:fs';
import { nodeGPU } from '../src/gpu/node';
import { loadShaderLibrary } from '../src/gpu/shaders-node';
import { dirSource } from '../src/model/sources-node';
import { Runtime } from '../src/model/runtime';
import { chooseVariants, type GemvForm } from '../src/gpu/variants';
import { writeSmolShaped } from './smol-model';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('--rounds', 3), DECODE = arg('--tokens', 8);
const gpu = nodeGPU(), shaders = loadShaderLibrary();
const dir = writeSmolShaped('bench/.cache/smol-shaped');
const probe = await Runtime.create(gpu, shaders);
const subgroups = probe.info.features.subgroups && probe.info.subgroupMinSize >= 4;
const forms: GemvForm[] = ['vec4', 'coalesced', ...(subgroups ? (['subgroup'] as const) : [])];
const configs = forms.flatMap((gemv) => forms.map((fused) => ({ gemv, fused })));
const runtimes: Runtime[] = [];
for (const c of configs) {
  const rt = c === configs[0] ? probe : await Runtime.create(gpu, shaders);
  rt.variants = { ...chooseVariants(rt.info), ...c, reason: 'bench:variants' };
  await rt.load(dirSource(dir));
  runtimes.push(rt);
}
const prompt = [1, 5, 9, 14, 3, 7, 2, 11];
const decode: number[][] = configs.map(() => []);
const ids: number[][] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, rt] of runtimes.entries()) {
    const m = rt.model!;
    m.reset();
    let next = await m.forwardArgmax(prompt);
    const got = [next];
    const t0 = performance.now();
    for (let j = 0; j < DECODE; j++) got.push((next = await m.forwardArgmax([next])));
    decode[i].push(DECODE / ((performance.now() - t0) / 1000));
    ids[i] = got;
  }
}
for (const [i, got] of ids.entries()) {
  if (got.join() !== ids[0].join()) throw new Error(`gemv ${configs[i].gemv} / fused ${configs[i].fused} decoded ${got} where the first configuration decoded ${ids[0]}; not reported`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(decode[0]);
const rows = configs.map((c, i) => ({ gemv: c.gemv, fused: c.fused, greedy_decode_tok_s: +median(decode[i]).toFixed(3), vs_vec4_vec4: +(median(decode[i]) / base).toFixed(3), dispatches_per_token: runtimes[i].model!.decodeDispatches, rounds: ROUNDS }));
const chosen = chooseVariants(probe.info);
const info = `${probe.info.vendor} ${probe.info.architecture} ${probe.info.description} (subgroups ${probe.info.features.subgroups ? probe.info.subgroupMinSize + '+ lanes' : 'none'})`;
console.log(`decode by GEMV form, SmolLM2-135M-shaped, f16, greedy, ${DECODE} tokens × ${ROUNDS} rounds, medians; on ${info}`);
console.table(rows);
console.log(`variants.ts chooses gemv ${chosen.gemv}, fused ${chosen.fused}: ${chosen.reason}`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-variants-${/swiftshader/i.test(info) ? 'swiftshader' : /llvmpipe/i.test(info) ? 'lavapipe' : 'gpu'}.json`;
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), adapter: probe.info, chosen, rows }, null, 2) + '\n');
console.log(`wrote ${file}`);
process.exit(0);
