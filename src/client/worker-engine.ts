/**
 * WorkerEngine: the Engine interface for the page. It starts a dedicated module
 * worker running LocalEngine and forwards every call through comlink, so heavy
 * work never runs on the main thread. Callbacks are passed as comlink proxies.
 */
import * as Comlink from 'comlink';
import type {
  Engine, EngineReport, GenerateOptions, GenerationChunk, GenerationResult, LoadOptions, ModelSource,
} from '../engine/types.ts';
import type { LocalEngine } from '../engine/local-engine.ts';
import { installErrorTransfer } from '../errors-wire.ts';

/**
 * The engine worker is handed in rather than created here: bundlers resolve
 * `new Worker(new URL(..., import.meta.url))` where it is written, and the
 * script-tag build must start the worker from a URL next to its own script
 * instead (src/client/default-worker.ts has the bundler-friendly form).
 */
export class WorkerEngine implements Engine {
  private readonly worker: Worker;
  private readonly remote: Comlink.Remote<LocalEngine>;

  constructor(worker: Worker) {
    installErrorTransfer();
    this.worker = worker;
    this.remote = Comlink.wrap<LocalEngine>(this.worker);
  }

  load(source: ModelSource, options: LoadOptions = {}): Promise<EngineReport> {
    // comlink proxies only top-level arguments, so the callback travels on its own.
    const { onProgress, ...rest } = options;
    return this.remote.load(source, rest, onProgress ? Comlink.proxy(onProgress) : undefined) as Promise<EngineReport>;
  }

  generate(prompt: string, options: GenerateOptions = {}, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult> {
    return this.remote.generate(prompt, options, onChunk ? Comlink.proxy(onChunk) : undefined) as Promise<GenerationResult>;
  }

  /** The same generation as an async iterator of chunks; the result is the iterator's return value. */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncGenerator<GenerationChunk, GenerationResult> {
    const queue: GenerationChunk[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const finished = this.generate(prompt, options, (chunk) => {
      queue.push(chunk);
      wake?.();
    }).finally(() => {
      done = true;
      wake?.();
    });
    try {
      while (true) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      if (!done) await this.stop();
    }
    return finished;
  }

  stop(): Promise<void> { return this.remote.stop(); }
  /** Test hook (load option `debug: true`): end a kernel worker as if it had crashed. */
  debugTerminateKernelWorker(): Promise<void> { return this.remote.debugTerminateKernelWorker(); }
  tokenize(text: string, options?: { addBos?: boolean }): Promise<number[]> { return this.remote.tokenize(text, options); }
  detokenize(tokens: number[]): Promise<string> { return this.remote.detokenize(tokens); }
  report(): Promise<EngineReport> { return this.remote.report(); }
  unload(): Promise<void> { return this.remote.unload(); }

  /** Ends the worker and frees all its memory; this engine cannot be used afterwards. */
  terminate(): void {
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}
