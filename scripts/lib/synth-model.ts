/**
 * Synthetic GGUF models: real architectures and shapes, random weights (fixed
 * seed), any tensor type src/quant can write, and a real tokenizer section copied
 * from a vocab GGUF. Used by `npm run make-model` (scripts/make-model.ts).
 *
 * What llama.cpp expects, and where it was checked (llama.cpp's llama-arch.cpp
 * tensor-name table and its per-architecture loaders, gguf-py's constants):
 * - metadata `general.architecture`; `<arch>.context_length`, `.embedding_length`,
 *   `.block_count`, `.feed_forward_length`, `.attention.head_count`,
 *   `.attention.head_count_kv`, `.rope.dimension_count`, `.rope.freq_base`,
 *   `.attention.layer_norm_rms_epsilon` (and `.attention.key_length`/`.value_length`
 *   when head_dim ≠ n_embd / n_head); `general.quantization_version` = 2;
 *   `general.file_type` (llama_ftype) where the ftype is unambiguous.
 * - tensor names and ne[] (row length first): `token_embd.weight` [n_embd, n_vocab],
 *   `output_norm.weight` [n_embd], `output.weight` [n_embd, n_vocab] (absent = tied),
 *   `blk.N.attn_norm.weight` [n_embd], `blk.N.attn_q.weight` [n_embd, n_head·hd],
 *   `attn_k`/`attn_v` [n_embd, n_head_kv·hd], `attn_output` [n_head·hd, n_embd],
 *   `ffn_norm` [n_embd], `ffn_gate`/`ffn_up` [n_embd, n_ff], `ffn_down` [n_ff, n_embd].
 *   qwen2 adds `blk.N.attn_{q,k,v}.bias`; bitnet adds `blk.N.attn_sub_norm.weight`
 *   [n_embd] and `blk.N.ffn_sub_norm.weight` [n_ff] and always uses token_embd as its
 *   output head (llama.cpp's bitnet loader creates no output tensor). Llama 3.x adds
 *   `rope_freqs.weight` [head_dim/2] (its "llama3" RoPE scaling, as convert_hf_to_gguf.py
 *   computes the factors).
 * - block layouts: src/quant (ggml-common.h); a matrix whose row length is not a
 *   multiple of its type's block falls back the way llama.cpp's quantizer does
 *   (Q2_K/Q3_K → IQ4_NL, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, TQ* → Q4_0 ...).
 *
 * Architecture notes:
 * - bitnet: upstream llama.cpp's `bitnet` graph (attn_sub_norm before attn_output,
 *   ffn_sub_norm before ffn_down, NeoX RoPE, tied output). BitNet b1.58 2B4T uses a
 *   squared-ReLU FFN (`hidden_act: relu2`; microsoft/BitNet's fork calls that
 *   architecture `bitnet-b1.58`); upstream's `bitnet` defaults to SiLU unless the file
 *   names the activation in `<arch>.hidden_activation` (LLM_KV_HIDDEN_ACT; the official
 *   2B-4T config says "relu2"), so bitnet files carry `hidden_activation = "relu2"`
 *   (older llama.cpp builds ignore the key). The reference forward pass (test/reference)
 *   computes squared ReLU too. Its linear weights are written ternary (s·{−1, 0, 1}) in every type,
 *   as a trained b1.58 model's are. `general.architecture` is `bitnet` (upstream
 *   llama.cpp, which reads TQ1_0/TQ2_0) except for I2_S, which only BitNet's fork reads:
 *   there it is the fork's `bitnet-b1.58` (same tensor names, NeoX RoPE, squared ReLU);
 *   `archName` overrides either way.
 */
import { GGUFWriter, type GGUFWriterTensor, type TensorBytes } from '../../src/gguf/writer.ts';
import { GGUFValueType, type GGUFFile } from '../../src/gguf/types.ts';
import { GGMLType, ggmlTypeInfo, ggmlTypeName } from '../../src/gguf/ggml-types.ts';
import { quantCodec, quantizeI2SBody, i2sTrailer, roundF16, QK_I2_S } from '../../src/quant/index.ts';
import { Gaussian, seedFor } from './random.ts';

export type Arch = 'llama' | 'qwen2' | 'bitnet';

export interface ModelShape {
  arch: Arch;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  contextLength: number;
  ropeBase: number;
  rmsEps: number;
  tiedOutput: boolean;
  qkvBias: boolean;
  /** Llama 3 RoPE scaling (rope_freqs.weight). */
  llama3Rope?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalContext: number };
  /** Vocab GGUF (relative to testdata/vocab) used when none is given. */
  vocab: string;
  /** Vocab size of the real model (informational: the written vocab is the tokenizer's). */
  realVocab: number;
}

export const PRESETS: Record<string, ModelShape> = {
  // meta-llama/Llama-3.2-1B config.json
  'llama-3.2-1b': {
    arch: 'llama', nEmbd: 2048, nLayer: 16, nHead: 32, nHeadKv: 8, headDim: 64, nFf: 8192,
    contextLength: 131072, ropeBase: 500000, rmsEps: 1e-5, tiedOutput: true, qkvBias: false,
    llama3Rope: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8192 },
    vocab: 'ggml-vocab-llama-spm.gguf', realVocab: 128256,
  },
  // Qwen/Qwen2.5-0.5B config.json
  'qwen2.5-0.5b': {
    arch: 'qwen2', nEmbd: 896, nLayer: 24, nHead: 14, nHeadKv: 2, headDim: 64, nFf: 4864,
    contextLength: 32768, ropeBase: 1000000, rmsEps: 1e-6, tiedOutput: true, qkvBias: true,
    vocab: 'ggml-vocab-gpt-2.gguf', realVocab: 151936,
  },
  // microsoft/bitnet-b1.58-2B-4T config.json
  'bitnet-b1.58-2b': {
    arch: 'bitnet', nEmbd: 2560, nLayer: 30, nHead: 20, nHeadKv: 5, headDim: 128, nFf: 6912,
    contextLength: 4096, ropeBase: 500000, rmsEps: 1e-5, tiedOutput: true, qkvBias: false,
    vocab: 'ggml-vocab-llama-spm.gguf', realVocab: 128256,
  },
  // Llama 2 7B
  'llama-7b': {
    arch: 'llama', nEmbd: 4096, nLayer: 32, nHead: 32, nHeadKv: 32, headDim: 128, nFf: 11008,
    contextLength: 4096, ropeBase: 10000, rmsEps: 1e-5, tiedOutput: false, qkvBias: false,
    vocab: 'ggml-vocab-llama-spm.gguf', realVocab: 32000,
  },
};

/** Types make-model writes for linear weights. */
export const WEIGHT_TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K',
  'IQ4_NL', 'TQ1_0', 'TQ2_0', 'I2_S'] as const;
export type WeightTypeName = (typeof WEIGHT_TYPES)[number];

const FLOAT_TYPES = new Set<number>([GGMLType.F32, GGMLType.F16, GGMLType.BF16]);
const TERNARY_TYPES = new Set<number>([GGMLType.TQ1_0, GGMLType.TQ2_0, GGMLType.I2_S]);

/** llama.cpp's fallback when a row length is not a multiple of the type's block (llama-quant.cpp). */
const FALLBACK: Partial<Record<number, number>> = {
  [GGMLType.Q2_K]: GGMLType.IQ4_NL, [GGMLType.Q3_K]: GGMLType.IQ4_NL, [GGMLType.TQ1_0]: GGMLType.Q4_0,
  [GGMLType.TQ2_0]: GGMLType.Q4_0, [GGMLType.Q4_K]: GGMLType.Q5_0, [GGMLType.Q5_K]: GGMLType.Q5_1,
  [GGMLType.Q6_K]: GGMLType.Q8_0, [GGMLType.I2_S]: GGMLType.Q4_0,
};

/** llama_ftype for `general.file_type`, where the main type names one (K-quants: the _M mix names). */
const FILE_TYPE: Partial<Record<number, number>> = {
  [GGMLType.F32]: 0, [GGMLType.F16]: 1, [GGMLType.Q4_0]: 2, [GGMLType.Q4_1]: 3, [GGMLType.Q8_0]: 7,
  [GGMLType.Q5_0]: 8, [GGMLType.Q5_1]: 9, [GGMLType.Q2_K]: 10, [GGMLType.Q3_K]: 12, [GGMLType.Q4_K]: 15,
  [GGMLType.Q5_K]: 17, [GGMLType.Q6_K]: 18, [GGMLType.IQ4_NL]: 25, [GGMLType.BF16]: 32,
  [GGMLType.TQ1_0]: 36, [GGMLType.TQ2_0]: 37,
};

export function typeId(name: string): number {
  const id = (GGMLType as Record<string, number>)[name.toUpperCase()];
  if (id === undefined || !(WEIGHT_TYPES as readonly string[]).includes(name.toUpperCase())) {
    throw new Error(`unknown or unsupported tensor type '${name}' (supported: ${WEIGHT_TYPES.join(', ')})`);
  }
  return id;
}

function granule(type: number): number {
  return type === GGMLType.I2_S ? QK_I2_S : ggmlTypeInfo(type)!.blockSize;
}

export interface SynthOptions {
  preset: string;
  /** Type of the linear weights (attention and FFN matrices). */
  type: string;
  /** token_embd type; default: the main type if it is a float type, F16 for ternary types, else Q8_0. */
  embdType?: string;
  /** output.weight type (untied models); default: Q8_0 for Q8_0/float main types (F16 for F16...), else Q6_K. */
  outputType?: string;
  /** Keep only the first N layers (same width). */
  layers?: number;
  /** Narrow variants for tests: override widths (heads derive from head_dim, GQA ratio kept). */
  embd?: number;
  ff?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  /** The tokenizer's vocab GGUF (parsed). */
  vocab: GGUFFile;
  vocabName?: string;
  seed?: number;
  /** Standard deviation of linear weights and embeddings (default 0.02). */
  std?: number;
  /** bitnet preset only: `bitnet` or `bitnet-b1.58` (default: bitnet-b1.58 for I2_S, else bitnet). */
  archName?: string;
}

export interface SynthTensor {
  name: string;
  type: number;
  dims: number[];
  kind: 'linear' | 'embd' | 'output' | 'norm' | 'bias' | 'rope_freqs';
  /** The type asked for, when the row length forced a fallback. */
  requestedType?: number;
}

export interface SynthPlan {
  shape: ModelShape;
  /** `general.architecture` as written. */
  archName: string;
  nVocab: number;
  writer: GGUFWriter;
  tensors: SynthTensor[];
  /** Bytes of each tensor, generated and quantized in row chunks. */
  data: (t: GGUFWriterTensor) => TensorBytes;
  fallbacks: string[];
}

export function resolveShape(o: Omit<SynthOptions, 'vocab' | 'type'>): ModelShape {
  const p = PRESETS[o.preset];
  if (!p) throw new Error(`unknown model '${o.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const headDim = o.headDim ?? p.headDim;
  const nEmbd = o.embd ?? p.nEmbd;
  const nHead = o.heads ?? (o.embd !== undefined || o.headDim !== undefined ? Math.max(1, Math.round(nEmbd / headDim)) : p.nHead);
  const ratio = p.nHead / p.nHeadKv;
  const nHeadKv = o.kvHeads ?? Math.max(1, Math.floor(nHead / ratio));
  if (nHead % nHeadKv !== 0) throw new Error(`head count ${nHead} is not a multiple of the KV head count ${nHeadKv}`);
  const nLayer = o.layers ?? p.nLayer;
  if (!(nLayer >= 1 && nLayer <= p.nLayer * 4)) throw new Error(`invalid layer count ${o.layers}`);
  if (p.arch === 'bitnet' && nHead * headDim !== nEmbd) {
    throw new Error(`bitnet needs n_head·head_dim = n_embd (llama.cpp's loader assumes it): ${nHead}·${headDim} ≠ ${nEmbd}`);
  }
  return { ...p, nEmbd, nHead, nHeadKv, headDim, nLayer, nFf: o.ff ?? p.nFf };
}

/** Llama 3 "llama3" RoPE frequency divisors, as convert_hf_to_gguf.py computes them. */
export function llama3RopeFactors(headDim: number, base: number, s: NonNullable<ModelShape['llama3Rope']>): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWavelen = s.originalContext / s.lowFreqFactor, highWavelen = s.originalContext / s.highFreqFactor;
  for (let i = 0; i < headDim / 2; i++) {
    const freq = 1 / base ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}

export function planModel(o: SynthOptions): SynthPlan {
  const shape = resolveShape(o);
  const main = typeId(o.type);
  const tokens = o.vocab.metadata.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens)) throw new Error('the vocab file has no tokenizer.ggml.tokens');
  const nVocab = tokens.length;
  const s = shape;
  const arch = s.arch === 'bitnet' ? (o.archName ?? (main === GGMLType.I2_S ? 'bitnet-b1.58' : 'bitnet')) : s.arch;
  if (o.archName !== undefined && o.archName !== arch) throw new Error(`--arch-name only applies to bitnet (bitnet | bitnet-b1.58)`);
  if (s.arch === 'bitnet' && arch !== 'bitnet' && arch !== 'bitnet-b1.58') throw new Error(`bitnet architecture name must be bitnet or bitnet-b1.58, not '${arch}'`);
  const seed = o.seed ?? 1;
  const std = o.std ?? 0.02;
  const isFloat = FLOAT_TYPES.has(main), isTernary = TERNARY_TYPES.has(main);
  const bitnet = s.arch === 'bitnet';
  const embdType = o.embdType ? typeId(o.embdType) : isFloat ? main : isTernary ? GGMLType.F16 : GGMLType.Q8_0;
  const outputType = o.outputType ? typeId(o.outputType) : isFloat ? main : main === GGMLType.Q8_0 ? GGMLType.Q8_0 : GGMLType.Q6_K;

  const w = new GGUFWriter();
  const name = `lutra synthetic ${o.preset}${o.layers ? ` ${s.nLayer}L` : ''} ${ggmlTypeName(main)}`;
  w.string('general.architecture', arch);
  w.string('general.name', name);
  w.string('general.description', `random weights (seed ${seed}, std ${std}); shape of ${o.preset}; tokenizer from ${o.vocabName ?? 'a vocab file'}` +
    (bitnet ? '; FFN activation: squared ReLU (BitNet b1.58)' : ''));
  if (FILE_TYPE[main] !== undefined) w.u32('general.file_type', FILE_TYPE[main]!);
  w.u32('general.quantization_version', 2);
  const k = (key: string) => `${arch}.${key}`;
  w.u32(k('vocab_size'), nVocab);
  w.u32(k('context_length'), s.contextLength);
  w.u32(k('embedding_length'), s.nEmbd);
  w.u32(k('block_count'), s.nLayer);
  w.u32(k('feed_forward_length'), s.nFf);
  w.u32(k('attention.head_count'), s.nHead);
  w.u32(k('attention.head_count_kv'), s.nHeadKv);
  if (s.nHead * s.headDim !== s.nEmbd) {
    w.u32(k('attention.key_length'), s.headDim);
    w.u32(k('attention.value_length'), s.headDim);
  }
  w.u32(k('rope.dimension_count'), s.headDim);
  w.f32(k('rope.freq_base'), s.ropeBase);
  w.f32(k('attention.layer_norm_rms_epsilon'), s.rmsEps);
  if (bitnet) w.string(k('hidden_activation'), 'relu2');
  w.copyMetadata(o.vocab, (key) => key.startsWith('tokenizer.'), {
    'tokenizer.ggml.bos_token_id': GGUFValueType.UINT32, 'tokenizer.ggml.eos_token_id': GGUFValueType.UINT32,
    'tokenizer.ggml.unknown_token_id': GGUFValueType.UINT32, 'tokenizer.ggml.padding_token_id': GGUFValueType.UINT32,
    'tokenizer.ggml.seperator_token_id': GGUFValueType.UINT32, 'tokenizer.ggml.eot_token_id': GGUFValueType.UINT32,
  });

  const tensors: SynthTensor[] = [];
  const fallbacks: string[] = [];
  const add = (tname: string, type: number, dims: number[], kind: SynthTensor['kind']) => {
    let t = type, requested: number | undefined;
    if (dims[0] % granule(t) !== 0) {
      requested = t;
      t = FALLBACK[t] ?? GGMLType.F16;
      if (dims[0] % granule(t) !== 0) t = GGMLType.F16;
      fallbacks.push(`${tname}: ${ggmlTypeName(requested)} → ${ggmlTypeName(t)} (row length ${dims[0]})`);
    }
    tensors.push({ name: tname, type: t, dims, kind, requestedType: requested });
  };
  const qDim = s.nHead * s.headDim, kvDim = s.nHeadKv * s.headDim;
  add('token_embd.weight', embdType, [s.nEmbd, nVocab], 'embd');
  if (s.llama3Rope) add('rope_freqs.weight', GGMLType.F32, [s.headDim / 2], 'rope_freqs');
  add('output_norm.weight', GGMLType.F32, [s.nEmbd], 'norm');
  if (!s.tiedOutput) add('output.weight', outputType, [s.nEmbd, nVocab], 'output');
  for (let i = 0; i < s.nLayer; i++) {
    const b = `blk.${i}.`;
    add(b + 'attn_norm.weight', GGMLType.F32, [s.nEmbd], 'norm');
    add(b + 'attn_q.weight', main, [s.nEmbd, qDim], 'linear');
    if (s.qkvBias) add(b + 'attn_q.bias', GGMLType.F32, [qDim], 'bias');
    add(b + 'attn_k.weight', main, [s.nEmbd, kvDim], 'linear');
    if (s.qkvBias) add(b + 'attn_k.bias', GGMLType.F32, [kvDim], 'bias');
    add(b + 'attn_v.weight', main, [s.nEmbd, kvDim], 'linear');
    if (s.qkvBias) add(b + 'attn_v.bias', GGMLType.F32, [kvDim], 'bias');
    if (bitnet) add(b + 'attn_sub_norm.weight', GGMLType.F32, [qDim], 'norm');
    add(b + 'attn_output.weight', main, [qDim, s.nEmbd], 'linear');
    add(b + 'ffn_norm.weight', GGMLType.F32, [s.nEmbd], 'norm');
    add(b + 'ffn_gate.weight', main, [s.nEmbd, s.nFf], 'linear');
    add(b + 'ffn_up.weight', main, [s.nEmbd, s.nFf], 'linear');
    if (bitnet) add(b + 'ffn_sub_norm.weight', GGMLType.F32, [s.nFf], 'norm');
    add(b + 'ffn_down.weight', main, [s.nFf, s.nEmbd], 'linear');
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const t of tensors) w.addTensor(t.name, t.type, t.dims);

  // Ternary weights s·{−1, 0, +1} with std ≈ `std` (P(0) = 1/3 → std = s·√(2/3)); s an f16 value so
  // TQ1_0/TQ2_0 (f16 scale per block = max |x|) hold them exactly.
  const ternaryScale = roundF16(std / Math.sqrt(2 / 3));
  const ternaryLinear = bitnet || isTernary;

  function* generate(t: SynthTensor): Generator<Float32Array> {
    const g = new Gaussian(seedFor(seed, t.name));
    const n = t.dims.reduce((a, b) => a * b, 1);
    const row = t.dims[0];
    const chunkRows = Math.max(1, Math.floor((1 << 20) / row));
    for (let r0 = 0; r0 * row < n; r0 += chunkRows) {
      const m = Math.min(chunkRows * row, n - r0 * row);
      let x: Float32Array;
      if (t.kind === 'rope_freqs') x = llama3RopeFactors(s.headDim, s.ropeBase, s.llama3Rope!);
      else if (t.kind === 'norm') x = g.fill(m, 0.05, 1);
      else if (t.kind === 'bias') x = g.fill(m, std);
      else if (t.kind === 'linear' && ternaryLinear) {
        x = new Float32Array(m);
        for (let i = 0; i < m; i++) x[i] = ternaryScale * (Math.floor(g.uniform() * 3) - 1);
      } else x = g.fill(m, std);
      yield x;
    }
  }

  function* data(wt: GGUFWriterTensor): Generator<Uint8Array> {
    const t = byName.get(wt.name)!;
    if (t.type === GGMLType.I2_S) {
      // one f32 scale per tensor: the ternary scale the weights were drawn with
      for (const x of generate(t)) yield quantizeI2SBody(x, ternaryScale);
      yield i2sTrailer(ternaryScale);
      return;
    }
    const codec = quantCodec(t.type);
    for (const x of generate(t)) yield codec.quantize(x);
  }

  return { shape, archName: arch, nVocab, writer: w, tensors, data, fallbacks };
}
