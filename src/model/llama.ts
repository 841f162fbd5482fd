/**
 * Loading a llama-architecture GGUF into wasm memory and running it one token
 * at a time.
 *
 *   config   ← GGUF metadata (config.ts)
 *   bindings ← tensor names → weight slots, types and shapes checked (tensors.ts)
 *   memory   ← one shared WebAssembly.Memory, sized for weights + KV cache + scratch
 *   plan     ← weights + KV cache + activations + scratch vs the budget (loader/plan.ts),
 *              before any tensor data is read
 *   C model  ← lt_model_new (KV cache, activations), every tensor lt_alloc'd, then
 *              the bytes read in file order (a streaming source pipes them straight
 *              into place; a random-access one reads ≤ 16 MiB at a time) and bound
 *              with lt_model_set_tensor
 *   forward  ← lt_forward: logits as a Float32Array view into wasm memory
 */
import { AbortError, InvalidArgumentError, LutraError, NotLoadedError, OutOfMemoryError, UnsupportedModelError } from '../errors.ts';
import type { ByteSource } from '../gguf/reader.ts';
import type { GGUFFile, GGUFTensorInfo } from '../gguf/types.ts';
import { checkMemoryPlan, planLlamaMemory, TENSOR_ALIGN, type MemoryPlan } from '../loader/plan.ts';
import { isStreaming, RANDOM_READ_CHUNK } from '../loader/stream-source.ts';
import { ggmlTypeName } from '../gguf/ggml-types.ts';
import { detectFlavor, type SimdFlavor } from '../wasm/flavor.ts';
import { compileKernels, createSharedMemory, instantiateKernels, MAX_PAGES, WASM_PAGE, type KernelInstance } from '../wasm/module.ts';
import { lutraExports, ptr, Status, statusName, type LutraExports } from '../wasm/exports.ts';
import { archGraph, llamaConfigFromGGUF, type LlamaConfig } from './config.ts';
import { bindLlamaTensors, type TensorBinding } from './tensors.ts';
import { chooseKernel, isStaged, kernelBytes, LT_KIND, type KernelKind } from './kernel-choice.ts';
import { calibrateKernel, isCalibrated, type KernelCalibration } from './kernel-calibration.ts';
import { dequantize, quantize } from '../quant/index.ts';
import { GGMLType } from '../gguf/ggml-types.ts';

export type { LlamaConfig } from './config.ts';

/** Tokens per prefill block: LT_NB in wasm/src/model/model.h. */
export const PREFILL_BLOCK = 8;
/** lt_model_set_ternary_tables modes: LT_TERN_TAB_EXACT / LT_TERN_TAB_I8 in wasm/src/model/model.h. */
const TERN_TAB_EXACT = 2, TERN_TAB_I8 = 3;

export interface LoadLlamaOptions {
  /** Which wasm build to run (default: the fastest this engine supports). Ignored when `kernels` is given. */
  flavor?: SimdFlavor;
  /** KV cache positions (default min(trained context, 4096)); at most the trained context. */
  contextLength?: number;
  /** Bytes of weights copied so far, of `total`; tensors placed so far, of `tensorCount`. */
  onProgress?: (loaded: number, total: number, tensors: number, tensorCount: number) => void;
  /** Load into this instance's memory instead of creating a memory and instance. */
  kernels?: KernelInstance;
  /** Bytes the model may take in wasm memory (default and maximum 4 GiB). */
  memoryBudget?: number;
  /** Threads that will run kernels (each extra one needs a C stack in the plan); default 1. */
  threads?: number;
  /** Cancels loading between chunks; the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Force the LUT or the multiply-add kernels for every repackable weight (benchmarks); default 'auto' (kernel-choice.ts). */
  matmul?: 'auto' | 'lut' | 'mad';
  /** Tables of the ternary weights' LUT kernel (TQ1_0, TQ2_0): see TernaryTables; default 'exact'. */
  ternaryTables?: TernaryTables;
  /** Called with the memory plan, after it was checked and before any tensor data is read. */
  onPlan?: (plan: MemoryPlan) => void;
}

/**
 * How ternary weights (TQ1_0, TQ2_0: BitNet b1.58) are multiplied on the LUT kernel. Both quantize
 * each token's activations to int8 as BitNet b1.58 defines it; then
 *   'exact' (default): exact int16 tables (two lookups per weight vector), so the result is
 *           BitNet's own to float rounding: last-token logit NMSE 2e-14 vs a float64 reference on
 *           the narrowed BitNet synthetic models (test/model/ternary-tables.test.ts);
 *   'int8':  the tables rounded to int8 with one scale per 64 activations (one lookup): logit
 *           NMSE 1.3e-3 vs the float64 reference on the same models (one matmul: ~3.5e-5 vs its
 *           int8-activation product, test/wasm/lut/lut.test.ts), for a modest speed gain in
 *           Chromium: ternary GEMVs 1.24–1.37× faster (bench/results/layouts.md), decode
 *           1.23–1.39× (bench/results/e2e.md).
 */
export type TernaryTables = 'exact' | 'int8';

export interface LlamaModel {
  readonly config: LlamaConfig;
  /** Output head shares the embedding matrix. */
  readonly tiedOutput: boolean;
  readonly flavor: SimdFlavor | undefined;
  /** Size of the wasm memory after loading. */
  readonly memoryBytes: number;
  readonly kernels: KernelInstance;
  /** The kernel each weight runs on, by tensor name (src/model/kernel-choice.ts). */
  readonly kernelChoice: Record<string, KernelKind>;
  /** The 4-bit kernels timed at load on this browser (kernel-calibration.ts); empty when matmul was forced. */
  readonly kernelCalibration: readonly KernelCalibration[];
  /** The tables ternary LUT weights use (LoadLlamaOptions.ternaryTables). */
  readonly ternaryTables: TernaryTables;
  /**
   * Run token `token` at position `pos` (0-based; positions before it must have
   * been run already, in order, since they fill the KV cache). Returns the
   * logits: a view into wasm memory, overwritten by the next call.
   */
  forward(token: number, pos: number): Float32Array;
  /**
   * Run `tokens` at positions pos..pos+n-1 in blocks of PREFILL_BLOCK (mpGEMM: each weight is
   * read once per block), filling the KV cache; returns the last token's logits (a view, as forward's).
   */
  prefill(tokens: readonly number[], pos: number): Float32Array;
  /** Drop the references to the memory; forward() throws afterwards. */
  dispose(): void;
}

function statusError(ex: LutraExports, what: string): LutraError {
  const s = ex.lt_last_error();
  const msg = `${what} failed: ${statusName(s)}`;
  if (s === Status.ERR_OOM) return new OutOfMemoryError(msg);
  if (s === Status.ERR_UNSUPPORTED_TYPE) return new UnsupportedModelError(msg);
  return new LutraError('INTERNAL', msg);
}

async function makeKernels(flavor: SimdFlavor, plannedBytes: number): Promise<KernelInstance> {
  const module = await compileKernels(flavor);
  // the module's own static data and stack come first (its declared minimum is 16 MiB)
  const initial = Math.max(16 << 20, plannedBytes);
  if (initial > MAX_PAGES * WASM_PAGE) {
    throw new OutOfMemoryError(`The model needs about ${(plannedBytes / 2 ** 30).toFixed(2)} GiB; wasm32 memory is limited to 4 GiB`,
      { needed: plannedBytes, available: MAX_PAGES * WASM_PAGE });
  }
  let memory: WebAssembly.Memory;
  try {
    memory = createSharedMemory(initial);
  } catch (e) {
    try {
      // engines that cannot reserve 4 GiB of address space may still manage just what is needed
      memory = createSharedMemory(initial, initial + (64 << 20));
    } catch {
      throw new OutOfMemoryError(`Could not create a wasm memory of ${(initial / 2 ** 20).toFixed(0)} MiB`,
        { cause: e, needed: initial });
    }
  }
  return instantiateKernels(module, memory);
}

export interface LlamaLoadPlan {
  config: LlamaConfig;
  bindings: TensorBinding[];
  tiedOutput: boolean;
  ropeFreqs: GGUFTensorInfo | undefined;
  memory: MemoryPlan;
}

/**
 * Everything decided from the header alone: config, tensor bindings (names,
 * types, shapes checked) and the memory plan. Throws OutOfMemoryError when the
 * plan exceeds `memoryBudget` (default: the 4 GiB of wasm32), before any tensor
 * data is read.
 */
export function planLlamaModel(gguf: GGUFFile, options: Pick<LoadLlamaOptions, 'contextLength' | 'memoryBudget' | 'threads'> = {}): LlamaLoadPlan {
  const config = llamaConfigFromGGUF(gguf, { contextLength: options.contextLength });
  const { bindings, tiedOutput, ropeFreqs } = bindLlamaTensors(gguf, config);
  const tensors = bindings.map((b) => b.tensor);
  const memory = planLlamaMemory(config, tensors, { memoryBudget: options.memoryBudget, threads: options.threads });
  checkMemoryPlan(config, memory, tensors, options.memoryBudget === undefined ? 'wasm32' : 'memoryBudget');
  return { config, bindings, tiedOutput, ropeFreqs, memory };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('Loading aborted');
}

/** One tensor's bytes (or the RoPE factors) read from the source, in file order. */
interface Job {
  tensor: GGUFTensorInfo;
  /** Destination in wasm memory; 0 for ropeFreqs (collected in JS). */
  ptr: number;
  binding?: TensorBinding;
  kind?: KernelKind;
}

export async function loadLlamaModel(gguf: GGUFFile, source: ByteSource, options: LoadLlamaOptions = {}): Promise<LlamaModel> {
  const ternaryTables = options.ternaryTables ?? 'exact';
  if (ternaryTables !== 'exact' && ternaryTables !== 'int8') {
    throw new InvalidArgumentError(`ternaryTables must be 'exact' or 'int8', not ${JSON.stringify(ternaryTables)}`);
  }
  const plan = planLlamaModel(gguf, options);
  const { config, bindings, tiedOutput, ropeFreqs } = plan;
  options.onPlan?.(plan.memory);
  throwIfAborted(options.signal);

  const flavor = options.kernels ? undefined : (options.flavor ?? detectFlavor());
  const kernels = options.kernels ?? (await makeKernels(flavor!, plan.memory.total));
  throwIfAborted(options.signal);
  const ex = lutraExports(kernels.exports);

  const c = config;
  const model = ptr(ex.lt_model_new(c.vocabSize, c.embeddingLength, c.blockCount, c.headCount, c.headCountKv, c.headDim,
    c.feedForwardLength, c.contextLength, c.ropeDim, c.ropeNeox ? 1 : 0, c.ropeBase, c.rmsEps));
  if (model === 0) throw statusError(ex, `Allocating the KV cache and activations (context ${c.contextLength})`);
  const graph = archGraph(gguf, c.architecture);
  if (ex.lt_model_set_arch(model, graph.qkvBias ? 1 : 0, graph.subNorms ? 1 : 0, graph.ffnAct === 'relu2' ? 1 : 0) !== 0) {
    throw statusError(ex, `Setting the graph of architecture '${c.architecture}'`);
  }
  if (ex.lt_model_set_ternary_tables(model, ternaryTables === 'int8' ? TERN_TAB_I8 : TERN_TAB_EXACT) !== 0) {
    throw statusError(ex, `Setting the ternary tables ('${ternaryTables}')`);
  }

  // Every tensor gets its place first; then the bytes are read in file order
  // (a streaming source only goes forward), each region of the file (the parts
  // of a split model) concurrently with the others.
  const jobs: Job[] = [];
  const choiceFlavor: SimdFlavor = options.flavor ?? flavor ?? detectFlavor();
  // 4-bit weights run on whichever of LUT and MAD was timed faster on this browser, unless forced
  const kernelCalibration: KernelCalibration[] = [];
  const measured = new Map<string, 'lut' | 'mad'>();
  if ((options.matmul ?? 'auto') === 'auto') {
    const samples = new Map<string, [number, number]>();
    for (const b of bindings) if (isCalibrated(b.tensor.type, b.ne0, b.ne1)) samples.set(`${b.tensor.type}:${b.ne0}`, [b.tensor.type, b.ne0]);
    for (const [key, [type, K]] of samples) {
      const c = await calibrateKernel(choiceFlavor, type, K);
      kernelCalibration.push(c);
      measured.set(key, c.kind);
    }
    throwIfAborted(options.signal);
  }
  const kernelChoice: Record<string, KernelKind> = {};
  for (const b of bindings) {
    const t = b.tensor;
    const kind = chooseKernel(t.type, b.ne0, b.ne1, choiceFlavor, options.matmul, measured.get(`${t.type}:${b.ne0}`));
    if (!kind) {
      throw new UnsupportedModelError(`tensor '${t.name}' has type ${ggmlTypeName(t.type)}, which lutra cannot run`);
    }
    kernelChoice[t.name] = kind;
    const bytes = kernelBytes(kind, t, b.ne0, b.ne1);
    const p = ptr(ex.lt_alloc(bytes, TENSOR_ALIGN));
    if (p === 0) throw new OutOfMemoryError(`Out of wasm memory while placing tensor '${t.name}' (${bytes} bytes)`);
    jobs.push({ tensor: t, ptr: p, binding: b, kind });
  }
  let ropeFactors: Float32Array | undefined;
  if (ropeFreqs) jobs.push({ tensor: ropeFreqs, ptr: 0 });
  jobs.sort((x, y) => x.tensor.offset - y.tensor.offset);

  const weightBytes = bindings.reduce((s, b) => s + b.tensor.byteSize, 0);
  let loaded = 0;
  let tensorsDone = 0;
  options.onProgress?.(0, weightBytes, 0, bindings.length);
  const regions = isStreaming(source) && source.regions ? source.regions : [[0, source.size] as const];
  const lanes = regions.map(([start, end]) => jobs.filter((j) => j.tensor.offset >= start && j.tensor.offset < end));
  // one staging buffer per lane for the GGUF bytes of tensors repacked or dequantized at load
  const staging = lanes.map((lane) => {
    const max = Math.max(0, ...lane.filter((j) => j.kind && isStaged(j.kind)).map((j) => j.tensor.byteSize));
    if (max === 0) return 0;
    const p = ptr(ex.lt_alloc(max, TENSOR_ALIGN));
    if (p === 0) throw new OutOfMemoryError(`Out of wasm memory for a ${max}-byte staging buffer`);
    return p;
  });

  const runJob = async (j: Job, stage: number) => {
    const t = j.tensor;
    if (j.ptr === 0) {
      ropeFactors = new Float32Array((await source.read(t.offset, t.byteSize)).slice().buffer);
      return;
    }
    const staged = j.kind !== undefined && isStaged(j.kind);
    let at = staged ? stage : j.ptr;
    const sink = (piece: Uint8Array) => {
      // the memory may have grown since the last view was taken: always take a fresh one
      new Uint8Array(kernels.memory.buffer, at, piece.length).set(piece);
      at += piece.length;
      loaded += piece.length;
    };
    if (isStreaming(source)) {
      // progress at most every 4 MiB, so a callback through comlink is not called per network chunk
      let reported = loaded;
      await source.pipe(t.offset, t.byteSize, (piece) => {
        throwIfAborted(options.signal);
        sink(piece);
        if (loaded - reported >= 4 << 20) {
          reported = loaded;
          options.onProgress?.(loaded, weightBytes, tensorsDone, bindings.length);
        }
      });
    } else {
      for (let done = 0; done < t.byteSize; ) {
        throwIfAborted(options.signal);
        const n = Math.min(RANDOM_READ_CHUNK, t.byteSize - done);
        sink(await source.read(t.offset + done, n));
        done += n;
        options.onProgress?.(loaded, weightBytes, tensorsDone, bindings.length);
      }
    }
    throwIfAborted(options.signal);
    const b = j.binding!;
    const what = `tensor '${t.name}' (${ggmlTypeName(t.type)} [${t.dims.join(', ')}])`;
    if (j.kind === 'lut' || j.kind === 'mad') {
      // split by row blocks over the pool's kernel workers when there is a pool
      const rc = ex.lt_repack_weight(j.ptr, t.type, stage, b.ne1, b.ne0, LT_KIND[j.kind]);
      if (rc !== 0) throw new LutraError('INTERNAL', `Repacking ${what} failed: ${statusName(rc)}`);
      if (ex.lt_model_set_tensor_packed(model, b.layer, b.slot, t.type, b.ne0, b.ne1, j.ptr, LT_KIND[j.kind]) !== 0) {
        throw statusError(ex, `Binding ${what}`);
      }
    } else {
      let type = t.type;
      if (j.kind === 'dequant-f32' || j.kind === 'dequant-q8_0') {
        const raw = new Uint8Array(kernels.memory.buffer, stage, t.byteSize).slice();
        const n = b.ne0 * b.ne1;
        const x = dequantize(t.type, raw, n);
        if (j.kind === 'dequant-f32') {
          new Float32Array(kernels.memory.buffer, j.ptr, n).set(x);
          type = GGMLType.F32;
        } else {
          new Uint8Array(kernels.memory.buffer, j.ptr, (n / 32) * 34).set(quantize(GGMLType.Q8_0, x));
          type = GGMLType.Q8_0;
        }
      }
      if (ex.lt_model_set_tensor(model, b.layer, b.slot, type, b.ne0, b.ne1, j.ptr) !== 0) {
        throw statusError(ex, `Binding ${what}`);
      }
    }
    tensorsDone++;
    options.onProgress?.(loaded, weightBytes, tensorsDone, bindings.length);
  };
  await Promise.all(lanes.map(async (lane, i) => {
    for (const j of lane) await runJob(j, staging[i]);
  }));
  if (ex.lt_model_check(model) !== 0) throw statusError(ex, 'Checking the model');

  // RoPE frequency adjustments: per-dimension divisors and linear position scaling
  if (ropeFactors || c.ropeFreqScale !== 1) {
    const inv = new Float32Array(kernels.memory.buffer, ptr(ex.lt_model_rope_freqs(model)), c.ropeDim / 2);
    for (let i = 0; i < inv.length; i++) inv[i] = (inv[i] * c.ropeFreqScale) / (ropeFactors ? ropeFactors[i] : 1);
  }

  const logitsPtr = ptr(ex.lt_model_logits(model));
  const blockPtr = ptr(ex.lt_alloc(PREFILL_BLOCK * 4, 16)); // the token ids of one prefill block
  if (blockPtr === 0) throw new OutOfMemoryError('Out of wasm memory for the prefill block');
  let logits = new Float32Array(kernels.memory.buffer, logitsPtr, c.vocabSize);
  let disposed = false;

  return {
    config,
    tiedOutput,
    flavor,
    kernels,
    kernelChoice,
    kernelCalibration,
    ternaryTables,
    memoryBytes: kernels.memory.buffer.byteLength,
    forward(token: number, pos: number): Float32Array {
      if (disposed) throw new NotLoadedError('This model was disposed');
      if (!Number.isInteger(token) || token < 0 || token >= c.vocabSize) {
        throw new InvalidArgumentError(`token ${token} is outside the vocabulary (0..${c.vocabSize - 1})`);
      }
      if (!Number.isInteger(pos) || pos < 0 || pos >= c.contextLength) {
        throw new InvalidArgumentError(`position ${pos} is outside the context (0..${c.contextLength - 1})`);
      }
      if (ex.lt_forward(model, token, pos) === 0) throw statusError(ex, `forward(token ${token}, position ${pos})`);
      if (logits.buffer !== kernels.memory.buffer) logits = new Float32Array(kernels.memory.buffer, logitsPtr, c.vocabSize);
      return logits;
    },
    prefill(tokens: readonly number[], pos: number): Float32Array {
      if (disposed) throw new NotLoadedError('This model was disposed');
      if (tokens.length === 0) throw new InvalidArgumentError('prefill needs at least one token');
      if (!Number.isInteger(pos) || pos < 0 || pos + tokens.length > c.contextLength) {
        throw new InvalidArgumentError(`positions ${pos}..${pos + tokens.length - 1} are outside the context (0..${c.contextLength - 1})`);
      }
      for (let i = 0; i < tokens.length; i += PREFILL_BLOCK) {
        const n = Math.min(PREFILL_BLOCK, tokens.length - i);
        const ids = new Int32Array(kernels.memory.buffer, blockPtr, n);
        for (let j = 0; j < n; j++) {
          const t = tokens[i + j];
          if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new InvalidArgumentError(`token ${t} is outside the vocabulary (0..${c.vocabSize - 1})`);
          ids[j] = t;
        }
        if (ex.lt_forward_block(model, blockPtr, n, pos + i) === 0) throw statusError(ex, `prefill(${n} tokens at position ${pos + i})`);
      }
      if (logits.buffer !== kernels.memory.buffer) logits = new Float32Array(kernels.memory.buffer, logitsPtr, c.vocabSize);
      return logits;
    },
    dispose() {
      disposed = true;
    },
  };
}
