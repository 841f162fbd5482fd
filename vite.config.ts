import { defineConfig } from 'vite';

/**
 * One Vite config for the demo page (demo/), the browser tests and the
 * benchmark pages (bench/). The root is the repository so every page can
 * import src/ and load wasm/dist/ as assets.
 *
 * COOP/COEP make the page cross-origin isolated: SharedArrayBuffer, and so the
 * worker pool, only exist there. Both the dev server and `vite preview` send them.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: '.',
  server: { headers: isolation, port: 5173, strictPort: false, open: false },
  preview: { headers: isolation, port: 4173 },
  worker: { format: 'es' },
  build: {
    outDir: 'dist-demo',
    // The kernels must stay separate .wasm files (they are compiled once and
    // shared by every worker), never inlined as base64.
    assetsInlineLimit: 0,
    target: 'es2022',
    rollupOptions: { input: { demo: 'demo/index.html' } },
  },
});
