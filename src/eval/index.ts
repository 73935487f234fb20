// The papers' evaluation metrics (Zhyper, CUMA): small pure functions, no GPU, no I/O.
export { accuracy, macroF1, perClassF1, type ClassF1 } from './classification';
export { emd, emdOfAnswers, answerHistogram, entropy, normalizedEntropy, meanEntropy } from './distribution';
export { distinct2, whitespaceTokens } from './text';
export {
  routingOverlap,
  routingOverlapPerQuery,
  topKIndices,
  routingSignature,
  meanSignature,
  type GateRows,
  type Gates,
  type RoutingSignature,
} from './routing';
export { silhouette, silhouetteSamples } from './cluster';
export { trainableShare } from './params';
export type { Vec } from './validate';
export { bootstrapIntervals, type BootstrapOptions } from './bootstrap';
