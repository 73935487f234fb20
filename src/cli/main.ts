// Headless CLI over the same runtime as the app, on WebGPU in Node (npm `webgpu`).
//   npm run cli -- generate [--model DIR] (--prompt TEXT | --ids 1,2,3) [--max-tokens N] [--greedy] [--seed S] [--json] [--no-chat]
//   npm run cli -- logits [--model DIR] --ids 1,2,3
//   npm run cli -- condition [--model DIR] --adapter FILE --profile JSON|@FILE --ids 1,2,3 [--encoder ID] [--path fused|split|unfused]
//   npm run cli -- score [--model DIR] [--adapter FILE] --profile JSON|@FILE (--question ID | --question-text T --options "A|B") [--json] (./score.ts)
//   npm run cli -- import --format goqa|wvb PATH… [--json] (./import.ts)
//   npm run cli -- experiment [--model DIR] --preset quick|default|contrast --out DIR [--steps N] [--seed S] (src/experiments/cli.ts)
// --model defaults to the embedded model; flags are declared per command in ./flags.ts (anything else is refused).
// Errors: exit code 1 and one line on stderr (a usage error adds the command's usage).
import { nodeGPU } from '../gpu/node';
import { loadShaderLibrary } from '../gpu/shaders-node';
import { Runtime } from '../model/runtime';
import { dirSource } from '../model/sources-node';
import { DEFAULT_GENERATE, type GenerateOptions } from '../model/api';
import { readFileSync } from 'node:fs';
import { backboneHash, checkAdapterFits, loadAdapter } from '../adapters/files';
import { ConditionSession } from '../adapters/session';
import { createEncoder, DEFAULT_ENCODER_ID } from '../condition/encoder';
import { linearize, profileFromJson } from '../condition/profile';
import { experimentCommand, mergeCommand, EXPERIMENT_USAGE, MERGE_USAGE } from '../experiments/cli';
import { describeImport, importGoqaFiles, importWvbFiles, IMPORT_USAGE } from './import';
import { scoreCommand, SCORE_USAGE } from './score';
import { COMMAND_FLAGS, EMBEDDED_MODEL, modelDir, parseArgs, UsageError, weightsFlag, type Flags } from './flags';

const MODEL_FLAGS = `      every command that runs a model: [--model DIR] (default: the embedded model, ${EMBEDDED_MODEL}) [--weights f16|f32|q8|q4]
      (how the weight matrices sit on the GPU; f16, the default, halves memory and bandwidth) [--context N] (KV cache length)`;

const USAGES: Record<string, string> = {
  generate: `  npm run cli -- generate [--model DIR] (--prompt TEXT | --ids 1,2,3) [--max-tokens N] [--greedy] [--seed S]
                          [--temperature T] [--top-k K] [--top-p P] [--no-chat] [--json]`,
  logits: `  npm run cli -- logits [--model DIR] --ids 1,2,3`,
  condition: `  npm run cli -- condition [--model DIR] --adapter FILE --profile JSON|@FILE --ids 1,2,3 [--encoder ID] [--strength S] [--path fused|split|unfused]
      prints {ids, condition, logits} and, for CUMA, gates[layer][position][expert] (one JSON line)`,
  score: SCORE_USAGE,
  experiment: EXPERIMENT_USAGE,
  merge: MERGE_USAGE,
  import: IMPORT_USAGE,
};
const USAGE = `usage:\n${Object.values(USAGES).join('\n')}\n${MODEL_FLAGS}`;
const usageOf = (cmd: string | undefined) => (cmd && USAGES[cmd] ? `usage:\n${USAGES[cmd]}${COMMAND_FLAGS[cmd]?.model ? '\n' + MODEL_FLAGS : ''}` : USAGE);

function str(flags: Flags, k: string): string | undefined {
  const v = flags.get(k);
  if (v === true) throw new UsageError(`--${k} needs a value`);
  return v;
}

function num(flags: Flags, k: string, fallback: number): number {
  const v = str(flags, k);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${k} must be a number, got "${v}"`);
  return n;
}

function ids(s: string): number[] {
  const out = s.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (!out.length || out.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError(`--ids must be comma-separated non-negative integers, got "${s}"`);
  return out;
}

async function main(argv: string[]): Promise<void> {
  const { cmd, flags, paths } = parseArgs(argv);
  if (cmd === 'help' || flags.has('help')) {
    console.log(cmd === 'help' ? USAGE : usageOf(cmd));
    return;
  }
  const usage = (m: string) => new UsageError(m, cmd);
  if (cmd === 'import') {
    const format = str(flags, 'format');
    if (format !== 'goqa' && format !== 'wvb') throw new UsageError(`import needs --format goqa or --format wvb${format ? `, got "${format}"` : ''}`);
    if (!paths.length) throw new UsageError('import needs at least one PATH');
    const r = format === 'goqa' ? importGoqaFiles(paths) : importWvbFiles(paths);
    process.stdout.write(flags.has('json') ? JSON.stringify(r) + '\n' : describeImport(format, r));
    return;
  }
  if (cmd === 'merge') {
    mergeCommand(flags, { str, num, usage });
    return;
  }
  const scoreFlags = { str: (k: string) => str(flags, k), num: (k: string, d: number) => num(flags, k, d), has: (k: string) => flags.has(k), usage };
  const dir = modelDir(flags);
  const weights = weightsFlag(flags, cmd);
  const rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  try {
    await rt.load(dirSource(dir), undefined, undefined, { maxContext: num(flags, 'context', 2048), weights });
    if (cmd === 'score') {
      await scoreCommand(rt, dir, scoreFlags);
      return;
    }
    if (cmd === 'condition') {
      await condition(rt, dir, flags);
      return;
    }
    if (cmd === 'experiment') {
      await experimentCommand(rt, flags, { str, num, usage });
      return;
    }
    if (cmd === 'logits') {
      const idStr = str(flags, 'ids');
      if (!idStr) throw new UsageError('logits needs --ids 1,2,3');
      const input = ids(idStr);
      const logits = await rt.logits(input);
      process.stdout.write(JSON.stringify({ ids: input, logits: Array.from(logits) }) + '\n');
      return;
    }
    const idStr = str(flags, 'ids');
    const prompt = str(flags, 'prompt');
    if (!idStr && prompt === undefined) throw new UsageError('generate needs --prompt TEXT or --ids 1,2,3');
    const opts: GenerateOptions = {
      ...DEFAULT_GENERATE,
      maxTokens: num(flags, 'max-tokens', 32),
      greedy: flags.has('greedy'),
      seed: num(flags, 'seed', DEFAULT_GENERATE.seed),
      temperature: num(flags, 'temperature', DEFAULT_GENERATE.temperature),
      topK: num(flags, 'top-k', DEFAULT_GENERATE.topK),
      topP: num(flags, 'top-p', DEFAULT_GENERATE.topP),
      chat: !flags.has('no-chat'),
    };
    const json = flags.has('json');
    let printed = 0;
    const res = await rt.generate(idStr ? ids(idStr) : (prompt as string), opts, (e) => {
      if (json) return;
      process.stdout.write(e.text.slice(printed));
      printed = e.text.length;
    });
    if (json) process.stdout.write(JSON.stringify({ ids: res.ids, text: res.text }) + '\n');
    else {
      process.stdout.write('\n');
      process.stderr.write(
        `[${res.ids.length} tokens, stop: ${res.stopReason}, prefill ${res.prefillTokensPerSecond.toFixed(1)} tok/s, decode ${res.decodeTokensPerSecond.toFixed(1)} tok/s on ${rt.info.description || rt.info.vendor}; weights ${rt.summary?.weightFormat}; decode GEMV ${rt.variants.gemv}: ${rt.variants.reason}]\n`,
      );
    }
  } finally {
    rt.destroy();
  }
}

async function condition(rt: Runtime, modelDir: string, flags: Flags): Promise<void> {
  const adapterPath = str(flags, 'adapter');
  const profileArg = str(flags, 'profile');
  const idStr = str(flags, 'ids');
  if (!adapterPath || !profileArg || !idStr) throw new UsageError('condition needs --adapter FILE, --profile JSON (or @file.json) and --ids 1,2,3');
  let profileJson: unknown;
  try {
    profileJson = JSON.parse(profileArg.startsWith('@') ? readFileSync(profileArg.slice(1), 'utf8') : profileArg);
  } catch (e) {
    throw new UsageError(`--profile is not valid JSON: ${(e as Error).message}`);
  }
  const text = linearize(profileFromJson(profileJson));
  const adapter = loadAdapter(new Uint8Array(readFileSync(adapterPath)), adapterPath);
  checkAdapterFits(adapter, rt.config!, await backboneHash(rt.config!), modelDir);
  const s = new ConditionSession(rt);
  s.setEncoder(await createEncoder(str(flags, 'encoder') ?? adapter.spec.encoderId ?? DEFAULT_ENCODER_ID));
  const path = str(flags, 'path');
  if (path !== undefined && path !== 'fused' && path !== 'split' && path !== 'unfused') throw new UsageError(`--path must be fused, split or unfused, got "${path}"`);
  s.useAdapter(adapter, adapterPath, { path });
  await s.apply({ text });
  if (flags.has('strength')) rt.setStrength(num(flags, 'strength', 1));
  const input = ids(idStr);
  const logits = await rt.logits(input);
  const out: Record<string, unknown> = { ids: input, condition: text, method: adapter.spec.method, logits: Array.from(logits) };
  if (adapter.spec.method === 'cuma') {
    const g = await rt.readGates();
    out.gates = g.gates.map((layer) => Array.from({ length: g.T }, (_, t) => Array.from(layer.slice(t * g.E, t * g.E + g.E))));
  }
  if (rt.model?.adapter?.z) out.z = rt.model.adapter.z.map((byT) => Object.fromEntries(Object.entries(byT).map(([t, v]) => [t, Array.from(v)])));
  process.stdout.write(JSON.stringify(out) + '\n');
}

// Exit only once stdout has drained: writes to a pipe are asynchronous, and exiting early cuts a
// multi-megabyte logits line short for whoever reads it through a pipe.
const exitAfterFlush = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
main(process.argv.slice(2)).then(
  () => exitAfterFlush(0),
  (e: Error) => {
    process.stderr.write(`error: ${e.message.split('\n')[0]}${e instanceof UsageError ? '\n' + usageOf(e.command) : ''}\n`);
    exitAfterFlush(1);
  },
);
