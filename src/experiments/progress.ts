// How a run reports itself and is steered: its events, labelled by the run they belong to, and the hooks.
import type { ExperimentMethod } from './config';
import type { ResultRow } from './tables';
import { type Adapter } from '../adapters/types';
import { type SignatureSet } from './signatures';
import type { RunCheckpoint } from './checkpoint';

/**
 * Which training run an event belongs to: Table 1's, or one of Table 2's (the method trained on everything
 * when Table 1's run cannot stand in, without one zone, or without a held-out share of every zone's profiles).
 * The views build their labels from these fields (progress.ts runLabel).
 */
export interface RunOf {
  /** absent: Table 1 */
  table?: 1 | 2;
  /** Table 2's run: trained on everything, without `zone`, or without a share of every zone's profiles (E.2) */
  run?: 'full' | 'zone' | 'profiles';
  zone?: string;
}

/** "cuma", "cuma (without Confucian)", "cuma (held-out profiles)", "cuma (full, Table 2)": how the views name a run. */
export function runLabel(p: { method: string } & RunOf): string {
  if (p.table !== 2) return p.method;
  if (p.run === 'zone') return `${p.method} (without ${p.zone})`;
  if (p.run === 'profiles') return `${p.method} (held-out profiles)`;
  return `${p.method} (full, Table 2)`;
}

/** One event of a run; `method` is an ExperimentMethod id. */
export type Progress = { method: string } & RunOf &
  (
    | { phase: 'prepare' | 'evaluate' | 'done' }
    /** a resumed run: its first `step` steps came from a checkpoint */
    | { phase: 'resume'; step: number; steps: number }
    /** ms: the step's wall time, for the time left */
    | { phase: 'train'; step: number; steps: number; loss: number; gradNorm: number; lr: number; ms?: number }
    /** a loss spike or an exploding gradient at this step (train/divergence.ts); lrScale: the learning rate's factor from here on */
    | { phase: 'warning'; step: number; text: string; lrScale: number }
    /** accuracy and EMD to the ground truth on a fixed probe of test answers, during training */
    | { phase: 'metrics'; step: number; acc: number; emd: number }
    /** per-country signatures (CUMA's gates, Zhyper's z) as trained so far */
    | { phase: 'signatures'; step: number; set: SignatureSet }
    /** a method's finished row */
    | { phase: 'result'; row: ResultRow }
  );

/** How a caller (the CLI, the browser worker) follows and steers a run. */
export interface RunHooks {
  onProgress?: (p: Progress) => void;
  /** polled between optimizer steps: true ends the run; the methods finished so far are returned */
  shouldStop?: () => boolean;
  /** awaited between optimizer steps (resolves at once unless the user paused) */
  whilePaused?: () => Promise<void>;
  /** emit probe metrics every n steps (0: never during training) */
  metricsEvery?: number;
  /** emit signatures every n steps (0: only after training) */
  signaturesEvery?: number;
  /** test answers in the metrics probe (default 32) */
  probeSize?: number;
  /** each Table 1 adapter once trained (A, B read back from the GPU): the browser keeps them */
  onTrained?: (method: ExperimentMethod, adapter: Adapter) => void | Promise<void>;
  /** save a checkpoint every n optimizer steps (and after every finished run) through onCheckpoint (0: never) */
  checkpointEvery?: number;
  /** where checkpoints go (the CLI: a file; the app: IndexedDB); awaited, so a run never outpaces its saves */
  onCheckpoint?: (ck: RunCheckpoint) => void | Promise<void>;
  /** go on from this checkpoint: its finished runs are not trained again, its current run resumes at its step */
  resume?: RunCheckpoint;
}

