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
  | 'bad-tokenizer';

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
];

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
  return out;
}
