// src/data: the synthetic culturally sparse world (ground truth, prompts, splits, Definition 2.1) and
// importers for real survey files (WorldValuesBench-style CSV/JSONL, GlobalOpinionQA).
export * from './zones';
export * from './iw-data';
export * from './questions';
export * from './ordinal';
export * from './demographics';
export * from './dataset';
export * from './world';
export * from './sparsity';
export * from './sft';
export * from './splits';
export * from './csv';
export * from './pyliteral';
export * from './import-common';
export * from './import-wvb';
export * from './import-goqa';
export { hashSeed, stream } from './rng';
