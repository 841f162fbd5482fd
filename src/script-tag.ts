/**
 * The one-file script-tag build (dist/lutra/lutra.js, an IIFE):
 *
 *   <script src="/lutra/lutra.js"></script>
 *   <lutra-chat model="/models/stories260K.gguf"></lutra-chat>
 *
 * It registers <lutra-chat> and exposes the library as `window.lutra`. The
 * engine worker (lutra.worker.js) and the wasm modules are separate files next
 * to this script, loaded from same-origin URLs: no eval, no blob: workers, so a
 * strict Content-Security-Policy works (script-src 'self' 'wasm-unsafe-eval').
 */
import { WorkerEngine } from './client/worker-engine.ts';
import { defineLutraChat } from './element/lutra-chat.ts';
import * as errors from './errors.ts';
import { huggingFaceUrl } from './huggingface.ts';

const scriptUrl = (document.currentScript as HTMLScriptElement | null)?.src ?? document.baseURI;
const workerUrl = new URL('lutra.worker.js', scriptUrl);

function createEngine(): WorkerEngine {
  return new WorkerEngine(new Worker(workerUrl, { type: 'module', name: 'lutra-engine' }));
}

defineLutraChat(createEngine);

const lutra = { createEngine, huggingFaceUrl, ...errors };
(globalThis as unknown as { lutra: typeof lutra }).lutra = lutra;
