import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Multi-threaded onnxruntime-web (wasm) needs SharedArrayBuffer, which needs cross-origin isolation.
 * Both the dev server and `vite preview` (what `npm start` and the e2e tests use) send these headers.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  // Both ship their own wasm/worker files located through import.meta.url; pre-bundling breaks that.
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  build: { target: 'es2022', sourcemap: true },
});
