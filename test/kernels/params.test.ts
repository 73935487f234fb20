// Each kernel's Params as params.ts declares them against the `struct Params` its WGSL declares (includes
// resolved), field by field, name and type; the limits table against the shaders' `const`s; and the packer
// refusing what a positional array would have let through.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { libraryFrom, SHADER_NAMES } from '../../src/gpu/shaders';
import { LIMITS, PARAMS, packParams, paramField } from '../../src/gpu/params';

const files = Object.fromEntries(readdirSync('shaders').filter((f) => f.endsWith('.wgsl')).map((f) => [f, readFileSync(`shaders/${f}`, 'utf8')]));
const lib = libraryFrom(files);

/** [name, type] of every field of the shader's `struct Params` */
function wgslParams(src: string): [string, string][] {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(src.replace(/\/\/[^\n]*/g, ''));
  if (!m) return [];
  return m[1]
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      const [name, type] = f.split(':').map((x) => x.trim());
      return [name, type];
    });
}

describe('named kernel parameters', () => {
  it('every kernel has a Params declaration equal to its WGSL struct, field by field', () => {
    expect(Object.keys(PARAMS).sort()).toEqual([...SHADER_NAMES].sort());
    for (const name of SHADER_NAMES) {
      const wgsl = wgslParams(lib[name]);
      expect(wgsl.length, `${name}: no struct Params in the shader`).toBeGreaterThan(0);
      expect(Object.entries(PARAMS[name]), name).toEqual(wgsl);
      // a uniform struct of 4-byte fields is a whole number of 16-byte rows
      expect(wgsl.length % 4, `${name}: Params is not padded to 16 bytes`).toBe(0);
    }
  });

  it('every limit equals the const of that name in its shader', () => {
    for (const [name, limits] of Object.entries(LIMITS)) {
      for (const [k, v] of Object.entries(limits)) {
        const m = new RegExp(`const\\s+${k}\\s*(?::\\s*u32\\s*)?=\\s*(\\d+)u`).exec(lib[name as keyof typeof lib]);
        expect(m, `${name}: no const ${k}`).not.toBeNull();
        expect(Number(m![1]), `${name}.${k}`).toBe(v);
      }
    }
  });

  it('packs by name in struct order, padding zero, and refuses a missing, unknown or ill-typed field', () => {
    expect(packParams('rmsnorm', { eps: 1e-5, lastRowOnly: true, dim: 64 })).toEqual([64, { f32: 1e-5 }, 1, 0]);
    expect(paramField('lora_matvec_vec4', 'scale')).toEqual({ offset: 12 * 4, type: 'f32' });
    expect(paramField('router_backward', 'lbScale')).toEqual({ offset: 5 * 4, type: 'f32' });
    expect(() => packParams('rmsnorm', { dim: 64, eps: 1e-5 } as never)).toThrow(/rmsnorm: Params.lastRowOnly is not given/);
    expect(() => packParams('rmsnorm', { dim: 64, eps: 1e-5, lastRowOnly: 0, bogus: 1 } as never)).toThrow(/no field "bogus"/);
    expect(() => packParams('rmsnorm', { dim: 64.5, eps: 1e-5, lastRowOnly: 0 })).toThrow(/Params.dim must be a u32/);
    expect(() => packParams('rmsnorm', { dim: 64, eps: NaN, lastRowOnly: 0 })).toThrow(/Params.eps must be a finite number/);
    expect(() => paramField('adamw', 'nope' as never)).toThrow(/no field "nope"/);
  });
});
