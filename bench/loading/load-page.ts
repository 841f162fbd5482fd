/** The load benchmark's page: a WorkerEngine and a timed load(), driven by run.ts. */
import { WorkerEngine } from '../../src/client/worker-engine.ts';
import { startEngineWorker } from '../../src/client/default-worker.ts';
import type { LoadOptions } from '../../src/engine/types.ts';

const engine = new WorkerEngine(startEngineWorker());

async function timedLoad(url: string, options: LoadOptions) {
  const t0 = performance.now();
  const report = await engine.load({ url }, options);
  const ms = performance.now() - t0;
  const text = (await engine.generate('Once upon a time', { maxTokens: 1, temperature: 0 })).completionTokens;
  return { ms, report, generated: text };
}

Object.assign(window, { bench: { engine, timedLoad } });
document.getElementById('ready')!.textContent = 'ready';
