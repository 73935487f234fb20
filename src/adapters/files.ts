// Adapter files: safetensors holding every tensor of an Adapter (F32) plus three __metadata__ strings,
// format "adapter-atlas", version "1" and spec (the AdapterSpec as JSON). Anything read back is
// validated before use, since files come from users and other tools.

import { z } from 'zod';
import type { ModelConfig } from '../model/config';
import { parseSafetensors, SafetensorsError, tensorToF32, writeSafetensors, type WriteTensor } from '../model/safetensors';
import {
  TARGET_MODULE,
  TARGETS,
  targetShape,
  tensorName,
  type Adapter,
  type AdapterSpec,
  type BackboneDims,
  type Target,
  type Tensor,
} from './types';
import { zhyperTensorShapes } from './zhyper';

export const ADAPTER_FORMAT = 'adapter-atlas';
export const ADAPTER_VERSION = '1';

export class AdapterFileError extends Error {
  override name = 'AdapterFileError';
}

/** The adapter cannot run on this backbone. */
export class AdapterMismatchError extends Error {
  override name = 'AdapterMismatchError';
}

const posInt = z.number().int().positive();

const zhyperSpecSchema = z.object({
  variant: z.enum(['diag', 'square']),
  condDim: posInt,
  projDim: posInt,
  embDim: posInt,
  hidden: posInt,
  trunk: z.enum(['atlas', 'code']).optional(),
  condScale: z.enum(['raw', 'sqrt-d']).optional(),
});

const cumaSpecSchema = z
  .object({
    experts: posInt,
    topK: posInt,
    gating: z.enum(['eq4', 'double']),
    sharedA: z.boolean(),
    semanticOnly: z.boolean(),
    routerHidden: posInt,
    condDim: posInt,
  })
  .refine((c) => c.topK <= c.experts, { message: 'topK must not exceed the number of experts', path: ['topK'] });

export const adapterSpecSchema = z
  .object({
    method: z.enum(['lora', 'zhyper', 'cuma']),
    r: posInt,
    alpha: z.number().finite().positive(),
    rsLora: z.boolean(),
    targets: z
      .array(z.enum(TARGETS))
      .min(1)
      .refine((ts) => new Set(ts).size === ts.length, { message: 'targets must not repeat' }),
    zhyper: zhyperSpecSchema.optional(),
    cuma: cumaSpecSchema.optional(),
    encoderId: z.string().min(1).optional(),
    prompt: z.enum(['atlas', 'code']).optional(),
    backbone: z
      .object({ id: z.string(), configHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest') })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.method === 'zhyper' && !s.zhyper) ctx.addIssue({ code: 'custom', path: ['zhyper'], message: 'method "zhyper" needs a zhyper section' });
    if (s.method === 'cuma' && !s.cuma) ctx.addIssue({ code: 'custom', path: ['cuma'], message: 'method "cuma" needs a cuma section' });
  });

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(spec)'}: ${i.message}`)
    .join('; ');
}

/** Validate an unknown value as an AdapterSpec (throws AdapterFileError naming each bad field). */
export function parseAdapterSpec(raw: unknown): AdapterSpec {
  const r = adapterSpecSchema.safeParse(raw);
  if (!r.success) throw new AdapterFileError(`invalid adapter spec: ${describeIssues(r.error)}`);
  return r.data;
}

// ---------------------------------------------------------------------------------------------
// Shapes

export function dimsOf(c: ModelConfig): BackboneDims {
  return {
    numLayers: c.numLayers,
    hiddenSize: c.hiddenSize,
    intermediateSize: c.intermediateSize,
    qDim: c.numHeads * c.headDim,
    kvDim: c.numKVHeads * c.headDim,
  };
}

type DimKey = 'hiddenSize' | 'intermediateSize' | 'qDim' | 'kvDim';
const DIM_KEYS: DimKey[] = ['hiddenSize', 'intermediateSize', 'qDim', 'kvDim'];

// Which backbone dimension each target's [out, in] is, read off targetShape() itself (with
// distinct sentinel sizes) so it can never drift from types.ts.
const TARGET_AXES: Record<Target, [DimKey, DimKey]> = (() => {
  const probe: BackboneDims = { numLayers: 1, hiddenSize: 1, intermediateSize: 2, qDim: 3, kvDim: 4 };
  const out = {} as Record<Target, [DimKey, DimKey]>;
  for (const t of TARGETS) {
    const [n, k] = targetShape(t, probe);
    out[t] = [DIM_KEYS[n - 1], DIM_KEYS[k - 1]];
  }
  return out;
})();

const moduleName = (t: Target) => TARGET_MODULE[t].split('.').pop() as string;

/** Why one axis of a tensor has its size, for error messages. */
interface Axis {
  size: number;
  /** 'spec': set by the adapter spec; 'backbone': set by the backbone's dimensions */
  from: 'spec' | 'backbone';
  what: string;
}

interface ExpectedTensor {
  shape: number[];
  /** per-axis reasons; absent for hyper.* tensors, whose shapes zhyper.ts gives without them */
  axes?: Axis[];
}

function expectedWithAxes(spec: AdapterSpec, dims: BackboneDims): Map<string, ExpectedTensor> {
  const m = new Map<string, ExpectedTensor>();
  const r = spec.r;
  const rank: Axis = { size: r, from: 'spec', what: `rank r = ${r}` };
  for (let l = 0; l < dims.numLayers; l++) {
    for (const t of spec.targets) {
      const [N, K] = targetShape(t, dims);
      const mod = moduleName(t);
      const inAx: Axis = { size: K, from: 'backbone', what: `${mod} takes ${K} inputs` };
      const outAx: Axis = { size: N, from: 'backbone', what: `${mod} gives ${N} outputs` };
      if (spec.method === 'cuma') {
        const c = spec.cuma!;
        const eA = c.sharedA ? 1 : c.experts;
        const eAx: Axis = { size: eA, from: 'spec', what: c.sharedA ? 'one shared A (sharedA)' : `${c.experts} experts, each with its own A` };
        const eBx: Axis = { size: c.experts, from: 'spec', what: `${c.experts} experts` };
        m.set(tensorName(l, t, 'A'), { shape: [eA, r, K], axes: [eAx, rank, inAx] });
        m.set(tensorName(l, t, 'B'), { shape: [c.experts, N, r], axes: [eBx, outAx, rank] });
      } else {
        m.set(tensorName(l, t, 'A'), { shape: [r, K], axes: [rank, inAx] });
        m.set(tensorName(l, t, 'B'), { shape: [N, r], axes: [outAx, rank] });
      }
    }
    if (spec.method === 'cuma') {
      const c = spec.cuma!;
      const H = dims.hiddenSize;
      const R: Axis = { size: c.routerHidden, from: 'spec', what: `router hidden width ${c.routerHidden}` };
      const E: Axis = { size: c.experts, from: 'spec', what: `${c.experts} experts` };
      const inW = H + (c.semanticOnly ? 0 : c.condDim);
      const inAx: Axis = {
        size: inW,
        from: 'backbone',
        what: c.semanticOnly
          ? `router reads the ${H}-wide hidden state (semantic-only)`
          : `router reads ${inW} numbers (hidden ${H} + condition ${c.condDim})`,
      };
      m.set(tensorName(l, 'router', 'W1'), { shape: [c.routerHidden, inW], axes: [R, inAx] });
      m.set(tensorName(l, 'router', 'b1'), { shape: [c.routerHidden], axes: [R] });
      m.set(tensorName(l, 'router', 'W2'), { shape: [c.experts, c.routerHidden], axes: [E, R] });
      m.set(tensorName(l, 'router', 'b2'), { shape: [c.experts], axes: [E] });
    }
  }
  return m;
}

/** Shapes of every non-hyper tensor an adapter with this spec has on a backbone with these dims. */
export function expectedAdapterShapes(spec: AdapterSpec, dims: BackboneDims): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, e] of expectedWithAxes(spec, dims)) out.set(name, e.shape);
  return out;
}

const fmt = (s: readonly number[]) => `[${s.map((d) => (Number.isNaN(d) ? '?' : d)).join(', ')}]`;

/**
 * The reason a tensor's actual shape differs from the expected one, or null if it fits.
 * Expected sizes that are NaN (unknown) are not checked.
 */
function shapeProblem(name: string, actual: readonly number[], e: ExpectedTensor, where: 'backbone' | 'file'): string | null {
  if (actual.length !== e.shape.length) {
    return `${name} is ${fmt(actual)} but should have ${e.shape.length} dimensions, ${fmt(e.shape)}`;
  }
  for (let i = 0; i < actual.length; i++) {
    const want = e.shape[i];
    if (Number.isNaN(want) || actual[i] === want) continue;
    const ax = e.axes?.[i];
    if (!ax) return `${name} is ${fmt(actual)} but should be ${fmt(e.shape)} for this adapter spec${where === 'backbone' ? ' and backbone' : ''}`;
    if (ax.from === 'spec') return `${name} is ${fmt(actual)} but the adapter spec says ${ax.what}`;
    return where === 'backbone'
      ? `${name} is ${fmt(actual)} but this backbone's ${ax.what}`
      : `${name} is ${fmt(actual)} but the file's other tensors say ${ax.what}`;
  }
  return null;
}

const LAYER_RE = /^layers\.(\d+)\.([a-z]+)\.([A-Za-z0-9]+)$/;

/** Number of layers an adapter covers (1 + the highest layer index in its tensor names). */
export function adapterNumLayers(a: Adapter): number {
  let n = 0;
  for (const name of a.tensors.keys()) {
    const m = LAYER_RE.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/**
 * Backbone dimensions implied by the adapter's own tensors. Dimensions no target exposes are NaN
 * (e.g. intermediateSize for a q/v adapter).
 */
function impliedDims(a: Adapter): BackboneDims {
  const d: BackboneDims = { numLayers: adapterNumLayers(a), hiddenSize: NaN, intermediateSize: NaN, qDim: NaN, kvDim: NaN };
  const cuma = a.spec.method === 'cuma';
  for (const t of a.spec.targets) {
    const [nKey, kKey] = TARGET_AXES[t];
    for (let l = 0; l < d.numLayers; l++) {
      const A = a.tensors.get(tensorName(l, t, 'A'));
      const B = a.tensors.get(tensorName(l, t, 'B'));
      const K = A?.shape[cuma ? 2 : 1];
      const N = B?.shape[cuma ? 1 : 0];
      if (Number.isNaN(d[kKey]) && Number.isInteger(K)) d[kKey] = K!;
      if (Number.isNaN(d[nKey]) && Number.isInteger(N)) d[nKey] = N!;
    }
  }
  return d;
}

interface Problems {
  missing: string[];
  shape: string[];
}

function collectProblems(a: Adapter, dims: BackboneDims, where: 'backbone' | 'file'): Problems {
  const p: Problems = { missing: [], shape: [] };
  const expected = expectedWithAxes(a.spec, dims);
  if (a.spec.method === 'zhyper') {
    for (const [name, shape] of zhyperTensorShapes(a.spec, dims)) expected.set(name, { shape });
    for (const name of a.tensors.keys()) {
      if (name.startsWith('hyper.') && !expected.has(name)) p.shape.push(`unexpected tensor ${name}: a Zhyper hypernetwork with this spec has no such tensor`);
    }
  }
  for (const [name, e] of expected) {
    const t = a.tensors.get(name);
    if (!t) {
      p.missing.push(name);
      continue;
    }
    const why = shapeProblem(name, t.shape, e, where);
    if (why) p.shape.push(why);
  }
  return p;
}

function firstProblem(p: Problems): string | null {
  const all = [...p.missing.map((n) => `tensor ${n} is missing`), ...p.shape];
  if (!all.length) return null;
  return all.length > 1 ? `${all[0]} (and ${all.length - 1} more problem${all.length > 2 ? 's' : ''})` : all[0];
}

/**
 * Check an adapter for internal consistency: spec valid, only known tensor names, every tensor the
 * spec implies present, and shapes that agree with the spec and with each other. Throws AdapterFileError.
 */
export function validateAdapter(a: Adapter): void {
  const spec = parseAdapterSpec(a.spec);
  const method = spec.method;
  for (const [name, t] of a.tensors) {
    const n = t.shape.reduce((x, y) => x * y, 1);
    if (t.data.length !== n) throw new AdapterFileError(`tensor ${name} has shape ${fmt(t.shape)} (${n} numbers) but holds ${t.data.length}`);
    if (name.startsWith('hyper.')) {
      if (method !== 'zhyper') throw new AdapterFileError(`tensor ${name} is a Zhyper hypernetwork tensor, but the adapter's method is "${method}"`);
      continue;
    }
    const m = LAYER_RE.exec(name);
    if (!m) throw new AdapterFileError(`unexpected tensor "${name}": adapter tensors are layers.{l}.{target}.{A|B}, layers.{l}.router.* or hyper.*`);
    const part = m[2];
    if (part === 'router') {
      if (method !== 'cuma') throw new AdapterFileError(`tensor ${name} is a CUMA router tensor, but the adapter's method is "${method}"`);
      if (!['W1', 'b1', 'W2', 'b2'].includes(m[3])) throw new AdapterFileError(`unexpected tensor "${name}": router tensors are W1, b1, W2, b2`);
    } else {
      if (!(TARGETS as readonly string[]).includes(part)) throw new AdapterFileError(`unexpected tensor "${name}": "${part}" is not a target (${TARGETS.join(', ')})`);
      if (!spec.targets.includes(part as Target)) {
        throw new AdapterFileError(`tensor ${name} adapts ${part}, which the spec's targets (${spec.targets.join(', ')}) do not list`);
      }
      if (m[3] !== 'A' && m[3] !== 'B') throw new AdapterFileError(`unexpected tensor "${name}": target tensors are A and B`);
    }
  }
  const dims = impliedDims(a);
  if (dims.numLayers === 0) throw new AdapterFileError('the adapter has no layers.* tensors');
  const p = collectProblems({ spec, tensors: a.tensors }, dims, 'file');
  const why = firstProblem(p);
  if (why) throw new AdapterFileError(why);
}

// ---------------------------------------------------------------------------------------------
// Files

export function saveAdapter(a: Adapter): Uint8Array {
  validateAdapter(a);
  const tensors: Record<string, WriteTensor> = {};
  for (const [name, t] of a.tensors) tensors[name] = { shape: t.shape, data: t.data, dtype: 'F32' };
  return writeSafetensors(tensors, { format: ADAPTER_FORMAT, version: ADAPTER_VERSION, spec: JSON.stringify(a.spec) });
}

export function loadAdapter(bytes: Uint8Array, file = 'adapter.safetensors'): Adapter {
  let f;
  try {
    f = parseSafetensors(bytes, file);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new AdapterFileError(`not an Adapter Atlas adapter file: ${e.message}`);
    throw e;
  }
  const meta = f.metadata;
  if (typeof meta !== 'object' || meta === null || meta.format !== ADAPTER_FORMAT) {
    const got = meta && typeof meta === 'object' && 'format' in meta ? ` (its format is ${JSON.stringify(meta.format)})` : ' (no "format" in its metadata)';
    throw new AdapterFileError(`${file} is a safetensors file but not an Adapter Atlas adapter${got}; PEFT adapters and model checkpoints cannot be loaded here`);
  }
  if (meta.version !== ADAPTER_VERSION) {
    throw new AdapterFileError(`${file} is adapter format version ${JSON.stringify(meta.version)}; this app reads version ${ADAPTER_VERSION}`);
  }
  if (typeof meta.spec !== 'string') throw new AdapterFileError(`${file} has no adapter spec in its metadata`);
  let raw: unknown;
  try {
    raw = JSON.parse(meta.spec);
  } catch (e) {
    throw new AdapterFileError(`${file}: the adapter spec is not valid JSON (${(e as Error).message})`);
  }
  let spec: AdapterSpec;
  try {
    spec = parseAdapterSpec(raw);
  } catch (e) {
    throw new AdapterFileError(`${file}: ${(e as Error).message}`);
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of f.tensors) {
    try {
      tensors.set(name, { shape: [...info.shape], data: tensorToF32(f, info) });
    } catch (e) {
      throw new AdapterFileError(`${file}: ${(e as Error).message}`);
    }
  }
  const a: Adapter = { spec, tensors };
  try {
    validateAdapter(a);
  } catch (e) {
    throw new AdapterFileError(`${file}: ${(e as Error).message}`);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Backbone identity

/** SHA-256 (hex) of the config fields that decide tensor shapes; two backbones with equal hashes take the same adapters. */
export async function backboneHash(c: ModelConfig): Promise<string> {
  // fixed key order: the hash must not depend on how the config object was built
  const canonical = JSON.stringify([
    ['architecture', c.architecture],
    ['numLayers', c.numLayers],
    ['hiddenSize', c.hiddenSize],
    ['intermediateSize', c.intermediateSize],
    ['numHeads', c.numHeads],
    ['numKVHeads', c.numKVHeads],
    ['headDim', c.headDim],
    ['vocabSize', c.vocabSize],
  ]);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function describeBackbone(c: ModelConfig, hash: string, id?: string): string {
  const shape = `${c.architecture}, ${c.numLayers} layers, hidden ${c.hiddenSize}`;
  return `${id ? `"${id}" (${shape}` : `the loaded backbone (${shape}`}, config ${hash.slice(0, 12)})`;
}

/**
 * Throws AdapterMismatchError with a user-facing reason when the adapter was made for another
 * backbone or any of its tensors does not fit this one. backboneId only names this backbone in messages.
 */
export function checkAdapterFits(a: Adapter, c: ModelConfig, configHash: string, backboneId?: string): void {
  const dims = dimsOf(c);
  const layers = adapterNumLayers(a);
  const problems: string[] = [];
  if (layers !== c.numLayers) problems.push(`the adapter has ${layers} layers but this backbone has ${c.numLayers}`);
  const why = firstProblem(collectProblems(a, dims, 'backbone'));
  if (why) problems.push(why);

  const b = a.spec.backbone;
  if (b && b.configHash !== configHash) {
    const made = `"${b.id}" (config ${b.configHash.slice(0, 12)})`;
    const detail = problems.length ? `: ${problems[0]}` : '; the tensor shapes happen to fit, but the configs differ (vocabulary or architecture)';
    throw new AdapterMismatchError(`This adapter was made for ${made}, not for ${describeBackbone(c, configHash, backboneId)}${detail}`);
  }
  if (problems.length) throw new AdapterMismatchError(`This adapter does not fit ${describeBackbone(c, configHash, backboneId)}: ${problems[0]}`);
}
