/**
 * The engine interface. It is implemented twice: in-thread by LocalEngine
 * (inside a worker, or in Node), and by WorkerEngine, a comlink proxy that
 * runs LocalEngine in a dedicated worker so the page's main thread never blocks.
 */
import type { ChatMessage } from '../chat/template.ts';
import type { SamplerOptions } from '../sampler/options.ts';
import type { JsonSchema } from '../structured/schema.ts';
import type { SimdFlavor } from '../wasm/flavor.ts';

/** Where a model comes from: a URL, a File/Blob, or bytes already in memory. */
export type ModelSource =
  | { url: string }
  | { blob: Blob }
  | { bytes: ArrayBuffer | Uint8Array };

export interface LoadProgress {
  /**
   * download: bytes received from the network (all parts of a split model);
   * cache: bytes read from the browser cache;
   * load: tensor bytes placed in wasm memory (these run at the same time as the download).
   */
  phase: 'download' | 'cache' | 'load';
  loaded: number;
  total: number;
  /** load phase: tensors placed so far, of tensorCount. */
  tensors?: number;
  tensorCount?: number;
}

export interface LoadOptions {
  /**
   * Threads for the kernels, the engine worker included. Default: every logical core up
   * to 4, half of them above that, at most 8 (src/runtime/pool.ts chooseThreadCount);
   * always 1 when the page is not cross-origin isolated.
   */
  threads?: number;
  /** Force the LUT or multiply-add kernels for every repackable weight (benchmarks); default 'auto'. */
  matmul?: 'auto' | 'lut' | 'mad';
  /**
   * Ternary weights (TQ1_0, TQ2_0: BitNet b1.58): 'exact' (default) computes BitNet's int8-activation
   * matmul exactly; 'int8' rounds its lookup tables to int8, faster at a small accuracy cost
   * (figures in src/model/llama.ts TernaryTables).
   */
  ternaryTables?: 'exact' | 'int8';
  /** Enable test hooks (debugTerminateKernelWorker). */
  debug?: boolean;
  /** KV-cache length in tokens; defaults to min(model's context, 4096). */
  contextLength?: number;
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Cancels the load at any stage (download, header, placing tensors); load()
   * rejects with AbortError and the engine stays usable (no model loaded).
   */
  signal?: AbortSignal;
  /**
   * URL sources: keep a copy in the browser (OPFS) and load from it next time
   * (default true). 'reload' downloads again and replaces the copy.
   */
  cache?: boolean | 'reload';
  /** Bytes of wasm memory the model may use (default and maximum: 4 GiB, wasm32). */
  memoryBudget?: number;
}

/** A model file kept in the browser's cache. */
export interface CachedModelInfo {
  url: string;
  size: number;
  etag?: string;
  lastModified?: string;
  checksum: string;
  storedAt: string;
}

export interface LoadReport {
  /** Where the bytes came from. */
  origin: 'network' | 'cache' | 'blob' | 'buffer';
  /** hit / stored / skipped (with the reason, e.g. storage full) / disabled / unavailable / not-applicable. */
  cache: 'hit' | 'stored' | 'skipped' | 'disabled' | 'unavailable' | 'not-applicable';
  cacheNote: string;
  /** Milliseconds from load() to ready. */
  ms: number;
  /**
   * Where the time went (ms): opening the source and reading the header; the
   * tokenizer; starting the worker pool; placing the tensors (this overlaps the
   * download); draining the download and committing or verifying the cache.
   */
  phases: { header: number; tokenizer: number; pool: number; tensors: number; finish: number };
  /** Memory plan: bytes for weights, KV cache, activations+scratch, and the total. */
  plan: { weights: number; kvCache: number; other: number; total: number; budget: number };
}

export interface TensorReport {
  name: string;
  type: string;
  shape: number[];
}

export interface EngineReport {
  /** File name of the model (last URL segment, File name, or "buffer"). */
  source: string;
  architecture: string;
  modelName: string;
  parameters: number;
  fileBytes: number;
  weightBytes: number;
  contextLength: number;
  vocabSize: number;
  tensorTypes: Record<string, number>;
  /**
   * The kernel each weight runs on, counted by "<GGUF type> → <kernel>": 'lut' / 'mad' (repacked
   * to the lookup-table or multiply-add layout; ternary weights loaded with ternaryTables 'int8'
   * show 'lut (int8 tables)'), 'f32' / 'f16' / 'q8_0' (plain GEMV), 'dequant-f32' /
   * 'dequant-q8_0' (no repacker takes the type or shape: dequantized at load); F32 norms count as f32.
   */
  kernels: Record<string, number>;
  /** The kernel of every weight, by tensor name. */
  kernelByTensor: Record<string, string>;
  /**
   * The 4-bit weight types whose kernel was timed at load on this browser (LUT vs multiply-add,
   * median ms of one GEMV of a sample weight at that row length), and the kernel taken.
   */
  kernelCalibration: Array<{ type: string; K: number; lutMs: number; madMs: number; kernel: 'lut' | 'mad' }>;
  flavor: SimdFlavor;
  threads: number;
  /** Why lutra runs with fewer threads than the machine has, if it does. */
  threadNote: string;
  memoryBytes: number;
  /** How the last load went (origin, cache, time, memory plan). */
  load?: LoadReport;
}

/**
 * Sampling follows llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95,
 * min-p 0.05) unless set; `temperature: 0` is greedy decoding.
 */
export interface GenerateOptions extends SamplerOptions {
  /** Stop after this many new tokens (default 128). */
  maxTokens?: number;
  /** Put the BOS token first (default: the model's add_bos setting). */
  addBos?: boolean;
  /** Stop when the model emits an end-of-generation token (default true). */
  stopAtEos?: boolean;
  /**
   * Constrain the output to JSON that validates against this schema (a subset of
   * JSON Schema: src/structured/README.md). With stopAtEos (the default) the
   * generation ends when the document is complete; a maxTokens cut leaves a prefix.
   */
  jsonSchema?: JsonSchema;
  /** Stop when the text contains one of these strings (not included in the output). */
  stop?: string[];
}

export interface GenerationChunk {
  /** New text; never splits a UTF-8 sequence. */
  text: string;
  /** Token ids behind this chunk. */
  tokens: number[];
}

export type FinishReason = 'length' | 'eos' | 'stop' | 'aborted' | 'context';

export interface GenerationResult {
  text: string;
  tokens: number[];
  /** The seed the sampler used (replays the same text with the same options). */
  seed: number;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Prompt processing speed and decode speed, tokens per second. */
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  timeToFirstTokenMs: number;
}

export interface Engine {
  load(source: ModelSource, options?: LoadOptions): Promise<EngineReport>;
  generate(prompt: string, options?: GenerateOptions, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult>;
  /** The assistant's reply to a conversation, through the model's chat template. */
  generateChat(messages: ChatMessage[], options?: GenerateOptions, onChunk?: (chunk: GenerationChunk) => void): Promise<GenerationResult>;
  /** The model's name (general.name, else its file name). */
  modelName(): Promise<string>;
  /** Stop the running generate() after the token in progress. */
  stop(): Promise<void>;
  tokenize(text: string, options?: { addBos?: boolean }): Promise<number[]>;
  detokenize(tokens: number[]): Promise<string>;
  report(): Promise<EngineReport>;
  unload(): Promise<void>;
  /** Models in the browser's cache (empty where there is no cache, e.g. Node). */
  listCachedModels(): Promise<CachedModelInfo[]>;
  /** Remove a model from the cache; true when it was there. */
  deleteCachedModel(url: string): Promise<boolean>;
}
