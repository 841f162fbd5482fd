/**
 * WorkerEngine: the Engine interface for the page. It starts a dedicated module
 * worker running LocalEngine and forwards every call through comlink, so heavy
 * work never runs on the main thread. Callbacks are passed as comlink proxies.
 */
import * as Comlink from 'comlink';
import type {
  CachedModelInfo, Engine, EngineReport, GenerateOptions, GenerationChunk, GenerationResult, LoadOptions, ModelSource,
} from '../engine/types.ts';
import type { LocalEngine } from '../engine/local-engine.ts';
import { installErrorTransfer } from '../errors-wire.ts';
import { ChatCompletions } from '../api/openai.ts';
import type { ChatMessage } from '../chat/template.ts';
import { AbortError } from '../errors.ts';

/**
 * The engine worker is handed in rather than created here: bundlers resolve
 * `new Worker(new URL(..., import.meta.url))` where it is written, and the
 * script-tag build must start the worker from a URL next to its own script
 * instead (src/client/default-worker.ts has the bundler-friendly form).
 */
export class WorkerEngine implements Engine {
  private readonly worker: Worker;
  private readonly remote: Comlink.Remote<LocalEngine>;
  private loadCounter = 0;

  constructor(worker: Worker) {
    installErrorTransfer();
    this.worker = worker;
    this.remote = Comlink.wrap<LocalEngine>(this.worker);
  }

  async load(source: ModelSource, options: LoadOptions = {}): Promise<EngineReport> {
    // comlink proxies only top-level arguments, so the callback travels on its own;
    // an AbortSignal cannot be sent at all: its abort becomes an abortLoad(id) call.
    const { onProgress, signal, ...rest } = options;
    if (signal?.aborted) throw new AbortError('Loading aborted');
    const id = ++this.loadCounter;
    const onAbort = () => void this.remote.abortLoad(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await (this.remote.load(source, rest, onProgress ? Comlink.proxy(onProgress) : undefined, id) as Promise<EngineReport>);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  listCachedModels(): Promise<CachedModelInfo[]> { return this.remote.listCachedModels(); }
  deleteCachedModel(url: string): Promise<boolean> { return this.remote.deleteCachedModel(url); }

  generateChat(messages: ChatMessage[], options: GenerateOptions = {}, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult> {
    return this.remote.generateChat(messages, options, onChunk ? Comlink.proxy(onChunk) : undefined) as Promise<GenerationResult>;
  }

  /** OpenAI-shaped chat: `engine.chat.completions.create({ messages, stream })`. */
  readonly chat = { completions: new ChatCompletions(this) };

  modelName(): Promise<string> { return this.remote.modelName(); }

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
