// What of the lab survives a reload (the scene and the choices; adapters and results do not: the worker is new),
// and how a stored scene is checked on the way back in.
import { type LabState } from './lab-state';
import type { PersistOptions } from 'zustand/middleware';
import { ENCODERS } from '../condition/encoder';
import { METHOD_LABEL } from '../adapters/session';
import { TARGETS } from '../adapters/types';
import { MAX_OPTIONS, MIN_OPTIONS, sanitizePersonas } from './scene';

export const labPersist: PersistOptions<LabState, Partial<LabState>> = {
  name: 'adapter-atlas-scene-v1',
  version: 1,
  // The scene and the choices survive a reload; adapters and results do not (the worker is new).
  partialize: (s) => ({
    personas: s.personas,
    question: s.question,
    options: s.options,
    genPrompt: s.genPrompt,
    mode: s.mode,
    encoderId: s.encoderId,
    preset: s.preset,
    seed: s.seed,
    rank: s.rank,
    targets: s.targets,
    blendA: s.blendA,
    blendB: s.blendB,
    alpha: s.alpha,
    routingLayer: s.routingLayer,
    settingsOpen: s.settingsOpen,
  }),
  merge: (persisted, current) => {
    const p = (persisted ?? {}) as Partial<LabState>;
    const personas = sanitizePersonas(p.personas);
    const options = Array.isArray(p.options) && p.options.length >= MIN_OPTIONS && p.options.length <= MAX_OPTIONS && p.options.every((o) => typeof o === 'string') ? p.options : null;
    return {
      ...current,
      ...(personas ? { personas } : {}),
      ...(typeof p.question === 'string' ? { question: p.question } : {}),
      ...(options ? { options } : {}),
      ...(typeof p.genPrompt === 'string' ? { genPrompt: p.genPrompt } : {}),
      ...(p.mode === 'adapter' || p.mode === 'prompt' ? { mode: p.mode } : {}),
      ...(typeof p.encoderId === 'string' && ENCODERS.some((e) => e.id === p.encoderId) ? { encoderId: p.encoderId } : {}),
      ...(typeof p.preset === 'string' && p.preset in METHOD_LABEL ? { preset: p.preset } : {}),
      ...(typeof p.seed === 'number' && Number.isFinite(p.seed) ? { seed: p.seed } : {}),
      ...(typeof p.rank === 'number' && Number.isInteger(p.rank) && p.rank >= 1 && p.rank <= 64 ? { rank: p.rank } : {}),
      ...(Array.isArray(p.targets) && p.targets.length && p.targets.every((t) => (TARGETS as readonly string[]).includes(t)) ? { targets: p.targets } : {}),
      ...(typeof p.blendA === 'string' ? { blendA: p.blendA } : {}),
      ...(typeof p.blendB === 'string' ? { blendB: p.blendB } : {}),
      ...(typeof p.alpha === 'number' && p.alpha >= 0 && p.alpha <= 1 ? { alpha: p.alpha } : {}),
      ...(typeof p.routingLayer === 'number' && p.routingLayer >= 0 ? { routingLayer: Math.round(p.routingLayer) } : {}),
      ...(typeof p.settingsOpen === 'boolean' ? { settingsOpen: p.settingsOpen } : {}),
    };
  },
};
