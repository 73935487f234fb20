// Do the shipped defaults separate Compare's personas as the data does? Scores the four default personas on the
// four questions the defaults were trained on with `npm run cli -- score` (the path Compare scores by), and
// compares each with P*(answer | question, profile) of the synthetic world and with the question prior.
//   npx tsx scripts/persona-check.ts [ADAPTER_DIR] > report.md
// Report: per adapter and question, each persona's probabilities, P*, the EMD of each to P* and of the prior;
// the total variation between the secular Norwegian and the very religious Nigerian on the religion question.
import { execFileSync } from 'node:child_process';
import { DEFAULT_PROFILES, personaText, RELIGIOSITY } from '../src/state/scene';
import { generateWorld, pooledDistribution, trueDistribution } from '../src/data';
import { emd } from '../src/eval/distribution';
import { defaultsWorld } from './defaults-world';

const dir = process.argv[2] ?? 'public/adapters';
const w = generateWorld(defaultsWorld(1));
const personas = DEFAULT_PROFILES.slice(0, 4);
const tv = (a: number[], b: number[]) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / 2;
const f3 = (x: number) => x.toFixed(3);
const lines: string[] = [`# Personas in Compare, scored with \`npm run cli -- score\` (adapters in ${dir})`, ''];
for (const method of ['zhyper-diag', 'cuma']) {
  lines.push(`## ${method}`, '');
  let nearer = 0, total = 0;
  for (let qi = 0; qi < w.questions.length; qi++) {
    const q = w.questions[qi];
    const prior = Array.from(pooledDistribution(w, qi));
    lines.push(`### ${q.id}: ${q.text}`, '', '| persona | model | P* | EMD model→P* | EMD prior→P* |', '| --- | --- | --- | --- | --- |');
    const probs: number[][] = [];
    for (const p of personas) {
      const profile = { ...p.profile, ...(p.religiosity != null ? { freeText: `${RELIGIOSITY[p.religiosity]}.` } : {}) };
      const out = JSON.parse(execFileSync('bash', ['scripts/gpu-env.sh', 'npx', 'tsx', 'src/cli/main.ts', 'score', '--adapter', `${dir}/${method}.safetensors`, '--profile', JSON.stringify(profile), '--question', q.id, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { condition: string; probs: number[] };
      if (out.condition !== personaText(p)) throw new Error(`the CLI's condition "${out.condition}" is not Compare's "${personaText(p)}"`);
      const truth = Array.from(trueDistribution(w, qi, p.profile));
      const em = emd(out.probs, truth), ep = emd(prior, truth);
      nearer += em < ep ? 1 : 0;
      total++;
      probs.push(out.probs);
      lines.push(`| ${p.profile.country}, ${RELIGIOSITY[p.religiosity ?? 0]} | ${out.probs.map(f3).join(' ')} | ${truth.map(f3).join(' ')} | ${f3(em)} | ${f3(ep)} |`);
    }
    lines.push('');
    if (q.id === 'Q6') lines.push(`Norway (not at all religious) vs Nigeria (very religious): total variation ${f3(tv(probs[0], probs[1]))} (P*: ${f3(tv(Array.from(trueDistribution(w, qi, personas[0].profile)), Array.from(trueDistribution(w, qi, personas[1].profile))))})`, '');
  }
  lines.push(`**${method}: ${nearer} of ${total} (persona, question) pairs nearer P* than the question prior (EMD).**`, '');
}
console.log(lines.join('\n'));
