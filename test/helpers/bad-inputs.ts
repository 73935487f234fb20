// Broken copies of a good model folder, one folder per way a download or a repo can be wrong.
//
//   const bad = makeBadInputs(dirs.llama, join(tmp, 'bad'));  // {truncated: '/tmp/.../bad/truncated', ...}
//
// Every case copies all files of the good folder and then breaks exactly one thing. Only the raw
// safetensors layout is used here (u64 LE header length, JSON header, data), not src/'s parser, so a
// bug in the parser cannot hide in the fixtures.
import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type BadCase =
  | 'truncated'
  | 'header-lies-offsets'
  | 'header-lies-length'
  | 'unknown-dtype'
  | 'shape-mismatch'
  | 'missing-tensor'
  | 'bad-config-json'
  | 'unsupported-arch'
  | 'bad-tokenizer'
  | 'metadata-not-string'
  | 'tensor-entry-null'
  | 'overlapping-tensors'
  | 'nan-weight'
  | 'inf-weight'
  | 'bf16-nan-weight'
  | 'f16-past-range'
  | 'config-eps-null'
  | 'config-eps-string'
  | 'config-eps-negative'
  | 'config-theta-null'
  | 'config-theta-zero'
  | 'config-hidden-null'
  | 'config-layers-fraction'
  | 'config-heads-negative'
  | 'config-vocab-string'
  | 'config-eos-string'
  | 'config-eos-past-vocab'
  | 'config-bos-negative'
  | 'config-tie-string'
  | 'config-max-pos-null';

export const BAD_CASES: BadCase[] = [
  'truncated',
  'header-lies-offsets',
  'header-lies-length',
  'unknown-dtype',
  'shape-mismatch',
  'missing-tensor',
  'bad-config-json',
  'unsupported-arch',
  'bad-tokenizer',
  'metadata-not-string',
  'tensor-entry-null',
  'overlapping-tensors',
  'nan-weight',
  'inf-weight',
  'bf16-nan-weight',
  'f16-past-range',
  'config-eps-null',
  'config-eps-string',
  'config-eps-negative',
  'config-theta-null',
  'config-theta-zero',
  'config-hidden-null',
  'config-layers-fraction',
  'config-heads-negative',
  'config-vocab-string',
  'config-eos-string',
  'config-eos-past-vocab',
  'config-bos-negative',
  'config-tie-string',
  'config-max-pos-null',
];

/** config.json fields set to a lie (the key is present, so no default may stand in for it) */
export const CONFIG_LIES: Partial<Record<BadCase, Record<string, unknown>>> = {
  'config-eps-null': { rms_norm_eps: null },
  'config-eps-string': { rms_norm_eps: '1e-5' },
  'config-eps-negative': { rms_norm_eps: -1e-5 },
  'config-theta-null': { rope_theta: null },
  'config-theta-zero': { rope_theta: 0 },
  'config-hidden-null': { hidden_size: null },
  'config-layers-fraction': { num_hidden_layers: 1.5 },
  'config-heads-negative': { num_attention_heads: -4 },
  'config-vocab-string': { vocab_size: '256' },
  'config-eos-string': { eos_token_id: 'end' },
  'config-eos-past-vocab': { eos_token_id: [2, 1000000] },
  'config-bos-negative': { bos_token_id: -1 },
  'config-tie-string': { tie_word_embeddings: 'false' },
  'config-max-pos-null': { max_position_embeddings: null },
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
type Header = Record<string, HeaderEntry | Record<string, string>>;

interface RawFile {
  header: Header;
  /** the data section (everything after the header) */
  data: Uint8Array;
}

function readRaw(path: string): RawFile {
  const bytes = new Uint8Array(readFileSync(path));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Header;
  return { header, data: bytes.subarray(8 + n) };
}

function encodeRaw(header: Header, data: Uint8Array): Uint8Array {
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const hdr = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hdr.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hdr.length), true);
  out.set(hdr, 8);
  out.set(data, 8 + hdr.length);
  return out;
}

const tensorNames = (h: Header) => Object.keys(h).filter((k) => k !== '__metadata__');
const entry = (h: Header, name: string) => h[name] as HeaderEntry;
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** The safetensors file holding `tensor` (or the only file when the folder is not sharded). */
function fileOf(dir: string, tensor?: string): string {
  const index = join(dir, 'model.safetensors.index.json');
  if (!existsSync(index)) return 'model.safetensors';
  const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
  return tensor ? map[tensor] : Object.values(map)[0];
}

/**
 * Write one broken copy of `goodDir` per case under `outRoot/<case>`; returns {case: folder}.
 * Cases: truncated (file cut in the middle of the data), header-lies-offsets (a tensor's data_offsets run
 * past the end of the file), header-lies-length (the 8-byte header length exceeds the file), unknown-dtype
 * (a tensor marked F64 with a shape that still matches its bytes), shape-mismatch (layer 0 q_proj with its
 * rows halved and columns doubled: same bytes, wrong shape), missing-tensor (the last layer's
 * mlp.down_proj.weight removed, data and header), bad-config-json (config.json cut mid-object),
 * unsupported-arch (GPT2LMHeadModel / gpt2), bad-tokenizer (tokenizer.json not JSON).
 */
export function makeBadInputs(goodDir: string, outRoot: string): Record<string, string> {
  const out: Record<string, string> = {};
  const fresh = (name: BadCase) => {
    const dir = join(outRoot, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(outRoot, { recursive: true });
    cpSync(goodDir, dir, { recursive: true });
    out[name] = dir;
    return dir;
  };
  const config = JSON.parse(readFileSync(join(goodDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const layers = Number(config.num_hidden_layers);

  {
    // truncated: cut halfway through the data section (the header still promises all of it)
    const dir = fresh('truncated');
    const f = fileOf(dir);
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const raw = readRaw(join(dir, f));
    const dataStart = bytes.length - raw.data.length;
    writeFileSync(join(dir, f), bytes.subarray(0, dataStart + Math.floor(raw.data.length / 2)));
  }
  {
    // header-lies-offsets: the last tensor's [begin, end] moved past the end (its byte count unchanged)
    const dir = fresh('header-lies-offsets');
    const f = fileOf(dir);
    const raw = readRaw(join(dir, f));
    const names = tensorNames(raw.header);
    const last = entry(raw.header, names[names.length - 1]);
    const [b, e] = last.data_offsets;
    last.data_offsets = [b + raw.data.length, e + raw.data.length];
    writeFileSync(join(dir, f), encodeRaw(raw.header, raw.data));
  }
  {
    // header-lies-length: the u64 header length is larger than the whole file
    const dir = fresh('header-lies-length');
    const f = fileOf(dir);
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(0, BigInt(bytes.length + 1000), true);
    writeFileSync(join(dir, f), bytes);
  }
  {
    // unknown-dtype: model.norm.weight relabelled F64, last dim shrunk so the byte count still matches
    const dir = fresh('unknown-dtype');
    const name = 'model.norm.weight';
    const f = fileOf(dir, name);
    const raw = readRaw(join(dir, f));
    const t = entry(raw.header, name);
    const ratio = 8 / BYTES[t.dtype];
    const lastDim = t.shape[t.shape.length - 1];
    if (lastDim % ratio) throw new Error(`makeBadInputs: ${name} last dim ${lastDim} not divisible by ${ratio}`);
    t.dtype = 'F64';
    t.shape = [...t.shape.slice(0, -1), lastDim / ratio];
    writeFileSync(join(dir, f), encodeRaw(raw.header, raw.data));
  }
  {
    // shape-mismatch: layer 0 q_proj [out, in] → [out/2, 2*in]; bytes consistent, shape wrong
    const dir = fresh('shape-mismatch');
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const f = fileOf(dir, name);
    const raw = readRaw(join(dir, f));
    const t = entry(raw.header, name);
    const [o, i] = t.shape;
    if (o % 2) throw new Error(`makeBadInputs: ${name} has an odd number of rows`);
    t.shape = [o / 2, i * 2];
    writeFileSync(join(dir, f), encodeRaw(raw.header, raw.data));
  }
  {
    // missing-tensor: the last layer's down_proj removed from the file (and from the index if sharded)
    const dir = fresh('missing-tensor');
    const name = `model.layers.${layers - 1}.mlp.down_proj.weight`;
    const f = fileOf(dir, name);
    const raw = readRaw(join(dir, f));
    if (!(name in raw.header)) throw new Error(`makeBadInputs: ${name} not in ${f}`);
    const header: Header = {};
    const parts: Uint8Array[] = [];
    let off = 0;
    for (const [k, v] of Object.entries(raw.header)) {
      if (k === name) continue;
      if (k === '__metadata__') {
        header[k] = v;
        continue;
      }
      const t = v as HeaderEntry;
      const bytes = raw.data.subarray(t.data_offsets[0], t.data_offsets[1]);
      header[k] = { ...t, data_offsets: [off, off + bytes.length] };
      parts.push(bytes);
      off += bytes.length;
    }
    const data = new Uint8Array(off);
    let p = 0;
    for (const b of parts) {
      data.set(b, p);
      p += b.length;
    }
    writeFileSync(join(dir, f), encodeRaw(header, data));
    const indexPath = join(dir, 'model.safetensors.index.json');
    if (existsSync(indexPath)) {
      const index = JSON.parse(readFileSync(indexPath, 'utf8'));
      delete index.weight_map[name];
      writeFileSync(indexPath, JSON.stringify(index, null, 2) + '\n');
    }
  }
  {
    // bad-config-json: cut in the middle of the object
    const dir = fresh('bad-config-json');
    const text = readFileSync(join(dir, 'config.json'), 'utf8');
    writeFileSync(join(dir, 'config.json'), text.slice(0, Math.floor(text.length / 2)));
  }
  {
    const dir = fresh('unsupported-arch');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }, null, 2) + '\n');
  }
  {
    const dir = fresh('bad-tokenizer');
    const text = readFileSync(join(dir, 'tokenizer.json'), 'utf8');
    writeFileSync(join(dir, 'tokenizer.json'), '<!DOCTYPE html>\n<html><body>404</body></html>\n' + text.slice(0, 100));
  }
  for (const [name, lie] of Object.entries(CONFIG_LIES) as [BadCase, Record<string, unknown>][]) {
    const dir = fresh(name);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...lie }, null, 2) + '\n');
  }
  {
    // metadata-not-string: __metadata__ with a number and a nested object (the format allows only strings)
    const dir = fresh('metadata-not-string');
    const f = fileOf(dir);
    const raw = readRaw(join(dir, f));
    writeFileSync(join(dir, f), encodeRaw({ ...raw.header, __metadata__: { format: 'pt', step: 1200, extra: { a: 1 } } as unknown as Record<string, string> }, raw.data));
  }
  {
    // tensor-entry-null: one tensor's header entry is null
    const dir = fresh('tensor-entry-null');
    const f = fileOf(dir);
    const raw = readRaw(join(dir, f));
    writeFileSync(join(dir, f), encodeRaw({ ...raw.header, 'model.extra.weight': null as unknown as HeaderEntry }, raw.data));
  }
  {
    // overlapping-tensors: the second tensor's offsets point at the first one's bytes (same length)
    const dir = fresh('overlapping-tensors');
    const f = fileOf(dir);
    const raw = readRaw(join(dir, f));
    const names = tensorNames(raw.header).sort((a, b) => entry(raw.header, a).data_offsets[0] - entry(raw.header, b).data_offsets[0]);
    const [a, b] = names.map((n) => entry(raw.header, n)).filter((t, _, all) => t.data_offsets[1] - t.data_offsets[0] === all[0].data_offsets[1] - all[0].data_offsets[0]);
    if (!a || !b) throw new Error('makeBadInputs: no two tensors of the same size to overlap');
    b.data_offsets = [...a.data_offsets];
    writeFileSync(join(dir, f), encodeRaw(raw.header, raw.data));
  }
  /** rewrite one element of a tensor's raw bytes */
  const poke = (name: BadCase, tensor: string, index: number, write: (dv: DataView, at: number, dtype: string) => void, dtype?: 'BF16') => {
    const dir = fresh(name);
    const f = fileOf(dir, tensor);
    const raw = readRaw(join(dir, f));
    let header = raw.header, data = new Uint8Array(raw.data);
    if (dtype === 'BF16') {
      // the whole file as BF16 (the upper halves of the f32 bits), as many hub checkpoints are
      header = {};
      const parts: Uint8Array[] = [];
      let off = 0;
      for (const [k, v] of Object.entries(raw.header)) {
        if (k === '__metadata__') continue;
        const t = v as HeaderEntry;
        const src = new DataView(raw.data.buffer, raw.data.byteOffset + t.data_offsets[0], t.data_offsets[1] - t.data_offsets[0]);
        const n = src.byteLength / 4;
        const b = new Uint8Array(n * 2);
        const dv = new DataView(b.buffer);
        for (let i = 0; i < n; i++) dv.setUint16(i * 2, src.getUint32(i * 4, true) >>> 16, true);
        header[k] = { dtype: 'BF16', shape: t.shape, data_offsets: [off, off + b.length] };
        parts.push(b);
        off += b.length;
      }
      data = new Uint8Array(off);
      let p = 0;
      for (const b of parts) {
        data.set(b, p);
        p += b.length;
      }
    }
    const t = entry(header, tensor);
    write(new DataView(data.buffer), t.data_offsets[0] + index * BYTES[t.dtype], t.dtype);
    writeFileSync(join(dir, f), encodeRaw(header, data));
  };
  const last = `model.layers.${layers - 1}.`;
  poke('nan-weight', `${last}mlp.up_proj.weight`, 7, (dv, at) => dv.setFloat32(at, NaN, true));
  poke('inf-weight', 'model.layers.0.self_attn.k_proj.weight', 0, (dv, at) => dv.setFloat32(at, -Infinity, true));
  poke('bf16-nan-weight', 'model.embed_tokens.weight', 3, (dv, at) => dv.setUint16(at, 0x7fc1, true), 'BF16');
  poke('f16-past-range', `${last}self_attn.o_proj.weight`, 2, (dv, at) => dv.setFloat32(at, 1e5, true));
  return out;
}
