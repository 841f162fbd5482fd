/**
 * Builds lutra's distributions. The script tag, into dist/lutra/:
 *   lutra.js          the page script (IIFE): <lutra-chat> + window.lutra
 *   lutra.worker.js   the engine worker (ES module) with its chunks
 *   *.wasm            the kernels, as separate files (never inlined)
 * The worker is an ordinary ES build (so its wasm stays a file, with URLs
 * relative to the worker), the page script a library-mode IIFE. Then the ES
 * module library into dist/esm/ and the declarations into dist/types/.
 */
import { build, type Rollup } from 'vite';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type RollupOptions = Rollup.RollupOptions;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'lutra');

/**
 * An ordinary (not library-mode) ES build: module workers stay separate files
 * and the wasm stays files (never inlined), with URLs relative to the chunks.
 */
function moduleBuild(outDir: string, rollupOptions: RollupOptions) {
  return build({
    root,
    configFile: false,
    base: './',
    logLevel: 'warn',
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, assetsInlineLimit: 0, target: 'es2022', modulePreload: false, rollupOptions },
  });
}

await moduleBuild(outDir, {
  input: path.join(root, 'worker', 'engine.worker.ts'),
  output: { format: 'es', entryFileNames: 'lutra.worker.js', chunkFileNames: '[name]-[hash].js', assetFileNames: '[name][extname]' },
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
// The ES module library (package "exports"): src/index.ts for browsers and
// bundlers, src/node.ts for Node.
await moduleBuild(path.join(root, 'dist', 'esm'), {
  input: { index: path.join(root, 'src', 'index.ts'), node: path.join(root, 'src', 'node.ts') },
  preserveEntrySignatures: 'strict',
  external: [/^node:/, 'comlink', '@huggingface/jinja'],
  output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name][extname]' },
});

// Type declarations for both entries.
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
console.log('built dist/lutra/ (script tag), dist/esm/ (ES modules), dist/types/');
