/**
 * Starts the engine worker the way bundlers (Vite, webpack 5, Rollup with the
 * URL plugin) understand: a module worker from a URL relative to this file.
 */
export function startEngineWorker(): Worker {
  return new Worker(new URL('../../worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'lutra-engine' });
}
