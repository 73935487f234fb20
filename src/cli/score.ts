// `npm run cli -- score`: one persona's option probabilities for one question, exactly as Compare scores them
// (ConditionSession.score: the same prompt body, "Answer:" and chat template, the adapter's encoder).
import { readFileSync } from 'node:fs';
import type { Runtime } from '../model/runtime';
import { backboneHash, checkAdapterFits, loadAdapter } from '../adapters/files';
import { ConditionSession } from '../adapters/session';
import { createEncoder, DEFAULT_ENCODER_ID } from '../condition/encoder';
import { linearize, profileFromJson, profileSentence } from '../condition/profile';
import { QUESTIONS } from '../data/questions';

export const SCORE_USAGE = `  npm run cli -- score [--model DIR] [--adapter FILE] --profile JSON|@FILE (--question ID | --question-text T --options "A|B|…")
                       [--mode adapter|prompt] [--strength S] [--no-chat] [--encoder ID] [--json]
      the persona's option probabilities as Compare scores them; prints {"condition","options","probs"}
      --model: default the embedded model (public/models/default); --question: an id of the synthetic world
      (${QUESTIONS.slice(0, 4).map((q) => q.id).join(', ')}, …); --mode: adapter (the condition through the adapter; the default with
      --adapter) or prompt (the profile in the prompt: persona prompting, the default without one)`;

export interface ScoreFlags {
  str: (k: string) => string | undefined;
  num: (k: string, fallback: number) => number;
  has: (k: string) => boolean;
  usage: (msg: string) => Error;
}

export async function scoreCommand(rt: Runtime, modelDir: string, f: ScoreFlags): Promise<void> {
  const profileArg = f.str('profile');
  if (!profileArg) throw f.usage('score needs --profile JSON (or @file.json)');
  let json: unknown;
  try {
    json = JSON.parse(profileArg.startsWith('@') ? readFileSync(profileArg.slice(1), 'utf8') : profileArg);
  } catch (e) {
    throw f.usage(`--profile is not valid JSON: ${(e as Error).message}`);
  }
  const profile = profileFromJson(json);
  const condition = linearize(profile);

  const qid = f.str('question');
  const qtext = f.str('question-text');
  let question: string, options: string[];
  if (qid !== undefined) {
    if (qtext !== undefined || f.str('options') !== undefined) throw f.usage('give --question ID, or --question-text with --options, not both');
    const q = QUESTIONS.find((x) => x.id === qid);
    if (!q) throw f.usage(`--question ${qid} is not a question of the synthetic world (${QUESTIONS.map((x) => x.id).join(', ')})`);
    question = q.text;
    options = [...q.options];
  } else {
    const opts = f.str('options');
    if (qtext === undefined || opts === undefined) throw f.usage('score needs --question ID, or --question-text T with --options "A|B|…"');
    question = qtext;
    options = opts.split('|').map((o) => o.trim());
    if (options.some((o) => !o)) throw f.usage(`--options has an empty option: "${opts}"`);
  }

  const s = new ConditionSession(rt);
  const adapterPath = f.str('adapter');
  const mode = f.str('mode') ?? (adapterPath ? 'adapter' : 'prompt');
  if (mode !== 'adapter' && mode !== 'prompt') throw f.usage(`--mode must be adapter or prompt, got "${mode}"`);
  if (mode === 'adapter' && !adapterPath) throw f.usage('--mode adapter needs --adapter FILE');
  let encoderId: string | undefined;
  if (adapterPath) {
    const adapter = loadAdapter(new Uint8Array(readFileSync(adapterPath)), adapterPath);
    checkAdapterFits(adapter, rt.config!, await backboneHash(rt.config!), modelDir);
    encoderId = f.str('encoder') ?? adapter.spec.encoderId ?? DEFAULT_ENCODER_ID;
    if (adapter.spec.method !== 'lora') s.setEncoder(await createEncoder(encoderId));
    s.useAdapter(adapter, adapterPath);
    if (f.has('strength')) rt.setStrength(f.num('strength', 1));
  }
  const chat = !f.has('no-chat') && !!rt.summary?.hasChatTemplate;
  // a code-recipe adapter reads CUMA's sentence (its system prompt and e_d text) where ours reads the linearized profile
  const sentence = profileSentence(profile);
  const r = await s.score({ text: condition, sentence, mode }, question, options, { chat });
  const out = { condition: s.adapter?.spec.prompt === 'code' && mode === 'adapter' ? sentence : condition, options, probs: r.probs };
  if (f.has('json')) process.stdout.write(JSON.stringify({ ...out, mode, chat, prompt: r.promptText, ...(encoderId ? { encoder: encoderId } : {}) }) + '\n');
  else {
    process.stdout.write(`${out.condition}\n${question}\n`);
    options.forEach((o, i) => process.stdout.write(`  ${String.fromCharCode(65 + i)}. ${o.padEnd(28)} ${r.probs[i].toFixed(4)}\n`));
    process.stderr.write(`[${mode === 'adapter' ? `adapter ${adapterPath}` : 'persona prompting (no adapter)'}, ${chat ? 'chat template' : 'plain prompt'}]\n`);
  }
}
