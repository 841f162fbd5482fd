/**
 * What the engine needs from the worker pool, in one place, so LocalEngine only has to
 * start it before loading, hand `kernels` to loadLlamaModel, report `threads`/`note`,
 * translate a forward failure into the pool's WorkerError, and dispose it on unload.
 *
 * One thread (no isolation, one core, or `threads: 1`): no pool; loadLlamaModel makes
 * its own memory and instance as before, and lt_forward runs on the engine worker alone.
 */
import { OutOfMemoryError, WorkerError } from '../errors.ts';
import type { SimdFlavor } from '../wasm/flavor.ts';
import { compileKernels, createSharedMemory, type KernelInstance } from '../wasm/module.ts';
import { browserKernelWorker, chooseThreadCount, KernelPool, type SpawnKernelWorker, type ThreadEnvironment } from './pool.ts';

const modules = new Map<SimdFlavor, Promise<WebAssembly.Module>>();

/** The memory starts small and grows as lt_alloc places weights (shared memories reserve their maximum up front). */
const INITIAL_BYTES = 32 << 20;

export interface EngineThreadsOptions {
  flavor: SimdFlavor;
  /** LoadOptions.threads. */
  requested?: number;
  spawn?: SpawnKernelWorker;
  env?: ThreadEnvironment;
}

export class EngineThreads {
  private constructor(
    readonly threads: number,
    readonly note: string,
    private readonly pool: KernelPool | undefined,
  ) {}

  static async start(options: EngineThreadsOptions): Promise<EngineThreads> {
    const choice = chooseThreadCount(options.requested, options.env);
    if (choice.threads === 1) return new EngineThreads(1, choice.note, undefined);
    let module = modules.get(options.flavor);
    if (!module) modules.set(options.flavor, (module = compileKernels(options.flavor)));
    let memory: WebAssembly.Memory;
    try {
      memory = createSharedMemory(INITIAL_BYTES);
    } catch (e) {
      throw new OutOfMemoryError('Could not create a shared wasm memory for the worker pool', { cause: e });
    }
    const pool = await KernelPool.create({ module: await module, memory, threads: choice.threads, spawn: options.spawn ?? browserKernelWorker });
    return new EngineThreads(choice.threads, choice.note, pool);
  }

  /** Thread 0's instance for loadLlamaModel (undefined: let it make its own, one thread). */
  get kernels(): KernelInstance | undefined {
    return this.pool?.kernels;
  }

  /** The WorkerError that broke the pool, if one did. */
  get failure(): WorkerError | undefined {
    return this.pool?.failure;
  }

  /** Test hook: end kernel worker 1 as if it had crashed. */
  terminateWorker(): void {
    if (!this.pool) throw new WorkerError('This engine runs on one thread: there is no kernel worker to terminate');
    this.pool.terminateWorker(1);
  }

  measureBarrier(rounds: number): number {
    if (!this.pool) return 0;
    return this.pool.measureBarrier(rounds);
  }

  dispose(): void {
    this.pool?.dispose();
  }
}
