import { defineConfig } from 'vite';

// The app is plain React without JSX transforms beyond esbuild's; no plugin needed.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
  optimizeDeps: { exclude: ['@huggingface/transformers'] },
});
