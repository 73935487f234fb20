// The headless CLI as a user runs it (a subprocess through tsx): JSON shapes, agreement with the
// independent reference, and a non-zero exit with a one-line reason on errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeModel } from '../scripts/make-test-models';
import { referenceLogits } from './reference/tfjs-forward';
import { argmax } from '../src/model/sampling';

const run = promisify(execFile);
const cli = (...args: string[]) => run('npx', ['tsx', 'src/cli/main.ts', ...args], { maxBuffer: 64 << 20 });
let dir: string;
beforeAll(() => {
  dir = makeModel('qwen2', join(mkdtempSync(join(tmpdir(), 'atlas-cli-')), 'qwen2'));
});

describe('npm run cli', () => {
  it('logits --ids prints the last-position logits over the full vocabulary, matching the reference', async () => {
    const { stdout } = await cli('logits', '--model', dir, '--ids', '5,17,200,3', '--weights', 'f32');
    const out = JSON.parse(stdout) as { ids: number[]; logits: number[] };
    expect(out.ids).toEqual([5, 17, 200, 3]);
    const want = (await referenceLogits(dir, out.ids))[3];
    expect(out.logits.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(out.logits[i] - want[i])).toBeLessThan(1e-3);
    // f16 weights, the default: within 2e-2 of the f32 logits
    const f16 = JSON.parse((await cli('logits', '--model', dir, '--ids', '5,17,200,3')).stdout) as { logits: number[] };
    for (let i = 0; i < want.length; i++) expect(Math.abs(f16.logits[i] - out.logits[i])).toBeLessThan(2e-2);
    // 8-bit weights: the same vocabulary, within 0.15 of f32 here (a random model; test/model/forward.test.ts has the bounds)
    const q8 = JSON.parse((await cli('logits', '--model', dir, '--ids', '5,17,200,3', '--weights', 'q8')).stdout) as { logits: number[] };
    expect(q8.logits.length).toBe(want.length);
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(q8.logits[i] - out.logits[i]));
    expect(d).toBeLessThan(0.15);
    expect(d).toBeGreaterThan(0);
  });

  it('--model defaults to the embedded model in every command that runs one', async () => {
    const { stdout } = await cli('logits', '--ids', '1,2,3');
    expect((JSON.parse(stdout) as { logits: number[] }).logits.length).toBeGreaterThan(1000);
    // experiment reaches its own checks (not "--model DIR is required") with no --model
    const err = await cli('experiment', '--preset', 'nope', '--out', join(tmpdir(), 'atlas-x')).then(() => null, (e: { stderr: string }) => e);
    expect(err!.stderr).toMatch(/error: --preset must be quick, default, contrast, got "nope"/);
  });

  it('refuses an unknown flag, a flag of another command, and a bad --weights, with that command\'s usage', async () => {
    for (const [args, msg] of [
      [['logits', '--ids', '1', '--frobnicate'], /error: logits takes no --frobnicate/],
      [['logits', '--ids', '1', '--greedy'], /error: logits takes no --greedy/],
      [['logits', '--ids', '1', '--weights', 'f8'], /error: --weights must be f16, q8, q4 or f32, got "f8"/],
      [['logits', '--ids'], /error: --ids needs a value/],
      [['import', '--format', 'goqa', '--frob', 'a.csv'], /error: import takes no --frob/],
    ] as [string[], RegExp][]) {
      const err = await cli(...args).then(() => null, (e: { code: number; stderr: string }) => e);
      expect(err, args.join(' ')).not.toBeNull();
      expect(err!.code).toBe(1);
      expect(err!.stderr).toMatch(msg);
      expect(err!.stderr, 'the usage printed is that command\'s').toMatch(new RegExp(`npm run cli -- ${args[0]} `));
      expect(err!.stderr).not.toMatch(args[0] === 'logits' ? /npm run cli -- generate/ : /npm run cli -- logits/);
    }
    // a switch never swallows the path after it
    const ok = await cli('import', '--format', 'goqa', '--json', '/nonexistent.csv').then(() => null, (e: { stderr: string }) => e);
    expect(ok!.stderr).toMatch(/nonexistent\.csv/);
  });

  it('generate --ids --greedy --json reproduces the reference greedy ids', async () => {
    const { stdout } = await cli('generate', '--model', dir, '--ids', '5,17,200', '--greedy', '--json', '--max-tokens', '5');
    const out = JSON.parse(stdout) as { ids: number[]; text: string };
    expect(typeof out.text).toBe('string');
    const seq = [5, 17, 200];
    for (const id of out.ids) {
      const ref = await referenceLogits(dir, seq);
      expect(id).toBe(argmax(ref[seq.length - 1]));
      seq.push(id);
    }
    expect(out.ids.length).toBeGreaterThan(0);
  });

  it('generate --prompt streams text and replays with the same seed', async () => {
    const a = await cli('generate', '--model', dir, '--prompt', 'Hello there', '--seed', '9', '--max-tokens', '6', '--json');
    const b = await cli('generate', '--model', dir, '--prompt', 'Hello there', '--seed', '9', '--max-tokens', '6', '--json');
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
  });

  it('exits non-zero with a one-line reason on bad input', async () => {
    for (const args of [
      ['logits', '--model', '/nonexistent', '--ids', '1'],
      ['logits', '--model', dir, '--ids', 'a,b'],
      ['logits', '--model', dir, '--ids', '999999'],
      ['frobnicate'],
    ]) {
      const err = await cli(...args).then(() => null, (e: { code: number; stderr: string }) => e);
      expect(err, args.join(' ')).not.toBeNull();
      expect(err!.code).toBe(1);
      expect(err!.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(/no such folder|--ids must be|outside the vocabulary|unknown command/);
    }
  });
});

describe('npm run cli with a real-size vocabulary', () => {
  it('prints the whole multi-megabyte logits line through a pipe', async () => {
    const { makeConfig, makeWeights, makeTokenizer, SPECS } = await import('../scripts/make-test-models');
    const { writeSafetensors } = await import('../src/model/safetensors');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const big = join(mkdtempSync(join(tmpdir(), 'atlas-cli-big-')), 'big-vocab');
    mkdirSync(big);
    const V = 49152;
    const tok = makeTokenizer();
    const spec = { ...SPECS.qwen2, layers: 1 };
    writeFileSync(join(big, 'model.safetensors'), writeSafetensors(makeWeights(spec, V)));
    writeFileSync(join(big, 'config.json'), JSON.stringify(makeConfig(spec, tok, V)));
    writeFileSync(join(big, 'tokenizer.json'), JSON.stringify(tok.tokenizerJSON));
    writeFileSync(join(big, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
    const { stdout } = await cli('logits', '--model', big, '--ids', '1,2,3');
    expect(stdout.length).toBeGreaterThan(500_000);
    const out = JSON.parse(stdout) as { logits: number[] };
    expect(out.logits.length).toBe(V);
    const want = (await referenceLogits(big, [1, 2, 3]))[2];
    for (let i = 0; i < V; i += 97) expect(Math.abs(out.logits[i] - want[i])).toBeLessThan(1e-3);
  });
});

describe('npm run cli -- condition', () => {
  let adir: string;
  let cuma: string, zhyper: string, foreign: string;
  beforeAll(async () => {
    const { createAdapter, defaultSpec } = await import('../src/adapters/create');
    const { saveAdapter, backboneHash } = await import('../src/adapters/files');
    const { parseConfig } = await import('../src/model/config');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const cfg = parseConfig(readFileSync(join(dir, 'config.json'), 'utf8'));
    const dims = { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, intermediateSize: cfg.intermediateSize, qDim: cfg.numHeads * cfg.headDim, kvDim: cfg.numKVHeads * cfg.headDim };
    const hash = await backboneHash(cfg);
    adir = mkdtempSync(join(tmpdir(), 'atlas-cli-ad-'));
    const write = (name: string, method: 'cuma' | 'zhyper', d = dims, h = hash) => {
      const a = createAdapter({ ...defaultSpec(method, 512), encoderId: 'use-lite-512', backbone: { id: 'qwen2 fixture', configHash: h } }, d, 21, 'random');
      const p = join(adir, name);
      writeFileSync(p, saveAdapter(a));
      return p;
    };
    cuma = write('cuma.safetensors', 'cuma');
    zhyper = write('zhyper.safetensors', 'zhyper');
    foreign = write('foreign.safetensors', 'zhyper', { ...dims, hiddenSize: 64, qDim: 64, kvDim: 32 }, 'f'.repeat(64));
  });

  const norway = JSON.stringify({ age: 34, gender: 'Female', country: 'Norway', religion: 'No religion' });
  const nigeria = JSON.stringify({ age: 34, gender: 'Female', country: 'Nigeria', religion: 'Muslim' });

  it('CUMA: logits and gates[layer][position][expert] with top-2 gates; two personas differ', async () => {
    const a = JSON.parse((await cli('condition', '--model', dir, '--adapter', cuma, '--profile', norway, '--ids', '5,17,200,3')).stdout);
    const b = JSON.parse((await cli('condition', '--model', dir, '--adapter', cuma, '--profile', nigeria, '--ids', '5,17,200,3')).stdout);
    expect(a.condition).toMatch(/Norway/);
    expect(a.gates.length).toBe(3); // layers of the qwen2 fixture
    for (const layer of a.gates as number[][][]) {
      expect(layer.length).toBe(4);
      for (const g of layer) {
        expect(g.length).toBe(8);
        expect(g.filter((v) => v > 0).length).toBe(2);
      }
    }
    const diff = (a.logits as number[]).reduce((m, v, i) => Math.max(m, Math.abs(v - b.logits[i])), 0);
    expect(diff).toBeGreaterThan(1e-4);
    // the other kernel paths give the same answer
    for (const path of ['fused', 'unfused']) {
      const u = JSON.parse((await cli('condition', '--model', dir, '--adapter', cuma, '--profile', norway, '--ids', '5,17,200,3', '--path', path)).stdout);
      expect((u.logits as number[]).reduce((m, v, i) => Math.max(m, Math.abs(v - a.logits[i])), 0)).toBeLessThan(1e-3);
    }
  });

  it('Zhyper: z per layer and target; strength 0 gives the plain logits', async () => {
    const z = JSON.parse((await cli('condition', '--model', dir, '--adapter', zhyper, '--profile', norway, '--ids', '5,17,200,3')).stdout);
    expect(z.gates).toBeUndefined();
    expect(z.z.length).toBe(3);
    expect(z.z[0].q.length).toBe(8);
    const zero = JSON.parse((await cli('condition', '--model', dir, '--adapter', zhyper, '--profile', norway, '--ids', '5,17,200,3', '--strength', '0')).stdout);
    const plain = JSON.parse((await cli('logits', '--model', dir, '--ids', '5,17,200,3')).stdout);
    expect((zero.logits as number[]).reduce((m, v, i) => Math.max(m, Math.abs(v - plain.logits[i])), 0)).toBeLessThan(1e-5);
  });

  it('refuses an adapter made for another backbone, and a bad profile, with one line each', async () => {
    await expect(cli('condition', '--model', dir, '--adapter', foreign, '--profile', norway, '--ids', '1,2')).rejects.toMatchObject({ stderr: expect.stringMatching(/error: This adapter was made for "qwen2 fixture"/) });
    await expect(cli('condition', '--model', dir, '--adapter', cuma, '--profile', '{"age": "old"}', '--ids', '1,2')).rejects.toMatchObject({ stderr: expect.stringMatching(/error: .*age/i) });
    await expect(cli('condition', '--model', dir, '--adapter', cuma, '--profile', '{not json', '--ids', '1,2')).rejects.toMatchObject({ stderr: expect.stringMatching(/--profile is not valid JSON/) });
  });
});

describe('npm run cli -- score (as Compare scores)', () => {
  const NORWAY = JSON.stringify({ country: 'Norway', age: 34, religion: 'No religion', freeText: 'Not religious at all.' });
  const NIGERIA = JSON.stringify({ country: 'Nigeria', age: 45, religion: 'Muslim', freeText: 'Very religious.' });
  const score = async (...args: string[]) => JSON.parse((await cli('score', ...args, '--json')).stdout) as { condition: string; options: string[]; probs: number[]; prompt: string; mode: string; chat: boolean };

  it("the shipped CUMA default on the embedded model: the question's options, probabilities that sum to 1, the chat prompt", async () => {
    const a = await score('--adapter', 'public/adapters/cuma.safetensors', '--profile', NORWAY, '--question', 'Q6');
    expect(a.condition).toBe('Age: 34. Country: Norway. Religion: No religion. Not religious at all.');
    expect(a.options).toEqual(['Very important', 'Rather important', 'Not very important', 'Not at all important']);
    expect(a.probs.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    expect(a.mode).toBe('adapter');
    expect(a.prompt).toMatch(/How important is religion in your life\?\nA\. Very important[\s\S]*D\. Not at all important[\s\S]*assistant\nAnswer:$/);
    // the two personas the first screen shows apart are apart here too (total variation, as Compare's e2e asserts)
    const b = await score('--adapter', 'public/adapters/cuma.safetensors', '--profile', NIGERIA, '--question', 'Q6');
    const tv = a.probs.reduce((s, p, i) => s + Math.abs(p - b.probs[i]), 0) / 2;
    expect(tv).toBeGreaterThanOrEqual(0.3);
    // a question in words gives the same numbers as its id
    const c = await score('--adapter', 'public/adapters/cuma.safetensors', '--profile', NORWAY, '--question-text', 'How important is religion in your life?', '--options', a.options.join('|'));
    expect(c.probs).toEqual(a.probs);
  }, 120_000);

  it('without an adapter: persona prompting (the profile in the prompt); bad questions are refused by name', async () => {
    const p = await score('--profile', NORWAY, '--question', 'Q6', '--no-chat');
    expect(p.mode).toBe('prompt');
    expect(p.chat).toBe(false);
    expect(p.prompt.startsWith('Age: 34. Country: Norway.')).toBe(true);
    await expect(cli('score', '--profile', NORWAY, '--question', 'Q999')).rejects.toMatchObject({ stderr: expect.stringMatching(/error: --question Q999 is not a question of the synthetic world/) });
    await expect(cli('score', '--profile', NORWAY, '--question-text', 'Yes?')).rejects.toMatchObject({ stderr: expect.stringMatching(/--options/) });
  }, 120_000);
});
