import { defineConfig } from 'vite';
import { encoderAssets } from './src/condition/vite-plugin';

// The app is plain React without JSX transforms beyond esbuild's; the one plugin serves the default
// sentence encoder's files from node_modules (src/condition/vite-plugin.ts).
export default defineConfig({
  plugins: [encoderAssets()],
  esbuild: { jsx: 'automatic' },
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
  optimizeDeps: { exclude: ['@huggingface/transformers'] },
});
