export * from './profile';
export * from './encoder';
export { createHubEncoder, poolingFor, POOLING_RULES, type Pooling, type PoolingRule, type HubEncoderOptions } from './hub';
export { pool, normalizeInPlace } from './pooling';
export { cosine, rankBySimilarity } from './similarity';
export { EmbeddingCache, withCache } from './cache';
