/**
 * LocalEngine: the engine in the calling thread. In the browser it runs inside
 * the engine worker (worker/engine.worker.ts); in Node it can be used directly.
 *
 * load():     source (URL: cache or streaming download; File/Blob; bytes) → GGUF header →
 *             tokenizer → memory plan → tensors streamed into wasm memory → cache entry committed
 * generate(): tokenize → prefill → (greedy sample → stream text → forward)*
 */
import { AbortError, InvalidArgumentError, LutraError, NotLoadedError } from '../errors.ts';
import { ChatCompletions } from '../api/openai.ts';
import { applyChatTemplate, chatTemplateFor, type ChatMessage, type ChatTemplate } from '../chat/template.ts';
import { ggmlTypeName } from '../gguf/ggml-types.ts';
import type { GGUFFile } from '../gguf/types.ts';
import { cacheUnavailableReason, CacheIntegrityError, ModelCache } from '../loader/cache.ts';
import { openModel, type OpenedModel } from '../loader/open.ts';
import type { MemoryPlan } from '../loader/plan.ts';
import { loadLlamaModel, planLlamaModel, type LlamaModel } from '../model/llama.ts';
import { REPACK_INFO } from '../model/kernel-choice.ts';
import { TERNARY } from '../kernels/lut.ts';
import { EngineThreads } from '../runtime/engine-threads.ts';
import { Sampler } from '../sampler/sampler.ts';
import { JsonSchemaConstraint } from '../structured/constraint.ts';
import { StopStringMatcher } from '../sampler/stop.ts';
import { createTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { StreamingDetokenizer } from '../tokenizer/stream.ts';
import { detectFlavor, type SimdFlavor } from '../wasm/flavor.ts';
import type {
  CachedModelInfo, Engine, EngineReport, FinishReason, GenerateOptions, GenerationChunk, GenerationResult, LoadOptions, ModelSource,
} from './types.ts';
import { yieldToEventLoop } from './yield.ts';

interface Loaded {
  gguf: GGUFFile;
  /** Built on first use of chat(). */
  chatTemplate?: ChatTemplate;
  tokenizer: Tokenizer;
  model: LlamaModel;
  report: EngineReport;
}

function sourceName(source: ModelSource): string {
  if ('url' in source) {
    try {
      return decodeURIComponent(new URL(source.url, 'http://localhost/').pathname.split('/').pop() || source.url);
    } catch {
      return source.url;
    }
  }
  if ('blob' in source) return (source.blob as File).name ?? 'blob';
  return 'buffer';
}

export class LocalEngine implements Engine {
  private loaded: Loaded | undefined;
  private stopRequested = false;
  private busy = false;
  /** The worker pool of the loaded model (one thread: no workers). */
  private threads: EngineThreads | undefined;
  private debug = false;
  private currentLoad: { ctrl: AbortController; id: number | undefined } | undefined;

  constructor(private readonly flavor: SimdFlavor = detectFlavor()) {}

  /**
   * `progress` is the same callback as `options.onProgress`, passed separately by
   * WorkerEngine because comlink can only proxy top-level arguments; so is the
   * AbortSignal, which cannot cross a worker boundary: WorkerEngine passes a
   * `loadId` and calls abortLoad(loadId) when the page's signal fires.
   */
  async load(source: ModelSource, options: LoadOptions = {}, progress?: LoadOptions['onProgress'], loadId?: number): Promise<EngineReport> {
    if (this.busy) throw new InvalidArgumentError('Cannot load a model while a generation is running; stop it first');
    // a new load supersedes one still running
    this.currentLoad?.ctrl.abort();
    const ctrl = new AbortController();
    const load = { ctrl, id: loadId };
    this.currentLoad = load;
    const signal = options.signal ? AbortSignal.any([options.signal, ctrl.signal]) : ctrl.signal;
    try {
      await this.unload();
      return await this.loadFrom(source, options, progress ?? options.onProgress, signal, options.cache ?? true);
    } catch (e) {
      if (e instanceof CacheIntegrityError && !signal.aborted) {
        // the cached copy was corrupt (and is deleted): download it again, once
        return await this.loadFrom(source, options, progress ?? options.onProgress, signal, 'reload');
      }
      throw e;
    } finally {
      if (this.currentLoad === load) this.currentLoad = undefined;
    }
  }

  /** Cancel the running load (all of them when `loadId` is undefined); it rejects with AbortError. */
  async abortLoad(loadId?: number): Promise<void> {
    const l = this.currentLoad;
    if (l && (loadId === undefined || l.id === loadId)) l.ctrl.abort();
  }

  private async loadFrom(source: ModelSource, options: LoadOptions, onProgress: LoadOptions['onProgress'],
    signal: AbortSignal, cache: boolean | 'reload'): Promise<EngineReport> {
    const started = performance.now();
    let opened: OpenedModel | undefined;
    try {
      opened = await openModel(source, { signal, onProgress, cache });
      const { gguf } = opened;
      const tHeader = performance.now();
      // the memory plan first: a model that cannot fit fails at once, before the
      // tokenizer, the worker pool, or any tensor data (loadLlamaModel checks again
      // with the pool's actual thread count)
      planLlamaModel(gguf, { contextLength: options.contextLength, memoryBudget: options.memoryBudget, threads: options.threads });
      const tokenizer = createTokenizer(gguf);
      const tTokenizer = performance.now();
      let plan: MemoryPlan | undefined;
      // kernel workers first: loading places the weights in the pool's shared memory
      this.debug = options.debug === true;
      this.threads = await EngineThreads.start({ flavor: this.flavor, requested: options.threads });
      const tPool = performance.now();
      const model = await loadLlamaModel(gguf, opened.source, {
        kernels: this.threads.kernels,
        threads: this.threads.threads,
        flavor: this.flavor,
        matmul: options.matmul,
        ternaryTables: options.ternaryTables,
        contextLength: options.contextLength,
        memoryBudget: options.memoryBudget,
        signal,
        onPlan: (p) => (plan = p),
        onProgress: onProgress
          ? (loaded, total, tensors, tensorCount) => onProgress({ phase: 'load', loaded, total, tensors, tensorCount })
          : undefined,
      });
      const tPlaced = performance.now();
      const outcome = await opened.finish();
      if (signal.aborted) throw new AbortError('Loading aborted');
      const tDone = performance.now();
      const report = this.makeReport(sourceName(source), gguf, model);
      report.load = {
        origin: opened.origin,
        cache: outcome.status,
        cacheNote: outcome.note,
        ms: tDone - started,
        phases: {
          header: tHeader - started, tokenizer: tTokenizer - tHeader, pool: tPool - tTokenizer,
          tensors: tPlaced - tPool, finish: tDone - tPlaced,
        },
        plan: {
          weights: plan!.weights, kvCache: plan!.kvCache, other: plan!.total - plan!.weights - plan!.kvCache,
          total: plan!.total, budget: plan!.budget,
        },
      };
      this.loaded = { gguf, tokenizer, model, report };
      return report;
    } catch (e) {
      await opened?.cancel().catch(() => {});
      // a failed load leaves no pool behind (its workers would sit parked until the next load)
      this.threads?.dispose();
      this.threads = undefined;
      if (signal.aborted && !(e instanceof AbortError)) throw new AbortError('Loading aborted', { cause: e });
      throw e;
    }
  }

  async listCachedModels(): Promise<CachedModelInfo[]> {
    if (cacheUnavailableReason()) return [];
    return new ModelCache().list();
  }

  async deleteCachedModel(url: string): Promise<boolean> {
    if (cacheUnavailableReason()) return false;
    return new ModelCache().delete(url);
  }

  private makeReport(source: string, gguf: GGUFFile, model: LlamaModel): EngineReport {
    const tensorTypes: Record<string, number> = {};
    let parameters = 0;
    let weightBytes = 0;
    for (const t of gguf.tensors) {
      const name = ggmlTypeName(t.type);
      tensorTypes[name] = (tensorTypes[name] ?? 0) + 1;
      parameters += t.nElements;
      weightBytes += t.byteSize;
    }
    const kernels: Record<string, number> = {};
    const kernelByTensor: Record<string, string> = {};
    const byName = new Map(gguf.tensors.map((t) => [t.name, t.type]));
    for (const [tensor, kind] of Object.entries(model.kernelChoice)) {
      const type = byName.get(tensor)!;
      const label = kind === 'lut' && model.ternaryTables === 'int8' && REPACK_INFO[type]?.bits === TERNARY ? 'lut (int8 tables)' : kind;
      kernelByTensor[tensor] = label;
      const key = `${ggmlTypeName(type)} → ${label}`;
      kernels[key] = (kernels[key] ?? 0) + 1;
    }
    const name = gguf.metadata.get('general.name');
    return {
      source,
      architecture: String(gguf.metadata.get('general.architecture')),
      modelName: typeof name === 'string' ? name : 'unnamed model',
      parameters,
      fileBytes: gguf.fileSize,
      weightBytes,
      contextLength: model.config.contextLength,
      vocabSize: model.config.vocabSize,
      tensorTypes,
      kernels,
      kernelByTensor,
      kernelCalibration: model.kernelCalibration.map((c) => ({ type: ggmlTypeName(c.type), K: c.K, lutMs: c.lutMs, madMs: c.madMs, kernel: c.kind })),
      flavor: this.flavor,
      threads: this.threads?.threads ?? 1,
      threadNote: this.threads?.note ?? 'one thread',
      memoryBytes: model.memoryBytes,
    };
  }

  private require(): Loaded {
    if (!this.loaded) throw new NotLoadedError();
    return this.loaded;
  }

  /** Continues `prompt` (plain text; BOS first when the model wants it, unless addBos is false). */
  async generate(prompt: string, options: GenerateOptions = {}, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult> {
    const { tokenizer } = this.require();
    return this.run(tokenizer.encode(prompt, { addSpecial: options.addBos ?? true }), options, onChunk);
  }

  /**
   * The assistant's reply to `messages`, rendered with the model's chat template
   * (tokenizer.chat_template, or a standard fallback chosen from the vocabulary).
   */
  async generateChat(messages: ChatMessage[], options: GenerateOptions = {}, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult> {
    const loaded = this.require();
    loaded.chatTemplate ??= chatTemplateFor(loaded.tokenizer, loaded.gguf);
    const { ids } = applyChatTemplate(loaded.tokenizer, loaded.chatTemplate, messages, { addGenerationPrompt: true });
    return this.run(ids, options, onChunk);
  }

  /** The model's name (general.name, else its file name). */
  async modelName(): Promise<string> {
    const { report } = this.require();
    return report.modelName === 'unnamed model' ? report.source : report.modelName;
  }

  /** OpenAI-shaped chat: `engine.chat.completions.create({ messages, stream })`. */
  readonly chat = { completions: new ChatCompletions(this) };

  private async run(promptTokens: number[], options: GenerateOptions, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult> {
    const { tokenizer, model } = this.require();
    if (this.busy) throw new InvalidArgumentError('A generation is already running on this engine');
    const maxTokens = options.maxTokens ?? 128;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new InvalidArgumentError(`maxTokens must be a non-negative integer, got ${maxTokens}`);
    const stopAtEos = options.stopAtEos ?? true;
    if (promptTokens.length === 0) throw new InvalidArgumentError('The prompt is empty and the model adds no BOS token');
    const contextLength = model.config.contextLength;
    if (promptTokens.length >= contextLength) {
      throw new InvalidArgumentError(`The prompt has ${promptTokens.length} tokens; the context holds ${contextLength}`);
    }

    // Both validate their options: build them before any work starts.
    const sampler = new Sampler(options, model.config.vocabSize);
    // JSON-schema-constrained decoding: tokens that cannot continue a valid document are masked.
    const constraint = options.jsonSchema !== undefined ? new JsonSchemaConstraint(options.jsonSchema, tokenizer) : undefined;
    const stops = new StopStringMatcher(options.stop ?? []);
    for (const t of promptTokens) sampler.accept(t); // penalties see the prompt too, as in llama.cpp

    this.busy = true;
    this.stopRequested = false;
    try {
      const start = performance.now();
      // the prompt in blocks of 8 tokens (mpGEMM: each weight read once per block)
      let logits: Float32Array = model.prefill(promptTokens, 0);
      const prefillEnd = performance.now();

      // A continuation of the prompt: its first piece keeps its leading space.
      const detok = new StreamingDetokenizer(tokenizer, { stripLeadingSpace: false });
      const generated: number[] = [];
      let text = '';
      let finishReason: FinishReason = 'length';
      let pos = promptTokens.length;
      let firstTokenAt = prefillEnd;
      // Through comlink a callback runs on its own message port, so its calls can land
      // after generate()'s own reply. Awaiting the last call's (proxied) return value
      // guarantees the page has seen every chunk before the result arrives.
      let lastDelivery: unknown;
      while (generated.length < maxTokens) {
        constraint?.maskLogits(logits);
        const next = sampler.sample(logits);
        sampler.accept(next);
        constraint?.accept(next);
        if (generated.length === 0) firstTokenAt = performance.now();
        if (stopAtEos && tokenizer.isEog(next)) { finishReason = 'eos'; break; }
        generated.push(next);
        const { emit, stopped } = stops.push(detok.push(next));
        text += emit;
        if (emit && onChunk) lastDelivery = onChunk({ text: emit, tokens: [next] });
        if (stopped) { finishReason = 'stop'; break; }
        if (generated.length >= maxTokens) break;
        if (pos >= contextLength) { finishReason = 'context'; break; }
        logits = model.forward(next, pos++);
        await yieldToEventLoop();
        if (this.stopRequested) { finishReason = 'aborted'; break; }
      }
      const tail = finishReason === 'stop' ? '' : stops.push(detok.flush()).emit + stops.flush();
      if (tail) {
        text += tail;
        if (onChunk) lastDelivery = onChunk({ text: tail, tokens: [] });
      }
      await lastDelivery;
      const end = performance.now();
      const decodeSeconds = (end - firstTokenAt) / 1000;
      return {
        text,
        tokens: generated,
        seed: sampler.seed,
        finishReason,
        promptTokens: promptTokens.length,
        completionTokens: generated.length,
        prefillTokensPerSecond: promptTokens.length / Math.max(1e-9, (prefillEnd - start) / 1000),
        // The first token comes from the prefill's logits; decode speed counts the forwards after it.
        decodeTokensPerSecond: generated.length > 1 ? (generated.length - 1) / Math.max(1e-9, decodeSeconds) : 0,
        timeToFirstTokenMs: firstTokenAt - start,
      };
    } catch (error) {
      const died = this.threads?.failure;
      if (died) {
        // a kernel worker died: this model cannot run any more (load() builds a new pool)
        this.loaded?.model.dispose();
        this.loaded = undefined;
        this.threads?.dispose();
        this.threads = undefined;
        throw died;
      }
      if (error instanceof LutraError) throw error;
      throw new LutraError('INTERNAL', `Generation failed: ${(error as Error).message}`, { cause: error });
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.busy) this.stopRequested = true;
  }

  async tokenize(text: string, options: { addBos?: boolean } = {}): Promise<number[]> {
    return this.require().tokenizer.encode(text, { addSpecial: options.addBos ?? false });
  }

  async detokenize(tokens: number[]): Promise<string> {
    return this.require().tokenizer.decode(tokens);
  }

  async report(): Promise<EngineReport> {
    return this.require().report;
  }

  async unload(): Promise<void> {
    if (this.busy) throw new InvalidArgumentError('Cannot unload while a generation is running; stop it first');
    this.loaded?.model.dispose();
    this.loaded = undefined;
    this.threads?.dispose();
    this.threads = undefined;
  }

  /** Test hook, only with the load option `debug: true`: end a kernel worker as if it had crashed. */
  async debugTerminateKernelWorker(): Promise<void> {
    if (!this.debug) throw new InvalidArgumentError('debugTerminateKernelWorker needs the load option debug: true');
    if (!this.threads) throw new NotLoadedError();
    this.threads.terminateWorker();
  }
}

