// Checkpoints and resume: a run interrupted mid-method and resumed from its last checkpoint ends with the same
// results as a run never interrupted, bit for bit (the trained tensors, AdamW moments, CPU-trained hypernetwork and
// router columns, and the batch order are all restored). In-process here; the CLI's --resume after a SIGKILL too.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeModel } from '../../scripts/make-test-models';
import { Runtime } from '../../src/model/runtime';
import { nodeGPU } from '../../src/gpu/node';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';
import { dirSource } from '../../src/model/sources-node';
import type { Encoder } from '../../src/adapters/session';
import { worldConfig } from '../../src/data';
import { experimentConfig, runExperiment, isSkipped, type MethodRow, type Progress, type Results } from '../../src/experiments/runner';
import { decodeCheckpoint, encodeCheckpoint, type RunCheckpoint } from '../../src/experiments/checkpoint';
import { rand } from '../helpers/gpu';

const fakeEncoder: Encoder = {
  id: 'fake-16',
  dim: 16,
  embed: async (texts) => texts.map((t) => rand(16, [...t].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7))),
};
const world = worldConfig('quick', { countries: ['Norway', 'Nigeria'], participantsPerCountry: 6, questionIds: ['Q1', 'Q2'], questionsPerParticipant: 'all' });
const config = experimentConfig('quick', { seed: 5, steps: 6, batchSize: 2, lr: 1e-2, world, maxExamples: 8, maxTest: 4, signatureProfiles: 2, methods: ['lora', 'zhyper-diag', 'cuma'], loco: { methods: ['cuma'], steps: 4, heldOutProfiles: 0 }, personaInPrompt: false });

let rt: Runtime;
let dir: string;
beforeAll(async () => {
  dir = makeModel('llama', join(mkdtempSync(join(tmpdir(), 'atlas-resume-')), 'llama'));
  rt = await Runtime.create(nodeGPU(), loadShaderLibrary());
  await rt.load(dirSource(dir), undefined, undefined, { maxChunk: 256, maxContext: 256 });
});
afterAll(() => rt?.destroy());

/** what must be equal: every row's numbers, losses and predictions (wall time aside), and Table 2 */
const outcome = (r: Results) => ({
  rows: r.rows.map((row) => (isSkipped(row) ? row : { ...(row as MethodRow), wallSeconds: 0 })),
  loco: r.loco,
  table2: r.table2,
});

describe('resume from a checkpoint', () => {
  it('a run stopped inside Zhyper and resumed ends equal to an uninterrupted one (bitwise); another config is refused', { timeout: 900_000 }, async () => {
    const whole = await runExperiment(rt, fakeEncoder, config, { checkpointEvery: 2, onCheckpoint: () => {} });
    expect(whole.stopped).toBe(false);

    // interrupted: steps counted across methods; LoRA's 6, then Zhyper stops before its 4th step
    let steps = 0, last: Uint8Array | null = null;
    const cut = await runExperiment(rt, fakeEncoder, config, {
      checkpointEvery: 2,
      onCheckpoint: (ck) => void (last = encodeCheckpoint(ck)),
      onProgress: (p) => void (p.phase === 'train' && steps++),
      shouldStop: () => steps >= 9,
    });
    expect(cut.stopped).toBe(true);
    const ck: RunCheckpoint = decodeCheckpoint(last!);
    expect(Object.keys(ck.done)).toEqual(['1:lora']);
    expect(ck.current).toMatchObject({ key: '1:zhyper-diag', step: 2 });
    expect(ck.current!.trainer.cpu).not.toBeNull(); // Zhyper's hypernetwork and its f64 moments travel too

    const events: Progress[] = [];
    const resumed = await runExperiment(rt, fakeEncoder, config, { checkpointEvery: 2, onCheckpoint: () => {}, resume: ck, onProgress: (p) => void events.push(p) });
    expect(events.find((p) => p.phase === 'resume')).toMatchObject({ method: 'zhyper-diag', step: 2, steps: 6 });
    // LoRA was not trained again
    expect(events.some((p) => p.method === 'lora' && p.phase === 'train')).toBe(false);
    expect(outcome(resumed)).toEqual(outcome(whole));
    expect(resumed.table).toBe(whole.table);

    await expect(runExperiment(rt, fakeEncoder, { ...config, seed: 6 }, { resume: ck })).rejects.toThrow(/belongs to another experiment/);
  });
});

describe('npm run cli -- experiment --resume', () => {
  const run = promisify(execFile);
  it('a process killed (SIGKILL) after a checkpoint resumes to the results of an uninterrupted run', { timeout: 900_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'atlas-cli-resume-'));
    const args = (out: string) => ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--preset', 'quick', '--steps', '8', '--batch-size', '2', '--methods', 'lora,cuma', '--countries', 'Norway,Nigeria', '--participants', '4', '--questions', 'Q1,Q2', '--max-examples', '8', '--max-test', '4', '--no-loco', '--checkpoint-every', '2', '--out', out];
    const a = join(root, 'a'), b = join(root, 'b');
    await run('npx', args(a), { maxBuffer: 64 << 20 });
    // b: killed as soon as a checkpoint with a run in progress is on disk
    const child = spawn('npx', args(b), { stdio: 'ignore', detached: true });
    const ckFile = join(b, 'checkpoint.safetensors');
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        try {
          if (existsSync(ckFile) && decodeCheckpoint(new Uint8Array(readFileSync(ckFile))).current) {
            clearInterval(t);
            process.kill(-child.pid!, 'SIGKILL');
            resolve();
          }
        } catch {
          /* mid-rename: try again */
        }
      }, 20);
      child.on('exit', () => (clearInterval(t), reject(new Error('the run ended before it could be killed'))));
    });
    expect(existsSync(join(b, 'results.json'))).toBe(false);
    const { stderr } = await run('npx', ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--resume', b], { maxBuffer: 64 << 20 });
    expect(stderr).toMatch(/resuming .*: \d runs done, 1:\w+ at step \d/);
    const ra = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as Results;
    const rb = JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')) as Results;
    expect(outcome(rb)).toEqual(outcome(ra));
    // flags that would change the settings are refused
    const err = await run('npx', ['tsx', 'src/cli/main.ts', 'experiment', '--model', dir, '--resume', b, '--steps', '3']).then(() => null, (e: { stderr: string }) => e);
    expect(err!.stderr).toMatch(/--resume takes the experiment's settings from its checkpoint: --steps cannot change them/);
  });
});
