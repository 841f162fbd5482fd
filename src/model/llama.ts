/**
 * Loading a llama-architecture GGUF into wasm memory and running it one token
 * at a time.
 *
 *   config   ← GGUF metadata (config.ts)
 *   bindings ← tensor names → weight slots, types and shapes checked (tensors.ts)
 *   memory   ← one shared WebAssembly.Memory, sized for weights + KV cache + scratch
 *   C model  ← lt_model_new (KV cache, activations), then each tensor copied from
 *              the ByteSource into lt_alloc'd memory, one tensor (and at most
 *              16 MiB) at a time, and bound with lt_model_set_tensor
 *   forward  ← lt_forward: logits as a Float32Array view into wasm memory
 */
import { InvalidArgumentError, LutraError, NotLoadedError, OutOfMemoryError, UnsupportedModelError } from '../errors.ts';
import type { ByteSource } from '../gguf/reader.ts';
import type { GGUFFile } from '../gguf/types.ts';
import { ggmlTypeName } from '../gguf/ggml-types.ts';
import { detectFlavor, type SimdFlavor } from '../wasm/flavor.ts';
import { compileKernels, createSharedMemory, instantiateKernels, MAX_PAGES, WASM_PAGE, type KernelInstance } from '../wasm/module.ts';
import { lutraExports, ptr, Status, statusName, type LutraExports } from '../wasm/exports.ts';
import { llamaConfigFromGGUF, type LlamaConfig } from './config.ts';
import { bindLlamaTensors, type TensorBinding } from './tensors.ts';

export type { LlamaConfig } from './config.ts';

export interface LoadLlamaOptions {
  /** Which wasm build to run (default: the fastest this engine supports). Ignored when `kernels` is given. */
  flavor?: SimdFlavor;
  /** KV cache positions (default min(trained context, 4096)); at most the trained context. */
  contextLength?: number;
  /** Bytes of weights copied so far, of `total`. */
  onProgress?: (loaded: number, total: number) => void;
  /** Load into this instance's memory instead of creating a memory and instance. */
  kernels?: KernelInstance;
}

export interface LlamaModel {
  readonly config: LlamaConfig;
  /** Output head shares the embedding matrix. */
  readonly tiedOutput: boolean;
  readonly flavor: SimdFlavor | undefined;
  /** Size of the wasm memory after loading. */
  readonly memoryBytes: number;
  readonly kernels: KernelInstance;
  /**
   * Run token `token` at position `pos` (0-based; positions before it must have
   * been run already, in order, since they fill the KV cache). Returns the
   * logits: a view into wasm memory, overwritten by the next call.
   */
  forward(token: number, pos: number): Float32Array;
  /** Drop the references to the memory; forward() throws afterwards. */
  dispose(): void;
}

/** Largest slice read from the source at once, so a big tensor never needs one huge JS buffer. */
const READ_CHUNK = 16 << 20;
const TENSOR_ALIGN = 64;

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bytes lt_model_new allocates (KV cache and activations), slightly over-estimated. */
function runtimeBytes(c: LlamaConfig): number {
  const qDim = c.headCount * c.headDim, kvDim = c.headCountKv * c.headDim;
  const maxK = Math.max(c.embeddingLength, qDim, c.feedForwardLength);
  const kv = 2 * c.blockCount * c.contextLength * kvDim * 4;
  const act = 4 * (c.embeddingLength + 3 * Math.max(c.embeddingLength, qDim) + c.headCount * c.contextLength +
    2 * c.feedForwardLength + c.vocabSize + 3 * c.ropeDim) + 2 * maxK;
  return kv + act + c.blockCount * 9 * 32 + 64 * 1024;
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
  const initial = Math.max(16 << 20, plannedBytes + (2 << 20));
  if (initial > MAX_PAGES * WASM_PAGE) {
    throw new OutOfMemoryError(`The model needs about ${(plannedBytes / 2 ** 30).toFixed(2)} GiB; wasm32 memory is limited to 4 GiB`);
  }
  let memory: WebAssembly.Memory;
  try {
    memory = createSharedMemory(initial);
  } catch (e) {
    try {
      // engines that cannot reserve 4 GiB of address space may still manage just what is needed
      memory = createSharedMemory(initial, initial + (64 << 20));
    } catch {
      throw new OutOfMemoryError(`Could not create a wasm memory of ${(initial / 2 ** 20).toFixed(0)} MiB`, { cause: e });
    }
  }
  return instantiateKernels(module, memory);
}

async function copyTensor(source: ByteSource, kernels: KernelInstance, ex: LutraExports, b: TensorBinding,
  onBytes: (n: number) => void): Promise<number> {
  const t = b.tensor;
  const p = ptr(ex.lt_alloc(t.byteSize, TENSOR_ALIGN));
  if (p === 0) {
    throw new OutOfMemoryError(`Out of wasm memory while loading tensor '${t.name}' (${t.byteSize} bytes)`);
  }
  for (let done = 0; done < t.byteSize; ) {
    const n = Math.min(READ_CHUNK, t.byteSize - done);
    const bytes = await source.read(t.offset + done, n);
    // the memory may have grown since the last view was taken: always take a fresh one
    new Uint8Array(kernels.memory.buffer, p + done, n).set(bytes);
    done += n;
    onBytes(n);
  }
  return p;
}

export async function loadLlamaModel(gguf: GGUFFile, source: ByteSource, options: LoadLlamaOptions = {}): Promise<LlamaModel> {
  const config = llamaConfigFromGGUF(gguf, { contextLength: options.contextLength });
  const { bindings, tiedOutput, ropeFreqs } = bindLlamaTensors(gguf, config);
  const weightBytes = bindings.reduce((s, b) => s + align(b.tensor.byteSize, TENSOR_ALIGN), 0);

  const flavor = options.kernels ? undefined : (options.flavor ?? detectFlavor());
  const kernels = options.kernels ?? (await makeKernels(flavor!, weightBytes + runtimeBytes(config)));
  const ex = lutraExports(kernels.exports);

  const c = config;
  const model = ptr(ex.lt_model_new(c.vocabSize, c.embeddingLength, c.blockCount, c.headCount, c.headCountKv, c.headDim,
    c.feedForwardLength, c.contextLength, c.ropeDim, c.ropeNeox ? 1 : 0, c.ropeBase, c.rmsEps));
  if (model === 0) throw statusError(ex, `Allocating the KV cache and activations (context ${c.contextLength})`);

  // RoPE frequency adjustments: per-dimension divisors and linear position scaling
  if (ropeFreqs || c.ropeFreqScale !== 1) {
    const factors = ropeFreqs ? new Float32Array((await source.read(ropeFreqs.offset, ropeFreqs.byteSize)).slice().buffer) : undefined;
    const inv = new Float32Array(kernels.memory.buffer, ptr(ex.lt_model_rope_freqs(model)), c.ropeDim / 2);
    for (let i = 0; i < inv.length; i++) inv[i] = (inv[i] * c.ropeFreqScale) / (factors ? factors[i] : 1);
  }

  let loaded = 0;
  options.onProgress?.(0, weightBytes);
  for (const b of bindings) {
    const p = await copyTensor(source, kernels, ex, b, (n) => {
      loaded += n;
      options.onProgress?.(loaded, weightBytes);
    });
    if (ex.lt_model_set_tensor(model, b.layer, b.slot, b.tensor.type, b.ne0, b.ne1, p) !== 0) {
      throw statusError(ex, `Binding tensor '${b.tensor.name}' (${ggmlTypeName(b.tensor.type)} [${b.tensor.dims.join(', ')}])`);
    }
  }
  if (ex.lt_model_check(model) !== 0) throw statusError(ex, 'Checking the model');

  const logitsPtr = ptr(ex.lt_model_logits(model));
  let logits = new Float32Array(kernels.memory.buffer, logitsPtr, c.vocabSize);
  let disposed = false;

  return {
    config,
    tiedOutput,
    flavor,
    kernels,
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
    dispose() {
      disposed = true;
    },
  };
}
