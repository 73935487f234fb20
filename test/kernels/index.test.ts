// The kernel index (shaders/README.md): one row per shader, and every row names things that exist: the
// builder method, the reference function, the test file, and the bench entry (which lists the kernel).
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as refs from '../reference/kernels';

const readme = readFileSync('shaders/README.md', 'utf8');
const rows = readme
  .split('\n')
  .filter((l) => l.startsWith('| `') && l.includes('.wgsl`'))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
const kernels = readdirSync('shaders').filter((f) => f.endsWith('.wgsl') && !f.startsWith('_'));
const snippets = readdirSync('shaders').filter((f) => f.endsWith('.wgsl') && f.startsWith('_'));
const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const source = { Kernels: readFileSync('src/gpu/kernels.ts', 'utf8'), TrainKernels: readFileSync('src/train/kernels.ts', 'utf8') };
const bench = readFileSync('bench/kernels.ts', 'utf8');

describe('the kernel index', () => {
  it('has one row per kernel and one per snippet, and nothing else', () => {
    const named = rows.map((r) => ticked(r[0])[0]);
    expect(named.filter((n) => !n.startsWith('_')).sort()).toEqual([...kernels].sort());
    expect(named.filter((n) => n.startsWith('_')).sort()).toEqual([...snippets].sort());
    expect(new Set(named).size).toBe(named.length);
  });

  for (const r of rows.filter((r) => !ticked(r[0])[0].startsWith('_'))) {
    const shader = ticked(r[0])[0], kernel = shader.replace(/\.wgsl$/, '');
    it(`${shader}: its builder, reference, test and bench entry exist`, () => {
      const [cls, method] = ticked(r[1])[0].split('.') as ['Kernels' | 'TrainKernels', string];
      expect(source[cls], `${cls}.${method}`).toMatch(new RegExp(`^  ${method}\\(`, 'm'));
      // the builder dispatches this shader (directly, or through the method the row names)
      expect(source.Kernels.includes(`'${kernel}'`) || source.TrainKernels.includes(`'${kernel}'`), `no builder makes '${kernel}'`).toBe(true);
      const fns = ticked(r[2]).filter((x) => /^[a-zA-Z0-9]+$/.test(x));
      if (!r[2].startsWith('(')) expect(fns.length, `${shader}: no reference named`).toBeGreaterThan(0);
      for (const f of fns) expect(typeof (refs as Record<string, unknown>)[f], `reference ${f}`).toBe('function');
      const test = ticked(r[3])[0];
      expect(existsSync(test), test).toBe(true);
      const entry = ticked(r[4])[0];
      if (entry === undefined) {
        expect(r[4], `${shader}: no bench entry and no reason`).toMatch(/^— \(.+\)$/);
        return;
      }
      const m = new RegExp(`\\n  '?${entry}'?: \\{\\n    kernels: \\[([^\\]]*)\\]`).exec(bench);
      expect(m, `bench entry ${entry}`).not.toBeNull();
      expect(m![1], `bench entry ${entry} does not list ${kernel}`).toContain(`'${kernel}'`);
    });
  }
});
