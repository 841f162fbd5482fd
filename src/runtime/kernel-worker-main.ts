/**
 * A kernel worker's whole life, shared by the Web Worker entry (worker/kernel.worker.ts)
 * and the Node worker_threads one (node-worker.ts): instantiate the module over the shared
 * memory, take its own C stack, say 'ready', then park in the C job loop until the pool
 * stops it. A trap in a job aborts the pool from here (lt_thr_abort, through shared
 * memory), so thread 0 never waits on a dead worker, then reports 'failed'.
 */
import type { KernelWorkerInit, KernelWorkerMessage } from './pool.ts';

export async function runKernelWorker(init: KernelWorkerInit, post: (m: KernelWorkerMessage) => void): Promise<void> {
  let exports: Record<string, WebAssembly.ExportValue>;
  try {
    const instance = await WebAssembly.instantiate(init.module, { env: { memory: init.memory } });
    exports = instance.exports;
    (exports.__stack_pointer as WebAssembly.Global).value = (init.stackBase + init.stackBytes) & ~15;
  } catch (e) {
    post({ type: 'failed', message: `instantiating the kernels: ${(e as Error).message ?? String(e)}` });
    return;
  }
  post({ type: 'ready' });
  try {
    (exports.lt_thr_worker as (ctl: number, tid: number, startGen: number) => void)(init.ctl, init.tid, 0);
    post({ type: 'stopped' });
  } catch (e) {
    try {
      (exports.lt_thr_abort as (ctl: number) => void)(init.ctl);
    } catch {
      // nothing more can be done from here
    }
    post({ type: 'failed', message: (e as Error).message ?? String(e) });
  }
}
