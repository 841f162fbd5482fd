import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Builds the consumer app into test/app/dist; 'lutra' resolves through the
// repository's package.json "exports" (the package's own name).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, target: 'es2022' },
  worker: { format: 'es' },
});
