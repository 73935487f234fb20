// Sanity of the tfjs reference forward pass and of the generated fixtures: shapes, finiteness,
// causality (prefix property), shard loading, the Llama-3 RoPE formula, agreement with a second,
// loop-by-loop float64 implementation, that the fixture tokenizer loads in transformers.js, and that
// the bad-input helper breaks what it says.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures, makeDefaultModel, FIXTURE_DIRS, FIXTURE_KINDS } from '../../scripts/make-test-models';
import { referenceLogits, referenceInvFreq } from './tfjs-forward';
import { parseSafetensors, tensorToF32 } from '../../src/model/safetensors';
import { makeBadInputs, BAD_CASES } from '../helpers/bad-inputs';

let root: string;
let dirs: Record<(typeof FIXTURE_DIRS)[number], string>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'atlas-fixtures-'));
  dirs = writeAllFixtures(root);
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const cfgOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

const IDS_A = [295, 296, 11, 290, 262, 269, 265, 220, 271];
const IDS_B = [302, 84, 82, 263, 198, 71, 72, 303, 198];

describe('fixtures', () => {
  it('are deterministic', () => {
    const again = mkdtempSync(join(tmpdir(), 'atlas-fixtures-'));
    try {
      const d2 = writeAllFixtures(again);
      for (const k of FIXTURE_DIRS) {
        for (const f of readdirSync(dirs[k])) {
          expect(Buffer.compare(readFileSync(join(dirs[k], f)), readFileSync(join(d2[k], f))), `${k}/${f}`).toBe(0);
        }
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('have the HF tensor names, shapes and dtypes', () => {
    const expectDtype = { llama: 'F32', llama3: 'BF16', qwen2: 'F16', qwen3: 'F32' } as const;
    for (const kind of FIXTURE_KINDS) {
      const c = cfgOf(dirs[kind]);
      const st = parseSafetensors(new Uint8Array(readFileSync(join(dirs[kind], 'model.safetensors'))));
      const D = c.head_dim ?? c.hidden_size / c.num_attention_heads;
      const want: Record<string, number[]> = { 'model.embed_tokens.weight': [c.vocab_size, c.hidden_size], 'model.norm.weight': [c.hidden_size] };
      if (!c.tie_word_embeddings) want['lm_head.weight'] = [c.vocab_size, c.hidden_size];
      for (let l = 0; l < c.num_hidden_layers; l++) {
        const p = `model.layers.${l}`;
        want[`${p}.input_layernorm.weight`] = [c.hidden_size];
        want[`${p}.post_attention_layernorm.weight`] = [c.hidden_size];
        want[`${p}.self_attn.q_proj.weight`] = [c.num_attention_heads * D, c.hidden_size];
        want[`${p}.self_attn.k_proj.weight`] = [c.num_key_value_heads * D, c.hidden_size];
        want[`${p}.self_attn.v_proj.weight`] = [c.num_key_value_heads * D, c.hidden_size];
        want[`${p}.self_attn.o_proj.weight`] = [c.hidden_size, c.num_attention_heads * D];
        want[`${p}.mlp.gate_proj.weight`] = [c.intermediate_size, c.hidden_size];
        want[`${p}.mlp.up_proj.weight`] = [c.intermediate_size, c.hidden_size];
        want[`${p}.mlp.down_proj.weight`] = [c.hidden_size, c.intermediate_size];
        if (kind === 'qwen2') {
          want[`${p}.self_attn.q_proj.bias`] = [c.num_attention_heads * D];
          want[`${p}.self_attn.k_proj.bias`] = [c.num_key_value_heads * D];
          want[`${p}.self_attn.v_proj.bias`] = [c.num_key_value_heads * D];
        }
        if (kind === 'qwen3') {
          want[`${p}.self_attn.q_norm.weight`] = [D];
          want[`${p}.self_attn.k_norm.weight`] = [D];
        }
      }
      expect([...st.tensors.keys()].sort(), kind).toEqual(Object.keys(want).sort());
      for (const [name, info] of st.tensors) {
        expect(info.shape, `${kind} ${name}`).toEqual(want[name]);
        expect(info.dtype, `${kind} ${name}`).toBe(expectDtype[kind]);
      }
      const norm = tensorToF32(st, st.tensors.get('model.norm.weight')!);
      expect(Math.min(...norm)).toBeGreaterThan(0.6);
      expect(Math.max(...norm)).toBeLessThan(1.4);
      expect(new Set(norm).size).toBeGreaterThan(norm.length / 2); // not all ones
    }
    expect(cfgOf(dirs.qwen3).head_dim * cfgOf(dirs.qwen3).num_attention_heads).not.toBe(cfgOf(dirs.qwen3).hidden_size);
    expect(cfgOf(dirs.llama).intermediate_size % 64).not.toBe(0);
  });

  it('tokenizer loads in transformers.js, round-trips and applies the ChatML template', async () => {
    const { PreTrainedTokenizer } = await import('@huggingface/transformers');
    const tj = JSON.parse(readFileSync(join(dirs.llama, 'tokenizer.json'), 'utf8'));
    const tc = JSON.parse(readFileSync(join(dirs.llama, 'tokenizer_config.json'), 'utf8'));
    const tok = new PreTrainedTokenizer(tj, tc);
    const ids = tok.encode('Hello there');
    expect(ids).toEqual([295, 296]); // "Hello", "Ġthere": merges work
    for (const s of ['Hello there', ' the cat is in the house, and you? 日本 é 🎉\n\t<|im_end|>']) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    const c = cfgOf(dirs.llama);
    expect(tok.encode('<|im_end|>')).toEqual([c.eos_token_id]);
    expect(tok.eos_token_id).toBe(c.eos_token_id);
    expect(tok.bos_token_id).toBe(c.bos_token_id);
    const text = tok.apply_chat_template([{ role: 'user', content: 'hi' }], { tokenize: false, add_generation_prompt: true });
    expect(text).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    const size = Object.keys(tj.model.vocab).length + tj.added_tokens.length;
    for (const k of FIXTURE_KINDS) expect(cfgOf(dirs[k]).vocab_size).toBe(size);
    expect(Math.max(...IDS_A, ...IDS_B)).toBeLessThan(size);
  });

  it('default model is written as specified', () => {
    const d = mkdtempSync(join(tmpdir(), 'atlas-default-'));
    try {
      makeDefaultModel(d);
      const c = cfgOf(d);
      expect([c.architectures[0], c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size, c.tie_word_embeddings])
        .toEqual(['LlamaForCausalLM', 128, 4, 4, 2, 344, true]);
      const st = parseSafetensors(new Uint8Array(readFileSync(join(d, 'model.safetensors'))));
      expect(st.tensors.has('lm_head.weight')).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('Llama-3 rope scaling (HF _compute_llama3_parameters)', () => {
  it('keeps high, divides low and smooths medium frequencies', () => {
    const s = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 };
    const plain = referenceInvFreq(16, 500000, null);
    const scaled = referenceInvFreq(16, 500000, s);
    // i = 0: wavelength 2π lies between 16/4 and 16/1 → smooth = (16/2π - 1)/3
    const smooth = (16 / (2 * Math.PI) - 1) / 3;
    expect(scaled[0]).toBeCloseTo((1 - smooth) / 8 + smooth, 6);
    // i >= 1: wavelength 2π·500000^(i/8) > 16 → divided by 8
    for (let i = 1; i < 8; i++) expect(scaled[i]).toBeCloseTo(plain[i] / 8, 10);
    // a high-frequency case: original context 1024 → wavelength 2π < 1024/4 keeps inv_freq
    const hi = referenceInvFreq(16, 500000, { ...s, original_max_position_embeddings: 1024 });
    expect(hi[0]).toBe(plain[0]);
  });
});

// ---------------------------------------------------------------------------------------------
// A second implementation, plain float64 loops, to catch mistakes in the tfjs wiring.

function loopLogits(dir: string, ids: number[]): Float64Array[] {
  const c = cfgOf(dir);
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const w = (n: string) => {
    const info = st.tensors.get(n);
    if (!info) throw new Error(`missing ${n}`);
    return tensorToF32(st, info);
  };
  const has = (n: string) => st.tensors.has(n);
  const H = c.hidden_size, nH = c.num_attention_heads, nKV = c.num_key_value_heads;
  const D = c.head_dim ?? H / nH, I = c.intermediate_size, V = c.vocab_size, eps = c.rms_norm_eps;
  const inv = referenceInvFreq(D, c.rope_theta, c.rope_scaling);
  const T = ids.length;
  const rms = (x: Float64Array, wt: Float32Array) => {
    let ss = 0;
    for (const v of x) ss += v * v;
    const r = 1 / Math.sqrt(ss / x.length + eps);
    return x.map((v, i) => v * r * wt[i]);
  };
  const lin = (x: Float64Array, wt: Float32Array, out: number, b?: Float32Array) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < x.length; i++) s += wt[o * x.length + i] * x[i];
      y[o] = s;
    }
    return y;
  };
  const rope = (v: Float64Array, t: number) => {
    const o = new Float64Array(D);
    for (let i = 0; i < D / 2; i++) {
      const a = t * inv[i];
      o[i] = v[i] * Math.cos(a) - v[i + D / 2] * Math.sin(a);
      o[i + D / 2] = v[i + D / 2] * Math.cos(a) + v[i] * Math.sin(a);
    }
    return o;
  };
  const emb = w('model.embed_tokens.weight');
  let xs: Float64Array[] = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const bias = (n: string) => (has(p + n) ? w(p + n) : undefined);
    const Q: Float64Array[][] = [], K: Float64Array[][] = [], Vv: Float64Array[][] = [];
    for (let t = 0; t < T; t++) {
      const h = rms(xs[t], w(p + 'input_layernorm.weight'));
      const q = lin(h, w(p + 'self_attn.q_proj.weight'), nH * D, bias('self_attn.q_proj.bias'));
      const k = lin(h, w(p + 'self_attn.k_proj.weight'), nKV * D, bias('self_attn.k_proj.bias'));
      const v = lin(h, w(p + 'self_attn.v_proj.weight'), nKV * D, bias('self_attn.v_proj.bias'));
      const qn = has(p + 'self_attn.q_norm.weight') ? w(p + 'self_attn.q_norm.weight') : null;
      const kn = has(p + 'self_attn.k_norm.weight') ? w(p + 'self_attn.k_norm.weight') : null;
      Q.push(Array.from({ length: nH }, (_, hh) => { const s = q.slice(hh * D, hh * D + D); return rope(qn ? rms(s, qn) : s, t); }));
      K.push(Array.from({ length: nKV }, (_, hh) => { const s = k.slice(hh * D, hh * D + D); return rope(kn ? rms(s, kn) : s, t); }));
      Vv.push(Array.from({ length: nKV }, (_, hh) => v.slice(hh * D, hh * D + D)));
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const ctx = new Float64Array(nH * D);
      for (let hh = 0; hh < nH; hh++) {
        const kv = Math.floor(hh / (nH / nKV));
        const sc = Array.from({ length: t + 1 }, (_, j) => Q[t][hh].reduce((a, qv, d) => a + qv * K[j][kv][d], 0) / Math.sqrt(D));
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= t; j++) for (let d = 0; d < D; d++) ctx[hh * D + d] += (e[j] / z) * Vv[j][kv][d];
      }
      const x1 = xs[t].map((v, i) => v + lin(ctx, w(p + 'self_attn.o_proj.weight'), H)[i]);
      const h2 = rms(x1, w(p + 'post_attention_layernorm.weight'));
      const g = lin(h2, w(p + 'mlp.gate_proj.weight'), I);
      const u = lin(h2, w(p + 'mlp.up_proj.weight'), I);
      const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
      const dn = lin(a, w(p + 'mlp.down_proj.weight'), H);
      next.push(x1.map((v, i) => v + dn[i]));
    }
    xs = next;
  }
  const head = c.tie_word_embeddings ? emb : w('lm_head.weight');
  return xs.map((x) => lin(rms(x, w('model.norm.weight')), head, V));
}

describe('tfjs reference forward', () => {
  for (const kind of FIXTURE_KINDS) {
    it(`${kind}: [T][V] finite, non-degenerate logits; different inputs differ; matches float64 loops`, async () => {
      const V = cfgOf(dirs[kind]).vocab_size;
      const a = await referenceLogits(dirs[kind], IDS_A);
      const b = await referenceLogits(dirs[kind], IDS_B);
      expect(a.length).toBe(IDS_A.length);
      for (const row of [...a, ...b]) {
        expect(row).toBeInstanceOf(Float32Array);
        expect(row.length).toBe(V);
        expect(row.every(Number.isFinite)).toBe(true);
        const mean = row.reduce((s, v) => s + v, 0) / V;
        const std = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / V);
        expect(std).toBeGreaterThan(0.1);
        expect(maxAbs(row)).toBeLessThan(100);
      }
      expect(maxAbsDiff(a[a.length - 1], b[b.length - 1])).toBeGreaterThan(1e-2);
      // same first token → same first logits
      const c2 = await referenceLogits(dirs[kind], [IDS_A[0], ...IDS_B.slice(1)]);
      expect(maxAbsDiff(c2[0], a[0])).toBe(0);

      const loops = loopLogits(dirs[kind], IDS_A);
      for (let t = 0; t < IDS_A.length; t++) {
        expect(maxAbsDiff(a[t], loops[t]) / maxAbs(loops[t]), `${kind} position ${t}`).toBeLessThan(1e-4);
      }
    });
  }

  it('llama: causal — logits at position i do not depend on later tokens (prefix property)', async () => {
    const full = await referenceLogits(dirs.llama, IDS_A);
    for (let i = 1; i <= IDS_A.length; i++) {
      const pre = await referenceLogits(dirs.llama, IDS_A.slice(0, i));
      expect(pre.length).toBe(i);
      for (let t = 0; t < i; t++) expect(maxAbsDiff(pre[t], full[t]) / maxAbs(full[t]), `prefix ${i} position ${t}`).toBeLessThan(1e-5);
    }
    // and a change at position 5 leaves positions < 5 alone but moves position 5 on
    const changed = await referenceLogits(dirs.llama, IDS_A.map((id, i) => (i === 5 ? 7 : id)));
    for (let t = 0; t < 5; t++) expect(maxAbsDiff(changed[t], full[t]) / maxAbs(full[t])).toBeLessThan(1e-5);
    expect(maxAbsDiff(changed[5], full[5])).toBeGreaterThan(1e-3);
  });

  it('llama-sharded gives the same logits as llama', async () => {
    const index = JSON.parse(readFileSync(join(dirs['llama-sharded'], 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    const a = await referenceLogits(dirs.llama, IDS_A);
    const b = await referenceLogits(dirs['llama-sharded'], IDS_A);
    for (let t = 0; t < a.length; t++) expect(maxAbsDiff(a[t], b[t])).toBe(0);
  });
});

describe('bad-input fixtures (test/helpers/bad-inputs.ts)', () => {
  for (const good of ['llama', 'llama-sharded'] as const) {
    it(`${good}: each case breaks what it says and nothing else`, async () => {
      const bad = makeBadInputs(dirs[good], join(root, `bad-${good}`));
      expect(Object.keys(bad).sort()).toEqual([...BAD_CASES].sort());
      const st = (dir: string) => {
        const index = join(dir, 'model.safetensors.index.json');
        const files = existsSync(index) ? [...new Set(Object.values(JSON.parse(readFileSync(index, 'utf8')).weight_map as Record<string, string>))] : ['model.safetensors'];
        for (const f of files) {
          const sf = parseSafetensors(new Uint8Array(readFileSync(join(dir, f))), f);
          for (const info of sf.tensors.values()) tensorToF32(sf, info); // the dtype check happens on decode
        }
      };
      const parses = (dir: string, file: string) => () => JSON.parse(readFileSync(join(dir, file), 'utf8'));
      expect(() => st(bad.truncated)).toThrow(/past its end/);
      expect(() => st(bad['header-lies-offsets'])).toThrow(/past its end/);
      expect(() => st(bad['header-lies-length'])).toThrow(/header length/);
      expect(() => st(bad['unknown-dtype'])).toThrow(/dtype "F64"/);
      expect(() => parses(bad['bad-config-json'], 'config.json')()).toThrow();
      expect(() => parses(bad['bad-tokenizer'], 'tokenizer.json')()).toThrow();
      expect(parses(bad['unsupported-arch'], 'config.json')().architectures).toEqual(['GPT2LMHeadModel']);
      // these two parse but the model is wrong
      st(bad['shape-mismatch']);
      st(bad['missing-tensor']);
      await expect(referenceLogits(bad['shape-mismatch'], [1, 2])).rejects.toThrow(/q_proj.weight has shape \[32,128\], expected \[64,64\]/);
      await expect(referenceLogits(bad['missing-tensor'], [1, 2])).rejects.toThrow(/missing tensor model.layers.1.mlp.down_proj.weight/);
      // everything else is untouched
      for (const c of BAD_CASES) {
        for (const f of readdirSync(dirs[good])) {
          const changed = readFileSync(join(bad[c], f)).compare(readFileSync(join(dirs[good], f))) !== 0;
          if (changed) expect(['config.json', 'tokenizer.json', 'model.safetensors.index.json'].includes(f) || f.endsWith('.safetensors'), `${c}/${f}`).toBe(true);
        }
        const nChanged = readdirSync(dirs[good]).filter((f) => readFileSync(join(bad[c], f)).compare(readFileSync(join(dirs[good], f))) !== 0).length;
        expect(nChanged, c).toBe(c === 'missing-tensor' && good === 'llama-sharded' ? 2 : 1);
      }
    });
  }
});
