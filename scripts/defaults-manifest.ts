// What the app reads to offer the shipped default adapters (public/adapters/manifest.json).
import type { ExperimentMethod } from '../src/experiments/runner';

/** What the app reads to offer the defaults (public/adapters/manifest.json). */
export interface DefaultsManifest {
  model: string;
  encoder: string;
  seed: number;
  steps: number;
  batchSize?: number;
  world: string;
  /** how the adapters were trained: profile text in the prompt or not, centred conditions (folded) or not */
  training?: { personaInPrompt: boolean; centredConditions: boolean; chat: boolean; lr: number; recipe?: string; zhyperTrunk?: string };
  adapters: { method: ExperimentMethod; file: string; label: string; acc: number; /** per-answer EMD to P* (emdCalibration) */ emd: number; emdWvb?: number; entropy: number; silhouette: number | null }[];
}

