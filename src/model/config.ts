/**
 * A llama-architecture model's hyperparameters, read from GGUF metadata the
 * way llama.cpp reads them (`<arch>.*` keys), and checked against what
 * lutra's forward pass (wasm/src/model/forward.c) implements.
 */
import { GGUFFormatError, InvalidArgumentError, UnsupportedModelError } from '../errors.ts';
import { architecture, getInteger, getNumber, getString, requireInteger } from '../gguf/metadata.ts';
import type { GGUFFile } from '../gguf/types.ts';

export interface LlamaConfig {
  /** `general.architecture`. */
  architecture: string;
  vocabSize: number;
  /** n_embd */
  embeddingLength: number;
  /** n_layer */
  blockCount: number;
  /** n_ff */
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  /** Per-head dimension of queries and keys (and values): `attention.key_length`, default n_embd / n_head. */
  headDim: number;
  /** Dimensions of each head that RoPE rotates (`rope.dimension_count`, default head_dim). */
  ropeDim: number;
  /** NeoX RoPE rotates (i, i + ropeDim/2); normal (llama) RoPE rotates adjacent pairs. */
  ropeNeox: boolean;
  /** `rope.freq_base`, default 10000. */
  ropeBase: number;
  /** Linear RoPE scaling: positions are multiplied by this (1 / `rope.scaling.factor`); 1 = none. */
  ropeFreqScale: number;
  /** `attention.layer_norm_rms_epsilon`. */
  rmsEps: number;
  /** The context this model was loaded with (KV cache positions). */
  contextLength: number;
  /** `context_length`: what the model was trained for. */
  trainedContextLength: number;
}

/**
 * RoPE pairing by architecture, as llama.cpp decides it (llama_model_rope_type):
 * normal RoPE rotates consecutive pairs, NeoX RoPE pairs i with i + n_rot/2.
 * Only the GGUF architecture names are listed here; an architecture must also be
 * in SUPPORTED_ARCHITECTURES (its graph is the one forward.c computes) to load.
 */
const ROPE_NORMAL = new Set([
  'llama', 'deci', 'baichuan', 'starcoder', 'internlm2', 'minicpm', 'xverse', 'command-r', 'cohere2', 'olmo',
  'arctic', 'deepseek', 'deepseek2', 'chatglm', 'granite', 'granitemoe', 'chameleon', 'mistral3', 'smollm3', 'arcee',
]);
const ROPE_NEOX = new Set([
  'falcon', 'grok', 'dbrx', 'bert', 'nomic-bert', 'stablelm', 'bitnet', 'bitnet-b1.58', 'qwen', 'qwen2', 'qwen2moe', 'qwen3',
  'qwen3moe', 'olmo2', 'olmoe', 'phi2', 'phi3', 'phimoe', 'gemma', 'gemma2', 'gemma3', 'starcoder2', 'openelm',
  'gptneox', 'codeshell', 'nemotron', 'exaone', 'minicpm3',
]);

/**
 * Architectures whose graph is lutra's forward pass (RMSNorm, RoPE, GQA, gated FFN): llama;
 * qwen2 (q/k/v biases, NeoX RoPE); bitnet b1.58 (sub-norms before Wo and Wdown, squared ReLU
 * unless `<arch>.hidden_activation` says SiLU, NeoX RoPE; `bitnet-b1.58` is BitNet's fork's name).
 */
export const SUPPORTED_ARCHITECTURES: readonly string[] = ['llama', 'qwen2', 'bitnet', 'bitnet-b1.58'];

/** The graph variant of an architecture (lt_model_set_arch). */
export interface ArchGraph {
  qkvBias: boolean;
  subNorms: boolean;
  ffnAct: 'silu' | 'relu2';
}

export function archGraph(gguf: GGUFFile, arch: string): ArchGraph {
  if (arch === 'qwen2') return { qkvBias: true, subNorms: false, ffnAct: 'silu' };
  if (arch === 'bitnet' || arch === 'bitnet-b1.58') {
    const act = gguf.metadata.get(`${arch}.hidden_activation`);
    return { qkvBias: false, subNorms: true, ffnAct: act === 'silu' || act === 'swiglu' ? 'silu' : 'relu2' };
  }
  return { qkvBias: false, subNorms: false, ffnAct: 'silu' };
}

/** Is RoPE NeoX-style for this architecture? undefined when lutra does not know the architecture. */
export function ropeIsNeox(arch: string): boolean | undefined {
  if (ROPE_NORMAL.has(arch)) return false;
  if (ROPE_NEOX.has(arch)) return true;
  return undefined;
}

/** When no context length is requested: the trained one, capped (a 128k-token KV cache would not fit). */
export const DEFAULT_MAX_CONTEXT = 4096;

export interface ConfigOptions {
  /** KV cache positions; default min(trained context, DEFAULT_MAX_CONTEXT). May not exceed the trained context. */
  contextLength?: number;
}

function positiveInt(v: number, key: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new GGUFFormatError(`metadata key '${key}' is ${v}, expected a positive integer`);
  return v;
}

export function llamaConfigFromGGUF(gguf: GGUFFile, options: ConfigOptions = {}): LlamaConfig {
  const arch = architecture(gguf);
  if (!SUPPORTED_ARCHITECTURES.includes(arch)) {
    throw new UnsupportedModelError(
      `Architecture '${arch}' is not supported (lutra runs: ${SUPPORTED_ARCHITECTURES.join(', ')})`,
    );
  }
  const key = (k: string) => `${arch}.${k}`;
  const int = (k: string) => positiveInt(requireInteger(gguf, key(k)), key(k));

  const embeddingLength = int('embedding_length');
  const blockCount = int('block_count');
  const feedForwardLength = int('feed_forward_length');
  const headCount = int('attention.head_count');
  const headCountKv = positiveInt(getInteger(gguf, key('attention.head_count_kv')) ?? headCount, key('attention.head_count_kv'));
  if (headCount % headCountKv !== 0) {
    throw new GGUFFormatError(`${key('attention.head_count')} (${headCount}) is not a multiple of head_count_kv (${headCountKv})`);
  }
  const keyLength = getInteger(gguf, key('attention.key_length'));
  const valueLength = getInteger(gguf, key('attention.value_length'));
  const headDim = positiveInt(keyLength ?? embeddingLength / headCount, key('attention.key_length'));
  if (valueLength !== undefined && valueLength !== headDim) {
    throw new UnsupportedModelError(`Different key and value head sizes (${headDim} and ${valueLength}) are not supported`);
  }
  const ropeDim = getInteger(gguf, key('rope.dimension_count')) ?? headDim;
  if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 !== 0) {
    throw new GGUFFormatError(`${key('rope.dimension_count')} is ${ropeDim}; expected an even number in 2..${headDim}`);
  }
  const ropeBase = getNumber(gguf, key('rope.freq_base')) ?? 10000;
  if (!(ropeBase > 0)) throw new GGUFFormatError(`${key('rope.freq_base')} is ${ropeBase}`);

  // RoPE scaling: none, or linear (positions divided by the factor); others change the graph
  const scalingType = getString(gguf, key('rope.scaling.type')) ?? 'none';
  let ropeFreqScale = 1;
  if (scalingType === 'linear') {
    const factor = getNumber(gguf, key('rope.scaling.factor')) ?? 1;
    if (!(factor > 0)) throw new GGUFFormatError(`${key('rope.scaling.factor')} is ${factor}`);
    ropeFreqScale = 1 / factor;
  } else if (scalingType !== 'none') {
    throw new UnsupportedModelError(`RoPE scaling type '${scalingType}' is not supported (supported: none, linear)`);
  }
  const rmsEps = getNumber(gguf, key('attention.layer_norm_rms_epsilon'));
  if (rmsEps === undefined || !(rmsEps >= 0)) {
    throw new GGUFFormatError(`missing or invalid metadata key '${key('attention.layer_norm_rms_epsilon')}'`);
  }
  const trainedContextLength = int('context_length');

  const embd = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd) throw new GGUFFormatError("the model has no 'token_embd.weight' tensor");
  if (embd.dims.length < 2 || embd.dims[0] !== embeddingLength) {
    throw new GGUFFormatError(`'token_embd.weight' has dimensions [${embd.dims.join(', ')}], expected [${embeddingLength}, n_vocab]`);
  }
  const vocabSize = embd.dims[1];

  const requested = options.contextLength;
  let contextLength = Math.min(trainedContextLength, DEFAULT_MAX_CONTEXT);
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested <= 0) {
      throw new InvalidArgumentError(`contextLength must be a positive integer, got ${requested}`);
    }
    if (requested > trainedContextLength) {
      throw new InvalidArgumentError(
        `contextLength ${requested} exceeds the model's trained context length (${trainedContextLength})`,
      );
    }
    contextLength = requested;
  }

  const neox = ropeIsNeox(arch);
  /* c8 ignore next -- every supported architecture has a known RoPE mode */
  if (neox === undefined) throw new UnsupportedModelError(`No RoPE mode known for architecture '${arch}'`);
  return {
    architecture: arch, vocabSize, embeddingLength, blockCount, feedForwardLength, headCount, headCountKv, headDim,
    ropeDim, ropeNeox: neox, ropeBase, ropeFreqScale, rmsEps, contextLength, trainedContextLength,
  };
}
