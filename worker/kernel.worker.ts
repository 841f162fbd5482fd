/**
 * A kernel worker of the pool (src/runtime/pool.ts): one message starts it, then it runs
 * lt_thr_worker, the C job loop, until the pool stops it. It never returns to its event
 * loop while the pool lives: that is the point.
 */
import { runKernelWorker } from '../src/runtime/kernel-worker-main.ts';
import type { KernelWorkerInit } from '../src/runtime/pool.ts';

self.addEventListener('message', (e: MessageEvent<KernelWorkerInit>) => {
  void runKernelWorker(e.data, (m) => self.postMessage(m));
}, { once: true });
