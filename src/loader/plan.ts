/**
 * Memory planning: before a single byte of tensor data is read, compute how
 * much wasm memory a model needs with the requested context, and refuse at
 * once (OutOfMemoryError, with what is needed, what is available and what
 * would fit) when that is more than wasm32 can address or the user's budget.
 *
 *   total = module base (static data + main stack)
 *         + weights, each as placed in memory (placedTensorBytes, per type)
 *         + KV cache (2 × layers × context × kv_dim × f32)
 *         + activations (per-token buffers, attention scores for the context)
 *         + scratch (tensor table, allocator slack)
 *         + one C stack per extra thread
 *
 * Everything that depends on the context is linear in it, so the longest
 * context that fits is a division (maxContextThatFits).
 */
import { OutOfMemoryError } from '../errors.ts';
import { GGMLType, ggmlTypeName } from '../gguf/ggml-types.ts';
import type { GGUFTensorInfo } from '../gguf/types.ts';
import type { LlamaConfig } from '../model/config.ts';
import { plannedBytes } from '../model/kernel-choice.ts';

export const WASM32_MAX_BYTES = 4 * 2 ** 30;
/** Static data, the main thread's C stack and the heap base, rounded up. */
export const MODULE_BASE_BYTES = 2 << 20;
/** Each kernel worker's C stack (the module is linked with a 1 MiB stack). */
export const THREAD_STACK_BYTES = 1 << 20;
/** Every tensor starts on this boundary in wasm memory. */
export const TENSOR_ALIGN = 64;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * Bytes a tensor of this type takes once placed in wasm memory, before
 * alignment. One entry per ggml type whose in-memory layout differs from the
 * GGUF block layout (a repacked LUT layout adds its entry here); every other
 * type is placed as stored.
 */
export const PLACED_SIZE: Partial<Record<number, (t: GGUFTensorInfo) => number>> = {
  [GGMLType.F32]: (t) => t.byteSize,
  [GGMLType.F16]: (t) => t.byteSize,
  [GGMLType.Q8_0]: (t) => t.byteSize,
};

export function placedTensorBytes(t: GGUFTensorInfo): number {
  const f = PLACED_SIZE[t.type];
  if (f) return align(f(t), TENSOR_ALIGN);
  // repacked (LUT / multiply-add layouts) or dequantized at load: src/model/kernel-choice.ts
  if (t.dims.length >= 2 && !(t.dims.length > 2 && t.dims.slice(2).some((d) => d !== 1))) {
    return align(plannedBytes(t, t.dims[0], t.dims[1]), TENSOR_ALIGN);
  }
  return align(t.byteSize, TENSOR_ALIGN);
}

/** One staging buffer per file region: the GGUF bytes of a repacked or dequantized tensor land there first. */
export function stagingBytes(tensors: readonly GGUFTensorInfo[]): number {
  let max = 0;
  for (const t of tensors) if (!PLACED_SIZE[t.type]) max = Math.max(max, t.byteSize);
  return align(max, TENSOR_ALIGN);
}

/** Tokens per prefill block (LT_NB in wasm/src/model/model.h). */
export const PREFILL_TOKENS = 8;

/** One thread's private buffers (lt_model_alloc_scratch): per block token, the normed input, Q8_0 quants,
 * a sub-normed input, LUT tables and MAD activations of the largest matmul input. */
export function threadScratchBytes(c: LlamaConfig): number {
  const maxK = Math.ceil(Math.max(c.embeddingLength, c.headCount * c.headDim, c.feedForwardLength) / 32) * 32;
  return PREFILL_TOKENS * (4 * Math.max(c.embeddingLength, c.headCount * c.headDim) + maxK + maxK / 8 + 4 * maxK + 8 * maxK + 16 + maxK / 2 + 64 +
    maxK * 2 + maxK / 2 + 64 + 128 + 64);
}

export interface RuntimeBytes {
  kvCache: number;
  activations: number;
  scratch: number;
}

/** What lt_model_new allocates (KV cache and activations), slightly over-estimated. */
export function llamaRuntimeBytes(c: LlamaConfig, contextLength = c.contextLength): RuntimeBytes {
  const qDim = c.headCount * c.headDim, kvDim = c.headCountKv * c.headDim;
  const maxK = Math.max(c.embeddingLength, qDim, c.feedForwardLength);
  const kvCache = 2 * c.blockCount * contextLength * kvDim * 4;
  // x, q, attention output, hb, hb2 and the RoPE angles hold a prefill block of PREFILL_TOKENS tokens
  const activations = 4 * (PREFILL_TOKENS * (c.embeddingLength + 2 * qDim + 2 * c.feedForwardLength + c.ropeDim) +
    Math.max(c.embeddingLength, qDim) + c.headCount * contextLength + c.vocabSize) + 2 * maxK +
    threadScratchBytes(c);
  // the tensor table (17 slots × 48 bytes per layer), allocator alignment slack, LUT tables and MAD activations
  const scratch = c.blockCount * 17 * 48 + 64 * 1024 + 20 * maxK;
  return { kvCache, activations, scratch };
}

export interface MemoryPlanOptions {
  /** Bytes the engine may use; default and maximum 4 GiB (wasm32). */
  memoryBudget?: number;
  /** Threads that run kernels (each extra one gets its own C stack); default 1. */
  threads?: number;
}

export interface MemoryPlan {
  contextLength: number;
  moduleBase: number;
  weights: number;
  kvCache: number;
  activations: number;
  scratch: number;
  stacks: number;
  /** Sum of the above: the size of the wasm memory to create. */
  total: number;
  /** What was available: min(memoryBudget, 4 GiB). */
  budget: number;
  /** Per-tensor placed size, in the order given. */
  tensorBytes: number[];
}

export function resolveBudget(memoryBudget: number | undefined): number {
  if (memoryBudget === undefined) return WASM32_MAX_BYTES;
  if (!(memoryBudget > 0) || !Number.isFinite(memoryBudget)) {
    throw new OutOfMemoryError(`memoryBudget must be a positive number of bytes, got ${memoryBudget}`);
  }
  return Math.min(memoryBudget, WASM32_MAX_BYTES);
}

/** The plan for `config` (at config.contextLength) with these weight tensors. Does not check the budget. */
export function planLlamaMemory(config: LlamaConfig, tensors: readonly GGUFTensorInfo[], options: MemoryPlanOptions = {}): MemoryPlan {
  const tensorBytes = tensors.map(placedTensorBytes);
  const weights = tensorBytes.reduce((s, b) => s + b, 0) + stagingBytes(tensors);
  const { kvCache, activations, scratch } = llamaRuntimeBytes(config);
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const stacks = (threads - 1) * (THREAD_STACK_BYTES + threadScratchBytes(config));
  const total = MODULE_BASE_BYTES + weights + kvCache + activations + scratch + stacks;
  return {
    contextLength: config.contextLength, moduleBase: MODULE_BASE_BYTES, weights, kvCache, activations, scratch, stacks,
    total, budget: resolveBudget(options.memoryBudget), tensorBytes,
  };
}

/** Longest context (a multiple of 16 when ≥ 16) for which the plan stays within its budget; 0 when none does. */
export function maxContextThatFits(config: LlamaConfig, plan: MemoryPlan): number {
  const at0 = llamaRuntimeBytes(config, 0);
  const at1 = llamaRuntimeBytes(config, 1);
  const fixed = plan.total - (plan.kvCache + plan.activations + plan.scratch) + at0.kvCache + at0.activations + at0.scratch;
  const perToken = at1.kvCache + at1.activations - at0.kvCache - at0.activations;
  if (fixed + perToken > plan.budget) return 0;
  const n = Math.min(config.trainedContextLength, Math.floor((plan.budget - fixed) / perToken));
  return n >= 16 ? n - (n % 16) : n;
}

const gib = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

/**
 * Throws OutOfMemoryError when the plan exceeds its budget, saying how much is
 * needed, how much is available, and what would fit: the longest context, or
 * (when even the weights do not fit) how many bits per weight would.
 */
export function checkMemoryPlan(config: LlamaConfig, plan: MemoryPlan, tensors: readonly GGUFTensorInfo[], budgetSource: 'wasm32' | 'memoryBudget'): void {
  if (plan.total <= plan.budget) return;
  const limit = budgetSource === 'memoryBudget' ? 'the memoryBudget you set' : 'the 4 GiB a wasm32 module can address';
  const parts = `weights ${gib(plan.weights)} + KV cache for ${plan.contextLength} tokens ${gib(plan.kvCache)} + ` +
    `activations ${gib(plan.activations)} + scratch and stacks ${gib(plan.scratch + plan.stacks + plan.moduleBase)}`;
  const maxContext = maxContextThatFits(config, plan);
  let advice: string;
  let bitsPerWeight: number | undefined;
  if (maxContext >= 16) {
    advice = `A context of up to ${maxContext} tokens fits (contextLength: ${maxContext}), or use a smaller quantization.`;
  } else {
    const params = tensors.reduce((s, t) => s + t.nElements, 0);
    const small = Math.min(256, config.contextLength);
    const rt = llamaRuntimeBytes(config, small);
    const room = plan.budget - (plan.moduleBase + plan.stacks + rt.kvCache + rt.activations + rt.scratch);
    bitsPerWeight = room > 0 && params > 0 ? Math.floor((room * 8 * 10) / params) / 10 : 0;
    const types = [...new Set(tensors.map((t) => ggmlTypeName(t.type)))].join('/');
    advice = bitsPerWeight > 0
      ? `The weights alone (${types}, ${params >= 1e9 ? `${(params / 1e9).toFixed(2)}B` : `${(params / 1e6).toFixed(2)}M`} parameters) do not fit: a quantization of at most ` +
        `~${bitsPerWeight} bits per weight would (with a ${small}-token context).`
      : 'Even a tiny context and 1-bit weights would not fit.';
  }
  throw new OutOfMemoryError(
    `The model needs ${gib(plan.total)} (${parts}) but ${gib(plan.budget)} is available (${limit}). ${advice}`,
    { needed: plan.total, available: plan.budget, maxContextLength: maxContext >= 16 ? maxContext : undefined, bitsPerWeight },
  );
}
