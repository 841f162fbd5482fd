/**
 * Builds the script-tag distribution into dist/lutra/:
 *   lutra.js          the page script (IIFE): <lutra-chat> + window.lutra
 *   lutra.worker.js   the engine worker (ES module) with its chunks
 *   *.wasm            the kernels, as separate files (never inlined)
 * Two Vite builds: the worker as an ordinary ES build (so its wasm stays a
 * file, with URLs relative to the worker), the page script in library mode.
 */
import { build } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'lutra');

await build({
  root,
  configFile: false,
  base: './',
  logLevel: 'warn',
  worker: { format: 'es' },
  build: {
    outDir,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    modulePreload: false,
    rollupOptions: {
      input: path.join(root, 'worker', 'engine.worker.ts'),
      output: { format: 'es', entryFileNames: 'lutra.worker.js', chunkFileNames: '[name]-[hash].js', assetFileNames: '[name][extname]' },
    },
  },
});

await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: false,
    target: 'es2022',
    lib: { entry: path.join(root, 'src', 'script-tag.ts'), name: 'lutra', formats: ['iife'], fileName: () => 'lutra.js' },
  },
});
console.log(`built ${path.relative(root, outDir)}/`);
