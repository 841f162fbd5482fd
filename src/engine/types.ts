/**
 * The engine interface. It is implemented twice: in-thread by LocalEngine
 * (inside a worker, or in Node), and by WorkerEngine, a comlink proxy that
 * runs LocalEngine in a dedicated worker so the page's main thread never blocks.
 */
import type { SamplerOptions } from '../sampler/options.ts';
import type { SimdFlavor } from '../wasm/flavor.ts';

/** Where a model comes from: a URL, a File/Blob, or bytes already in memory. */
export type ModelSource =
  | { url: string }
  | { blob: Blob }
  | { bytes: ArrayBuffer | Uint8Array };

export interface LoadProgress {
  phase: 'download' | 'load';
  /** Bytes received (download) or tensor bytes placed into wasm memory (load). */
  loaded: number;
  total: number;
}

export interface LoadOptions {
  /**
   * Threads for the kernels, the engine worker included. Default: every logical core up
   * to 4, half of them above that, at most 8 (src/runtime/pool.ts chooseThreadCount);
   * always 1 when the page is not cross-origin isolated.
   */
  threads?: number;
  /** Enable test hooks (debugTerminateKernelWorker). */
  debug?: boolean;
  /** KV-cache length in tokens; defaults to min(model's context, 2048). */
  contextLength?: number;
  onProgress?: (progress: LoadProgress) => void;
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
  flavor: SimdFlavor;
  threads: number;
  /** Why lutra runs with fewer threads than the machine has, if it does. */
  threadNote: string;
  memoryBytes: number;
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
  /** Stop the running generate() after the token in progress. */
  stop(): Promise<void>;
  tokenize(text: string, options?: { addBos?: boolean }): Promise<number[]>;
  detokenize(tokens: number[]): Promise<string>;
  report(): Promise<EngineReport>;
  unload(): Promise<void>;
}
