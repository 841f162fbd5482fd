/**
 * The worker pool: N−1 kernel workers that run lutra's wasm kernels over the engine's
 * shared memory, with the engine worker as thread 0 (DESIGN.md §1).
 *
 *   thread 0 (this thread)   instantiates the module, allocates the job-loop control block
 *                            and one C stack per worker (lt_alloc), tells lt_forward to
 *                            use the pool, then calls lt_forward as before: one call per
 *                            token, which posts one job and joins it (wasm/src/model/forward.c)
 *   kernel worker t (1..N−1) gets {module, memory, ctl, tid, stack} in ONE postMessage,
 *                            instantiates, sets its stack, and parks in lt_thr_worker: a C
 *                            loop that spins, then sleeps in memory.atomic.wait32, on the
 *                            job generation. No postMessage on the hot path.
 *
 * Failure. A worker that fails to start rejects create() with a WorkerError. A worker
 * that dies later (an uncaught trap: the worker aborts the pool from inside; an `error`
 * event; or terminateWorker()) aborts the pool: lt_thr_abort wakes every waiter, the
 * forward pass in progress returns -LT_ERR_THREAD, `failure` holds the WorkerError, and
 * the owner disposes the pool (a new one is built on the next load).
 *
 * Workers are started by a `spawn` function so the same pool runs on Web Workers
 * (browserKernelWorker, worker/kernel.worker.ts) and on Node's worker_threads
 * (nodeKernelWorker in ./node-worker.ts).
 */
import { WorkerError } from '../errors.ts';
import { ptr } from '../wasm/exports.ts';
import { instantiateKernels, type KernelInstance } from '../wasm/module.ts';

/** The C side's limit on threads (LT_MAX_THREADS in wasm/src/model/model.h; LT_THR_MAX status slots). */
export const MAX_THREADS = 16;
/** Each kernel worker's C stack (the module is linked with a 1 MiB stack for thread 0). */
export const WORKER_STACK_BYTES = 1 << 20;
/**
 * Atomic loads a waiting thread spins before it sleeps. ~1–3 ns each in V8, so ~50–150 µs:
 * longer than any operator of a decode step on a small model (threads meet again before
 * they would sleep) and short enough that parked workers between tokens go to sleep soon.
 */
export const DEFAULT_SPIN = 50_000;

/** Messages between thread 0 and a kernel worker (worker/kernel.worker.ts). */
export interface KernelWorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: number;
  tid: number;
  stackBase: number;
  stackBytes: number;
}
export type KernelWorkerMessage =
  | { type: 'ready' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

/** The little of a Worker the pool needs, so Web Workers and worker_threads both fit. */
export interface KernelWorkerHandle {
  postMessage(message: KernelWorkerInit): void;
  onMessage(listener: (message: KernelWorkerMessage) => void): void;
  /** An error the worker did not catch, or a failure to start it at all. */
  onError(listener: (message: string) => void): void;
  terminate(): void;
}
export type SpawnKernelWorker = (tid: number) => KernelWorkerHandle;

/** Kernel workers as module Web Workers (from the engine worker: nested workers). */
export const browserKernelWorker: SpawnKernelWorker = (tid) => {
  const worker = new Worker(new URL('../../worker/kernel.worker.ts', import.meta.url), { type: 'module', name: `lutra-kernel-${tid}` });
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (f) => worker.addEventListener('message', (e) => f(e.data as KernelWorkerMessage)),
    onError: (f) => {
      worker.addEventListener('error', (e) => { e.preventDefault(); f(e.message || 'the kernel worker failed to load'); });
      worker.addEventListener('messageerror', () => f('a message to the kernel worker could not be deserialized'));
    },
    terminate: () => worker.terminate(),
  };
};

export interface ThreadChoice {
  threads: number;
  /** Why this many: shown on the demo's mode line and in EngineReport.threadNote. */
  note: string;
}

export interface ThreadEnvironment {
  /** crossOriginIsolated (SharedArrayBuffer can be posted to workers). */
  isolated: boolean;
  /** navigator.hardwareConcurrency (logical cores), if known. */
  hardwareConcurrency: number | undefined;
  /** Worker can be constructed here. */
  hasWorkers: boolean;
}

export function currentThreadEnvironment(): ThreadEnvironment {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number }; Worker?: unknown };
  return {
    isolated: g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
    hardwareConcurrency: g.navigator?.hardwareConcurrency,
    hasWorkers: typeof g.Worker === 'function',
  };
}

/**
 * The default is every logical core up to 4, and half of them above that (at least 4),
 * at most 8. Browsers report logical cores only: above 4 they are often SMT siblings or
 * efficiency cores, and a statically split forward pass waits for its slowest thread at
 * every barrier, so half is the safer guess; decode is bound by memory bandwidth, which
 * a few cores already use up on most desktops. `requested` overrides it, clamped to the
 * machine's logical cores and to MAX_THREADS.
 */
export function chooseThreadCount(requested: number | undefined, env: ThreadEnvironment = currentThreadEnvironment()): ThreadChoice {
  if (!env.hasWorkers) return { threads: 1, note: 'one thread: Web Workers are not available here' };
  if (!env.isolated) {
    return { threads: 1, note: 'one thread: the page is not cross-origin isolated (COOP/COEP headers missing), so SharedArrayBuffer is unavailable' };
  }
  const hwc = env.hardwareConcurrency && env.hardwareConcurrency > 0 ? Math.floor(env.hardwareConcurrency) : 1;
  if (requested !== undefined) {
    const n = Math.max(1, Math.min(Math.floor(requested), hwc, MAX_THREADS));
    if (n === requested) return { threads: n, note: `${n} thread${n > 1 ? 's' : ''}, as requested` };
    return { threads: n, note: `${n} thread${n > 1 ? 's' : ''}: ${requested} requested, clamped to the ${hwc} logical cores (at most ${MAX_THREADS})` };
  }
  const n = Math.min(8, hwc <= 4 ? hwc : Math.max(4, Math.floor(hwc / 2)));
  if (n === 1) return { threads: 1, note: 'one thread: the browser reports a single core' };
  return { threads: n, note: `${n} threads for ${hwc} logical cores (navigator.hardwareConcurrency)` };
}

interface PoolExports {
  lt_alloc(bytes: number, align: number): number;
  lt_thr_ctl_bytes(): number;
  lt_thr_init(ctl: number, nthreads: number, spin: number): void;
  lt_thr_stop(ctl: number): void;
  lt_thr_abort(ctl: number): void;
  lt_forward_use_pool(ctl: number): number;
  lt_pool_barrier_bench(ctl: number, rounds: number): number;
}

export interface KernelPoolOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Threads in all, thread 0 included (1 = no workers). */
  threads: number;
  spawn?: SpawnKernelWorker;
  spin?: number;
  /** How long a worker may take to start before create() gives up (ms). */
  startTimeoutMs?: number;
}

export class KernelPool {
  /** Thread 0's instance: hand it to loadLlamaModel as `kernels`. */
  readonly kernels: KernelInstance;
  readonly threads: number;
  /** Address of the job loop's control block (lt_thr_ctl) in the shared memory. */
  readonly ctl: number;
  private readonly ex: PoolExports;
  private readonly workers: KernelWorkerHandle[] = [];
  private failed: WorkerError | undefined;
  private disposed = false;

  private constructor(kernels: KernelInstance, threads: number, ctl: number) {
    this.kernels = kernels;
    this.threads = threads;
    this.ctl = ctl;
    this.ex = kernels.exports as unknown as PoolExports;
  }

  static async create(options: KernelPoolOptions): Promise<KernelPool> {
    const threads = Math.floor(options.threads);
    if (!(threads >= 1 && threads <= MAX_THREADS)) throw new RangeError(`threads must be 1..${MAX_THREADS}, got ${options.threads}`);
    const kernels = await instantiateKernels(options.module, options.memory);
    const ex = kernels.exports as unknown as PoolExports;
    if (typeof kernels.exports.lt_thr_worker !== 'function' || typeof kernels.exports.lt_forward_use_pool !== 'function') {
      throw new WorkerError('The wasm module has no job loop (lt_thr_worker): rebuild wasm/dist');
    }
    const alloc = (bytes: number, align: number) => {
      const p = ptr(ex.lt_alloc(bytes, align));
      if (p === 0) throw new WorkerError(`Out of wasm memory while setting up ${threads} threads`);
      return p;
    };
    const ctl = alloc(ex.lt_thr_ctl_bytes(), 64);
    ex.lt_thr_init(ctl, threads, options.spin ?? DEFAULT_SPIN);
    const pool = new KernelPool(kernels, threads, ctl);
    if (threads > 1) {
      try {
        await pool.start(options, alloc);
      } catch (e) {
        pool.dispose();
        throw e;
      }
    }
    if (ex.lt_forward_use_pool(ctl) !== 0) {
      pool.dispose();
      throw new WorkerError('lt_forward_use_pool refused the pool');
    }
    return pool;
  }

  private async start(options: KernelPoolOptions, alloc: (bytes: number, align: number) => number): Promise<void> {
    const spawn = options.spawn ?? browserKernelWorker;
    const timeout = options.startTimeoutMs ?? 30_000;
    const started: Promise<void>[] = [];
    for (let tid = 1; tid < this.threads; tid++) {
      const stackBase = alloc(WORKER_STACK_BYTES, 16);
      let worker: KernelWorkerHandle;
      try {
        worker = spawn(tid);
      } catch (e) {
        throw new WorkerError(`Could not start kernel worker ${tid}: ${(e as Error).message}`, { cause: e });
      }
      this.workers.push(worker);
      started.push(new Promise<void>((resolve, reject) => {
        let ready = false;
        const timer = setTimeout(() => reject(new WorkerError(`Kernel worker ${tid} did not start within ${timeout} ms`)), timeout);
        worker.onMessage((m) => {
          if (m.type === 'ready') { ready = true; clearTimeout(timer); resolve(); }
          if (m.type === 'failed') {
            clearTimeout(timer);
            if (!ready) reject(new WorkerError(`Kernel worker ${tid} failed to start: ${m.message}`));
            else this.fail(`kernel worker ${tid} failed: ${m.message}`);
          }
        });
        worker.onError((message) => {
          clearTimeout(timer);
          if (!ready) reject(new WorkerError(`Kernel worker ${tid} failed to start: ${message}`));
          else this.fail(`kernel worker ${tid} died: ${message}`);
        });
      }));
      worker.postMessage({ module: options.module, memory: options.memory, ctl: this.ctl, tid, stackBase, stackBytes: WORKER_STACK_BYTES });
    }
    await Promise.all(started);
  }

  /** The error that broke this pool, if one did. */
  get failure(): WorkerError | undefined {
    return this.failed;
  }

  /** Throws the pool's failure, if any. */
  check(): void {
    if (this.failed) throw this.failed;
  }

  private fail(reason: string): void {
    if (this.failed || this.disposed) return;
    this.failed = new WorkerError(`The worker pool stopped: ${reason}. Load the model again.`);
    this.ex.lt_thr_abort(this.ctl);
  }

  /**
   * Test hook: end kernel worker `tid` as if it had crashed (Worker.terminate() fires no
   * error event, so the pool records the death itself). The next forward pass fails with
   * a WorkerError.
   */
  terminateWorker(tid = 1): void {
    const w = this.workers[tid - 1];
    if (!w) throw new RangeError(`no kernel worker ${tid} (this pool has ${this.threads} threads)`);
    w.terminate();
    this.fail(`kernel worker ${tid} was terminated`);
  }

  /**
   * Barrier cost probe: `rounds` back-to-back barriers on every thread, in one job.
   * Returns the mean nanoseconds per barrier.
   */
  measureBarrier(rounds: number): number {
    const t0 = performance.now();
    const st = this.ex.lt_pool_barrier_bench(this.ctl, rounds);
    const t1 = performance.now();
    if (st !== 0) throw this.failed ?? new WorkerError(`barrier probe failed: status ${st}`);
    return ((t1 - t0) * 1e6) / rounds;
  }

  /** Stop the workers and let go of them; lt_forward runs on thread 0 alone afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.ex.lt_forward_use_pool(0);
      this.ex.lt_thr_stop(this.ctl);
      this.ex.lt_thr_abort(this.ctl);
    } catch {
      // the instance is unusable (e.g. a trap left it so): terminating is all that is left
    }
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
