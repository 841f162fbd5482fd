/**
 * lutra as an ES module library.
 *
 *   import { createEngine } from 'lutra';
 *   const engine = createEngine();                  // runs in its own worker
 *   await engine.load({ url: '/models/stories260K.gguf' });
 *   for await (const chunk of engine.stream('Once upon a time')) out.append(chunk.text);
 *
 * Inside a worker, or in Node, `new LocalEngine()` runs the same interface in
 * the calling thread.
 */
import { WorkerEngine } from './client/worker-engine.ts';
import { startEngineWorker } from './client/default-worker.ts';
import { defineLutraChat } from './element/lutra-chat.ts';

export * from './api-common.ts';
export { WorkerEngine } from './client/worker-engine.ts';
export { LutraChatElement } from './element/lutra-chat.ts';

/** An engine in a dedicated worker: the page's main thread never blocks. */
export function createEngine(): WorkerEngine {
  return new WorkerEngine(startEngineWorker());
}

/** Registers <lutra-chat> (each element gets its own engine worker). */
export function registerElements(tagName = 'lutra-chat'): void {
  defineLutraChat(createEngine, tagName);
}
