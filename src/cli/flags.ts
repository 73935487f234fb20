// The CLI's flags, declared once per command: a flag a command does not take, or a value flag without its value,
// is refused with that command's usage; a switch never swallows the argument after it (`import --json a.csv`).
import { existsSync } from 'node:fs';
import type { WeightDtype } from '../gpu/kernels';
import { WEIGHT_CHOICES } from '../model/api';

/** 'value' flags take the next argument; 'switch' flags take none */
type Kind = 'value' | 'switch';
type FlagTable = Readonly<Record<string, Kind>>;

/** the embedded default model, used by every command that takes --model when none is given */
export const EMBEDDED_MODEL = 'public/models/default';

/** every command that runs a model takes these */
const MODEL: FlagTable = { model: 'value', weights: 'value', context: 'value' };

export const COMMAND_FLAGS: Readonly<Record<string, FlagTable>> = {
  generate: { ...MODEL, prompt: 'value', ids: 'value', 'max-tokens': 'value', greedy: 'switch', seed: 'value', temperature: 'value', 'top-k': 'value', 'top-p': 'value', 'no-chat': 'switch', json: 'switch' },
  logits: { ...MODEL, ids: 'value' },
  condition: { ...MODEL, adapter: 'value', profile: 'value', ids: 'value', encoder: 'value', strength: 'value', path: 'value' },
  score: { ...MODEL, adapter: 'value', profile: 'value', question: 'value', 'question-text': 'value', options: 'value', mode: 'value', strength: 'value', 'no-chat': 'switch', encoder: 'value', json: 'switch' },
  experiment: {
    ...MODEL, preset: 'value', out: 'value', resume: 'value', 'checkpoint-every': 'value', steps: 'value', seed: 'value', 'batch-size': 'value', lr: 'value', 'lr-backoff': 'switch', methods: 'value', 'max-examples': 'value', 'max-test': 'value',
    'max-options': 'value', countries: 'value', participants: 'value', questions: 'value', encoder: 'value', 'lb-lambda': 'value', 'no-persona': 'switch', 'center-conditions': 'switch',
    chat: 'switch', 'loco-methods': 'value', 'no-loco': 'switch', 'loco-steps': 'value', 'loco-zones': 'value', embeddings: 'value', 'embed-only': 'switch', recipe: 'value',
    'held-out-profiles': 'value', data: 'value', 'goqa-questions': 'value',
  },
  import: { format: 'value', json: 'switch' },
  merge: { from: 'value', out: 'value' },
  help: {},
};

/** the commands that take positional paths after their flags */
const TAKES_PATHS = new Set(['import']);

export class UsageError extends Error {
  /** the command whose usage to print with the message (undefined: the whole usage) */
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

export type Flags = Map<string, string | true>;

export function parseArgs(argv: string[]): { cmd: string; flags: Flags; paths: string[] } {
  const [cmd = '', ...rest] = argv;
  const flags: Flags = new Map();
  const paths: string[] = [];
  if (cmd === '--help' || cmd === '-h') return { cmd: 'help', flags, paths };
  const table = COMMAND_FLAGS[cmd];
  if (!table) throw new UsageError(cmd ? `unknown command "${cmd}"` : 'no command given');
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--help' || a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) {
      if (TAKES_PATHS.has(cmd)) {
        paths.push(a);
        continue;
      }
      throw new UsageError(`unexpected argument "${a}"`, cmd);
    }
    const name = a.slice(2);
    const kind = table[name];
    if (!kind) throw new UsageError(`${cmd} takes no --${name}`, cmd);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`, cmd);
    if (kind === 'switch') {
      flags.set(name, true);
      continue;
    }
    const next = rest[i + 1];
    if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`, cmd);
    flags.set(name, next);
    i++;
  }
  return { cmd, flags, paths };
}

/** The model folder: --model, or the embedded default (which ships with the project). */
export function modelDir(flags: Flags): string {
  const given = flags.get('model');
  const dir = typeof given === 'string' ? given : EMBEDDED_MODEL;
  if (!existsSync(dir)) throw new UsageError(typeof given === 'string' ? `--model ${dir}: no such folder` : `no --model given and the embedded model (${EMBEDDED_MODEL}) is not here; run from the project root`);
  return dir;
}

/** --weights f16|f32|q8|q4 (f16 by default; q8 and q4 are group-wise integers, src/model/quant.ts) */
export function weightsFlag(flags: Flags, cmd: string): WeightDtype {
  const w = flags.get('weights') ?? 'f16';
  const ids = WEIGHT_CHOICES.map((c) => c.id);
  if (!ids.some((id) => id === w)) throw new UsageError(`--weights must be ${ids.slice(0, -1).join(', ')} or ${ids[ids.length - 1]}, got "${w}"`, cmd);
  return w as WeightDtype;
}
