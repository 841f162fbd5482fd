/**
 * Random llama-architecture GGUF files for tests and benchmarks: real shapes, random
 * weights (a fixed seed), F32 / F16 / Q8_0. Speed does not depend on the values;
 * correctness tests compare thread counts or a float64 reference on the same weights.
 *
 * The header comes from the test writer (test/gguf/writer.ts); tensor data is returned
 * per tensor so a big model can be handed to a Blob without one huge buffer.
 */
import { buildGGUF, type WKV, type WTensor } from '../gguf/writer.ts';
import { GGUFValueType } from '../../src/gguf/types.ts';
import { tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { quantize } from '../../src/quant/index.ts';

export interface SyntheticLlamaSpec {
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  contextLength: number;
  /** ggml type of the matrices: 0 F32, 1 F16, 8 Q8_0, or any type src/quant quantizes (norms are always F32). */
  type: number;
  seed: number;
  /** Share the output head with the embedding (no output.weight). */
  tied?: boolean;
  /**
   * Add a placeholder SPM vocabulary (<unk>, <s>, </s>, 256 byte tokens, then "▁t<i>"),
   * so the engine can tokenize a prompt (by byte fallback) and detokenize anything.
   */
  vocab?: boolean;
}

function vocabKV(nVocab: number): WKV[] {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [2, 3, 3];
  for (let b = 0; b < 256 && tokens.length < nVocab; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  while (tokens.length < nVocab) { tokens.push(`\u2581t${tokens.length}`); types.push(1); }
  return [
    { key: 'tokenizer.ggml.model', type: GGUFValueType.STRING, value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: GGUFValueType.ARRAY, value: { elemType: GGUFValueType.STRING, items: tokens } },
    { key: 'tokenizer.ggml.scores', type: GGUFValueType.ARRAY, value: { elemType: GGUFValueType.FLOAT32, items: tokens.map((_, i) => -i) } },
    { key: 'tokenizer.ggml.token_type', type: GGUFValueType.ARRAY, value: { elemType: GGUFValueType.INT32, items: types } },
    { key: 'tokenizer.ggml.bos_token_id', type: GGUFValueType.UINT32, value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', type: GGUFValueType.UINT32, value: 2 },
  ];
}

export interface SyntheticLlama {
  header: Uint8Array;
  /** Tensor data in file order; the file is header, then each part at its offset. */
  parts: Uint8Array[];
  /** Bytes from the end of the header (data start) to each part (padding included). */
  fileBytes: number;
  weightBytes: number;
}

/** xorshift32: fast enough for a gigabyte of weights. */
function filler(seed: number) {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function f32ToF16(x: number): number {
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, exp = ((u >>> 23) & 0xff) - 127 + 15, mant = (u >>> 13) & 0x3ff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | mant;
}

/** Random weights with values about ±scale. */
function randomTensor(type: number, n: number, scale: number, next: () => number): Uint8Array {
  if (type === 0) {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = ((next() / 4294967296) * 2 - 1) * scale;
    return new Uint8Array(a.buffer);
  }
  if (type === 1) {
    const a = new Uint16Array(n);
    // a few distinct halves of the right magnitude are enough
    const table = Array.from({ length: 256 }, (_, i) => f32ToF16(((i + 0.5) / 128 - 1) * scale));
    for (let i = 0; i < n; i++) a[i] = table[next() & 255];
    return new Uint8Array(a.buffer);
  }
  if (type !== 8) {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = ((next() / 4294967296) * 2 - 1) * scale;
    return quantize(type, a);
  }
  // Q8_0: 34-byte blocks, f16 scale then 32 int8 in -127..127
  const blocks = n / 32, out = new Uint8Array(blocks * 34);
  const d = f32ToF16(scale / 127);
  for (let b = 0; b < blocks; b++) {
    const o = b * 34;
    out[o] = d & 255; out[o + 1] = d >>> 8;
    for (let j = 0; j < 32; j += 4) {
      const r = next();
      for (let k = 0; k < 4; k++) out[o + 2 + j + k] = (((r >>> (8 * k)) & 255) % 255) - 127 & 255;
    }
  }
  return out;
}

export function syntheticLlama(s: SyntheticLlamaSpec): SyntheticLlama {
  const next = filler(s.seed);
  const headDim = s.nEmbd / s.nHead, kvDim = s.nHeadKv * headDim;
  const kv: WKV[] = [
    { key: 'general.architecture', type: GGUFValueType.STRING, value: 'llama' },
    { key: 'general.name', type: GGUFValueType.STRING, value: `synthetic-llama-${s.nEmbd}x${s.nLayer}` },
    { key: 'llama.context_length', type: GGUFValueType.UINT32, value: s.contextLength },
    { key: 'llama.embedding_length', type: GGUFValueType.UINT32, value: s.nEmbd },
    { key: 'llama.block_count', type: GGUFValueType.UINT32, value: s.nLayer },
    { key: 'llama.feed_forward_length', type: GGUFValueType.UINT32, value: s.nFf },
    { key: 'llama.attention.head_count', type: GGUFValueType.UINT32, value: s.nHead },
    { key: 'llama.attention.head_count_kv', type: GGUFValueType.UINT32, value: s.nHeadKv },
    { key: 'llama.rope.dimension_count', type: GGUFValueType.UINT32, value: headDim },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: GGUFValueType.FLOAT32, value: 1e-5 },
    ...(s.vocab ? vocabKV(s.nVocab) : []),
  ];
  const tensors: WTensor[] = [];
  const mat = (name: string, ne0: number, ne1: number, scale: number) =>
    tensors.push({ name, type: s.type, dims: [ne0, ne1], data: randomTensor(s.type, ne0 * ne1, scale, next) });
  const norm = (name: string) => {
    const a = new Float32Array(s.nEmbd);
    for (let i = 0; i < a.length; i++) a[i] = 1 + ((next() / 4294967296) - 0.5) * 0.2;
    tensors.push({ name, type: 0, dims: [s.nEmbd], data: new Uint8Array(a.buffer) });
  };
  const w = 1 / Math.sqrt(s.nEmbd);
  mat('token_embd.weight', s.nEmbd, s.nVocab, 1);
  norm('output_norm.weight');
  if (!s.tied) mat('output.weight', s.nEmbd, s.nVocab, w * 1.7);
  for (let l = 0; l < s.nLayer; l++) {
    norm(`blk.${l}.attn_norm.weight`);
    mat(`blk.${l}.attn_q.weight`, s.nEmbd, s.nEmbd, w * 1.7);
    mat(`blk.${l}.attn_k.weight`, s.nEmbd, kvDim, w * 1.7);
    mat(`blk.${l}.attn_v.weight`, s.nEmbd, kvDim, w * 1.7);
    mat(`blk.${l}.attn_output.weight`, s.nEmbd, s.nEmbd, w * 1.7);
    norm(`blk.${l}.ffn_norm.weight`);
    mat(`blk.${l}.ffn_gate.weight`, s.nEmbd, s.nFf, w * 1.7);
    mat(`blk.${l}.ffn_up.weight`, s.nEmbd, s.nFf, w * 1.7);
    mat(`blk.${l}.ffn_down.weight`, s.nFf, s.nEmbd, (1 / Math.sqrt(s.nFf)) * 1.7);
  }
  for (const t of tensors) {
    const n = t.dims.reduce<number>((p, d) => p * Number(d), 1);
    if (t.data!.length !== tensorByteSize(t.type, n)) throw new Error(`synthetic: ${String(t.name)} has the wrong size`);
  }
  const { bytes: header, offsets, dataOffset } = buildGGUF({ kv, tensors: tensors.map((t) => ({ ...t, data: undefined })), writeData: false });
  // parts with the alignment padding folded in, so header + parts is the file
  const parts: Uint8Array[] = [];
  let at = 0, weightBytes = 0;
  tensors.forEach((t, i) => {
    if (offsets[i] > at) parts.push(new Uint8Array(offsets[i] - at));
    parts.push(t.data!);
    at = offsets[i] + t.data!.length;
    weightBytes += t.data!.length;
  });
  return { header: header.subarray(0, dataOffset), parts, fileBytes: dataOffset + at, weightBytes };
}

/** The whole file in one buffer (small models). */
export function syntheticLlamaBytes(s: SyntheticLlamaSpec): Uint8Array {
  const m = syntheticLlama(s);
  const out = new Uint8Array(m.fileBytes);
  out.set(m.header, 0);
  let at = m.header.length;
  for (const p of m.parts) { out.set(p, at); at += p.length; }
  return out;
}
