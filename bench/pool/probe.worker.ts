/**
 * Bandwidth and barrier probes on a 2-thread KernelPool (thread 0 must be a worker: the
 * barrier sleeps in memory.atomic.wait, which the page's main thread may not do).
 *   bandwidth: LT_JOB_STREAM (the strong streaming-read kernel in wasm/src/lut/bench.c:
 *              8 accumulators, unrolled v128 loads) over a 256 MiB buffer, on 1 and 2 threads
 *   barrier:   lt_pool_barrier_bench: back-to-back barriers on both threads in one job
 */
import { compileKernels, createSharedMemory } from '../../src/wasm/module.ts';
import { KernelPool } from '../../src/runtime/pool.ts';
import type { SimdFlavor } from '../../src/wasm/flavor.ts';
import { median } from '../lib/page.ts';

type Fn = (...a: number[]) => number;

self.onmessage = async (e: MessageEvent<{ flavor: SimdFlavor; reps: number }>) => {
  const { flavor, reps } = e.data;
  try {
    const memory = createSharedMemory(300 << 20);
    const pool = await KernelPool.create({ module: await compileKernels(flavor), memory, threads: 2 });
    const ex = pool.kernels.exports as unknown as Record<string, Fn>;
    const bytes = 256 << 20;
    const buf = ex.lt_alloc(bytes, 64) >>> 0;
    ex.lt_lut_bench_fill(buf, bytes, 7);
    const stream = (threads: number) => {
      ex.lt_thr_set_threads(pool.ctl, threads);
      const args = new Uint32Array(memory.buffer, pool.ctl + 64, 2);
      args[0] = buf; args[1] = bytes;
      const t0 = performance.now();
      ex.lt_thr_run(pool.ctl, 3 /* LT_JOB_STREAM */, 0, 0, 1);
      return bytes / ((performance.now() - t0) / 1000) / 1e9;
    };
    const bandwidth: Record<number, number[]> = { 1: [], 2: [] };
    for (let r = 0; r < reps; r++) for (const t of [1, 2]) bandwidth[t].push(stream(t));
    ex.lt_thr_set_threads(pool.ctl, 2);
    pool.measureBarrier(10_000);
    const barrierNs: number[] = [];
    for (let r = 0; r < reps; r++) barrierNs.push(pool.measureBarrier(100_000));
    pool.dispose();
    postMessage({
      bandwidthGBs: { 1: median(bandwidth[1]), 2: median(bandwidth[2]) },
      bandwidthRuns: bandwidth,
      barrierNs: median(barrierNs),
      barrierRuns: barrierNs,
    });
  } catch (err) {
    postMessage({ error: String((err as Error).stack ?? err) });
  }
};
