/**
 * Kernel workers on Node's worker_threads, for tests and benchmarks: the same protocol
 * and the same C job loop as the browser's kernel.worker.ts. The worker's code is a small
 * CommonJS string (no TypeScript loader needed in the worker); it mirrors
 * runKernelWorker in kernel-worker-main.ts.
 */
import { Worker } from 'node:worker_threads';
import type { KernelWorkerHandle, KernelWorkerInit, KernelWorkerMessage, SpawnKernelWorker } from './pool.ts';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', async (init) => {
  let ex;
  try {
    const inst = await WebAssembly.instantiate(init.module, { env: { memory: init.memory } });
    ex = inst.exports;
    ex.__stack_pointer.value = (init.stackBase + init.stackBytes) & ~15;
  } catch (e) {
    parentPort.postMessage({ type: 'failed', message: 'instantiating the kernels: ' + (e && e.message) });
    return;
  }
  parentPort.postMessage({ type: 'ready' });
  try {
    ex.lt_thr_worker(init.ctl, init.tid, 0);
    parentPort.postMessage({ type: 'stopped' });
  } catch (e) {
    try { ex.lt_thr_abort(init.ctl); } catch {}
    parentPort.postMessage({ type: 'failed', message: String(e && e.message || e) });
  }
});
`;

export const nodeKernelWorker: SpawnKernelWorker = (tid) => {
  const worker = new Worker(SOURCE, { eval: true, name: `lutra-kernel-${tid}` });
  worker.unref();
  const handle: KernelWorkerHandle = {
    postMessage: (m: KernelWorkerInit) => worker.postMessage(m),
    onMessage: (f) => worker.on('message', (m: KernelWorkerMessage) => f(m)),
    onError: (f) => worker.on('error', (e: Error) => f(e.message)),
    terminate: () => void worker.terminate(),
  };
  return handle;
};
