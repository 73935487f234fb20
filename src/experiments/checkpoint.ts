// A run's checkpoint: everything an interrupted experiment needs to go on and end exactly as an uninterrupted one.
//   done     every finished training run (Table 1 methods, Table 2's runs), with what the tables are built from
//   current  the run in progress at its last checkpoint: the step, the losses so far, the trainer's state
//            (trained tensors and AdamW moments, train/step.ts TrainerState)
// The batch order is not stored: it is a function of the seed and the step (the runner replays it).
// One file: the trainer's arrays as safetensors tensors, the rest as JSON in the header's metadata. The CLI
// writes it to OUT/checkpoint.safetensors, the app to IndexedDB.
import { parseSafetensors, tensorToF32, tensorToF64, writeSafetensors, SafetensorsError, type WriteTensor } from '../model/safetensors';
import type { TrainerState } from '../train/step';
import type { ExperimentConfig } from './config';
import type { SignatureSet } from './signatures';

export interface DoneRun {
  probs: number[][];
  losses: number[];
  trainable: number;
  signatures?: SignatureSet;
  /** training and evaluation seconds, over every session the run took */
  seconds: number;
}

export interface RunCheckpoint {
  version: 1;
  config: ExperimentConfig;
  /** the backbone it was trained on: a resume on another is refused */
  model: { label: string; numParams: number; weights: string };
  done: Record<string, DoneRun>;
  current: { key: string; step: number; losses: number[]; gradNorms: number[]; lrScale: number; seconds: number; trainer: TrainerState } | null;
  savedAt: string;
}

const META = 'atlas.run-checkpoint';

export function encodeCheckpoint(ck: RunCheckpoint): Uint8Array {
  const tensors: Record<string, WriteTensor> = {};
  const tr = ck.current?.trainer;
  tr?.gpu.forEach((a, i) => (tensors[`gpu.${i}`] = { shape: [a.length], data: a }));
  if (tr?.cpu) {
    for (const [name, p] of tr.cpu.params) tensors[`cpu.param.${name}`] = { shape: [p.length], data: p };
    for (const [name, m] of tr.cpu.m) tensors[`cpu.m.${name}`] = { shape: [m.length], data: m, dtype: 'F64' };
    for (const [name, v] of tr.cpu.v) tensors[`cpu.v.${name}`] = { shape: [v.length], data: v, dtype: 'F64' };
  }
  const json = { ...ck, current: ck.current && { ...ck.current, trainer: { step: ck.current.trainer.step, gpu: ck.current.trainer.gpu.length, cpu: !!ck.current.trainer.cpu } } };
  return writeSafetensors(tensors, { [META]: JSON.stringify(json) });
}

/** JSON writes NaN (a skipped step's loss or gradient norm) as null */
const nullToNaN = (xs: (number | null)[]) => xs.map((x) => (x === null ? NaN : x));

export function decodeCheckpoint(bytes: Uint8Array, file = 'checkpoint.safetensors'): RunCheckpoint {
  const f = parseSafetensors(bytes, file);
  const text = f.metadata[META];
  if (!text) throw new SafetensorsError(file, 'is not a run checkpoint (no atlas.run-checkpoint metadata)');
  let j: Omit<RunCheckpoint, 'current'> & { current: (Omit<NonNullable<RunCheckpoint['current']>, 'trainer'> & { trainer: { step: number; gpu: number; cpu: boolean } }) | null };
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(file, `its checkpoint metadata is not JSON (${(e as Error).message})`);
  }
  if (j.version !== 1 || !j.config || typeof j.done !== 'object') throw new SafetensorsError(file, `is a run checkpoint of an unknown version (${JSON.stringify(j.version)})`);
  for (const d of Object.values(j.done)) d.losses = nullToNaN(d.losses);
  let current: RunCheckpoint['current'] = null;
  if (j.current) {
    const t = (name: string) => {
      const info = f.tensors.get(name);
      if (!info) throw new SafetensorsError(file, `tensor "${name}" is missing from the checkpoint`);
      return info;
    };
    const gpu = Array.from({ length: j.current.trainer.gpu }, (_, i) => tensorToF32(f, t(`gpu.${i}`)));
    let cpu: TrainerState['cpu'] = null;
    if (j.current.trainer.cpu) {
      const names = [...f.tensors.keys()].filter((n) => n.startsWith('cpu.param.')).map((n) => n.slice('cpu.param.'.length));
      cpu = {
        params: new Map(names.map((n) => [n, tensorToF32(f, t(`cpu.param.${n}`))])),
        m: new Map(names.map((n) => [n, tensorToF64(f, t(`cpu.m.${n}`))])),
        v: new Map(names.map((n) => [n, tensorToF64(f, t(`cpu.v.${n}`))])),
      };
    }
    current = { ...j.current, losses: nullToNaN(j.current.losses), gradNorms: nullToNaN(j.current.gradNorms ?? []), lrScale: j.current.lrScale ?? 1, trainer: { step: j.current.trainer.step, gpu, cpu } };
  }
  return { ...j, current };
}

/** The key of one training run of an experiment (a Table 1 method, or one of Table 2's runs). */
export function runKey(method: string, run: { table: 1 | 2; run?: string; zone?: string }): string {
  return run.table === 1 ? `1:${method}` : `2:${run.run}:${method}${run.zone ? `:${run.zone}` : ''}`;
}
