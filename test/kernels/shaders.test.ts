// The shader library: every kernel present, and `// #include "_x.wgsl"` lines replaced by the snippet's
// text (the attention kernels share their bindings and tiles that way), with clear errors otherwise.
import { describe, it, expect } from 'vitest';
import { libraryFrom, SHADER_NAMES } from '../../src/gpu/shaders';
import { loadShaderLibrary } from '../../src/gpu/shaders-node';

const kernels = (over: Record<string, string>) => {
  const files: Record<string, string> = {};
  for (const n of SHADER_NAMES) files[`/shaders/${n}.wgsl`] = `// ${n}\n`;
  return { ...files, ...over };
};

describe('shader library', () => {
  it('expands includes where the line stands, from a path or a bare name', () => {
    const lib = libraryFrom(kernels({ '/shaders/attention.wgsl': '// top\n// #include "_a.wgsl"\nfn main() {}\n', '_a.wgsl': 'const X: u32 = 1u;\n' }));
    expect(lib.attention).toBe('// top\nconst X: u32 = 1u;\n\nfn main() {}\n');
    expect(lib.rope).toBe('// rope\n');
  });

  it('says which kernel and which file when an include or a kernel is missing, and refuses nested snippets', () => {
    expect(() => libraryFrom(kernels({ '/shaders/rope.wgsl': '// #include "_gone.wgsl"\n' }))).toThrow('shader rope.wgsl includes _gone.wgsl, which is missing from the build');
    expect(() => libraryFrom(kernels({ '/shaders/rope.wgsl': '// #include "_a.wgsl"\n', '/shaders/_a.wgsl': '// #include "_b.wgsl"\n', '/shaders/_b.wgsl': '' }))).toThrow(/_a.wgsl \(included by rope.wgsl\) includes another file/);
    const files = kernels({});
    delete files['/shaders/adamw.wgsl'];
    expect(() => libraryFrom(files)).toThrow('shader adamw.wgsl is missing from the build');
  });

  it('the real folder: no include is left unexpanded, and the tiled attention kernels share the snippets', () => {
    const lib = loadShaderLibrary();
    for (const n of SHADER_NAMES) expect(lib[n], n).not.toMatch(/^\/\/ #include "/m);
    for (const n of ['attention', 'attention_tiled', 'attention_lse_tiled', 'attention_backward_dq_tiled', 'attention_backward_dkv_tiled'] as const) expect(lib[n]).toContain('struct Params { headDim: u32');
    expect(lib.attention_backward_dkv_tiled).toContain('fn loadKV(');
  });
});
