/**
 * Test-only GGUF builders for the loader: a synthetic llama model of any
 * shape (random weights, fixed seed, stories260K's 512-token vocabulary so
 * the engine can tokenize), and llama.cpp-style splitting of a GGUF file into
 * parts (`split.no`, `split.count`, `split.tensors.count`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GGMLType, tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { GGUFValueType as T, type GGUFFile } from '../../src/gguf/types.ts';
import { testdata } from '../paths.ts';
import { buildGGUF, type WKV, type WTensor } from '../gguf/writer.ts';

export interface SynthShape {
  nEmbd: number;
  nLayer: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  ctx: number;
  /** Matrix type: F32, F16 or Q8_0. */
  type: number;
  seed?: number;
}

let vocabKV: WKV[] | undefined;
/** stories260K's tokenizer entries (512 tokens). */
export function storiesVocabKV(): WKV[] {
  if (vocabKV) return vocabKV;
  const g = parseGGUF(new Uint8Array(readFileSync(path.join(testdata, 'models', 'stories260K.gguf'))));
  const m = g.metadata;
  vocabKV = [
    { key: 'tokenizer.ggml.model', type: T.STRING, value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: T.ARRAY, value: { elemType: T.STRING, items: m.get('tokenizer.ggml.tokens') as string[] } },
    { key: 'tokenizer.ggml.scores', type: T.ARRAY, value: { elemType: T.FLOAT32, items: Array.from(m.get('tokenizer.ggml.scores') as Float32Array) } },
    { key: 'tokenizer.ggml.token_type', type: T.ARRAY, value: { elemType: T.INT32, items: Array.from(m.get('tokenizer.ggml.token_type') as Int32Array) } },
    { key: 'tokenizer.ggml.bos_token_id', type: T.UINT32, value: 1 },
    { key: 'tokenizer.ggml.eos_token_id', type: T.UINT32, value: 2 },
  ];
  return vocabKV;
}

/** xorshift32 bytes. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >> 2);
  let s = seed | 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    words[i] = s >>> 0;
  }
  return out;
}

/** Weights with sane magnitudes: F32/F16 small values, Q8_0 blocks with a small f16 scale. */
function weights(type: number, nElements: number, seed: number): Uint8Array {
  const bytes = tensorByteSize(type, nElements);
  if (type === GGMLType.F32) {
    const f = new Float32Array(nElements);
    const r = randomBytes(nElements, seed);
    for (let i = 0; i < nElements; i++) f[i] = (r[i] - 128) / 4096;
    return new Uint8Array(f.buffer);
  }
  const b = randomBytes(bytes, seed);
  if (type === GGMLType.F16) {
    const u = new Uint16Array(b.buffer);
    for (let i = 0; i < u.length; i++) u[i] = (u[i] & 0x83ff) | 0x1800; // |x| < 2^-9 · 2
  } else if (type === GGMLType.Q8_0) {
    for (let o = 0; o < bytes; o += 34) { b[o] = 0x00; b[o + 1] = 0x18; } // d = 2^-9
  }
  return b;
}

export function synthLlama(s: SynthShape): Uint8Array {
  const kv: WKV[] = [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'general.name', type: T.STRING, value: `synthetic-${s.nLayer}x${s.nEmbd}` },
    { key: 'llama.context_length', type: T.UINT32, value: s.ctx },
    { key: 'llama.embedding_length', type: T.UINT32, value: s.nEmbd },
    { key: 'llama.feed_forward_length', type: T.UINT32, value: s.nFf },
    { key: 'llama.attention.head_count', type: T.UINT32, value: s.nHead },
    { key: 'llama.attention.head_count_kv', type: T.UINT32, value: s.nHeadKv },
    { key: 'llama.block_count', type: T.UINT32, value: s.nLayer },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: T.FLOAT32, value: 1e-5 },
    ...storiesVocabKV(),
  ];
  const nVocab = 512;
  const headDim = s.nEmbd / s.nHead;
  const kvDim = headDim * s.nHeadKv;
  let seed = s.seed ?? 1;
  const t = (name: string, dims: number[], type: number): WTensor => {
    const n = dims.reduce((a, b) => a * b, 1);
    return { name, type, dims, data: weights(type, n, seed++) };
  };
  const norm = (name: string): WTensor => ({ name, type: GGMLType.F32, dims: [s.nEmbd], data: new Uint8Array(new Float32Array(s.nEmbd).fill(1).buffer) });
  const tensors: WTensor[] = [t('token_embd.weight', [s.nEmbd, nVocab], s.type), norm('output_norm.weight'), t('output.weight', [s.nEmbd, nVocab], s.type)];
  for (let l = 0; l < s.nLayer; l++) {
    tensors.push(
      norm(`blk.${l}.attn_norm.weight`),
      t(`blk.${l}.attn_q.weight`, [s.nEmbd, s.nEmbd], s.type),
      t(`blk.${l}.attn_k.weight`, [s.nEmbd, kvDim], s.type),
      t(`blk.${l}.attn_v.weight`, [s.nEmbd, kvDim], s.type),
      t(`blk.${l}.attn_output.weight`, [s.nEmbd, s.nEmbd], s.type),
      norm(`blk.${l}.ffn_norm.weight`),
      t(`blk.${l}.ffn_gate.weight`, [s.nEmbd, s.nFf], s.type),
      t(`blk.${l}.ffn_up.weight`, [s.nEmbd, s.nFf], s.type),
      t(`blk.${l}.ffn_down.weight`, [s.nFf, s.nEmbd], s.type),
    );
  }
  return buildGGUF({ kv, tensors }).bytes;
}

/** Walk a GGUF header's metadata to find where the tensor infos start (test-side, independent of the reader). */
function metadataEnd(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nKv = Number(dv.getBigUint64(16, true));
  let p = 24;
  const size = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];
  const skip = (type: number): void => {
    if (type === T.STRING) { p += 8 + Number(dv.getBigUint64(p, true)); return; }
    if (type === T.ARRAY) {
      const et = dv.getUint32(p, true);
      const n = Number(dv.getBigUint64(p + 4, true));
      p += 12;
      if (size[et] > 0) p += size[et] * n;
      else for (let i = 0; i < n; i++) skip(et);
      return;
    }
    p += size[type];
  };
  for (let i = 0; i < nKv; i++) {
    p += 8 + Number(dv.getBigUint64(p, true));
    const type = dv.getUint32(p, true);
    p += 4;
    skip(type);
  }
  return p;
}

/**
 * Split a GGUF file into `n` parts as llama.cpp's gguf-split does: part 1 keeps
 * every metadata entry, each part gets split.no/split.count (and part 1
 * split.tensors.count), tensors are dealt out in order.
 */
export function splitGGUF(file: Uint8Array, n: number): Uint8Array[] {
  const g: GGUFFile = parseGGUF(file);
  const kvBytes = file.subarray(24, metadataEnd(file));
  const nKv = g.metadata.size;
  const per = Math.ceil(g.tensors.length / n);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const ts = g.tensors.slice(i * per, (i + 1) * per);
    const extra: WKV[] = [
      { key: 'split.no', type: T.UINT16, value: i },
      { key: 'split.count', type: T.UINT16, value: n },
    ];
    if (i === 0) extra.push({ key: 'split.tensors.count', type: T.INT32, value: g.tensors.length });
    const tensors: WTensor[] = ts.map((t) => ({ name: t.name, type: t.type, dims: t.dims, data: file.slice(t.offset, t.offset + t.byteSize) }));
    // build with only the extra entries, then splice the original metadata in for part 1
    const built = buildGGUF({ kv: extra, tensors, alignment: g.alignment }).bytes;
    if (i > 0) { parts.push(built); continue; }
    const head = built.subarray(0, 24);
    const extraEnd = metadataEnd(built);
    const rest = built.subarray(24, extraEnd);
    const tail = built.subarray(extraEnd);
    // tensor data offsets are relative to the data section, but inserting metadata moves
    // the data section: rebuild the padding after the tensor infos
    const infosLen = tensorInfosLength(built, extraEnd, ts.length);
    const infos = tail.subarray(0, infosLen);
    const dataStart = alignUp(extraEnd + infosLen, g.alignment);
    const data = built.subarray(dataStart);
    const headerLen = 24 + kvBytes.length + rest.length + infos.length;
    const out = new Uint8Array(alignUp(headerLen, g.alignment) + data.length);
    out.set(head, 0);
    new DataView(out.buffer).setBigUint64(16, BigInt(nKv + extra.length), true);
    let p = 24;
    out.set(kvBytes, p); p += kvBytes.length;
    out.set(rest, p); p += rest.length;
    out.set(infos, p);
    out.set(data, alignUp(headerLen, g.alignment));
    parts.push(out);
  }
  return parts;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function tensorInfosLength(b: Uint8Array, start: number, n: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = start;
  for (let i = 0; i < n; i++) {
    p += 8 + Number(dv.getBigUint64(p, true));
    const nd = dv.getUint32(p, true);
    p += 4 + 8 * nd + 4 + 8;
  }
  return p - start;
}

/**
 * A llama header (with stories260K's vocab) and tensor infos only, for a model
 * of any size; `size` is where its tensor data would end. Serve it with zeros
 * after the header to fake a huge file.
 */
export function synthHeader(s: { nEmbd: number; nLayer: number; nFf: number; nHead: number; type: number }): { header: Uint8Array; size: number } {
  const kv: WKV[] = [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'llama.context_length', type: T.UINT32, value: 4096 },
    { key: 'llama.embedding_length', type: T.UINT32, value: s.nEmbd },
    { key: 'llama.feed_forward_length', type: T.UINT32, value: s.nFf },
    { key: 'llama.attention.head_count', type: T.UINT32, value: s.nHead },
    { key: 'llama.block_count', type: T.UINT32, value: s.nLayer },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: T.FLOAT32, value: 1e-5 },
    ...storiesVocabKV(),
  ];
  const nVocab = 512;
  const tensors: WTensor[] = [
    { name: 'token_embd.weight', type: s.type, dims: [s.nEmbd, nVocab] },
    { name: 'output_norm.weight', type: GGMLType.F32, dims: [s.nEmbd] },
    { name: 'output.weight', type: s.type, dims: [s.nEmbd, nVocab] },
  ];
  for (let l = 0; l < s.nLayer; l++) {
    tensors.push({ name: `blk.${l}.attn_norm.weight`, type: GGMLType.F32, dims: [s.nEmbd] });
    for (const n of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) tensors.push({ name: `blk.${l}.${n}.weight`, type: s.type, dims: [s.nEmbd, s.nEmbd] });
    tensors.push({ name: `blk.${l}.ffn_norm.weight`, type: GGMLType.F32, dims: [s.nEmbd] });
    tensors.push({ name: `blk.${l}.ffn_gate.weight`, type: s.type, dims: [s.nEmbd, s.nFf] });
    tensors.push({ name: `blk.${l}.ffn_up.weight`, type: s.type, dims: [s.nEmbd, s.nFf] });
    tensors.push({ name: `blk.${l}.ffn_down.weight`, type: s.type, dims: [s.nFf, s.nEmbd] });
  }
  const built = buildGGUF({ kv, tensors, writeData: false });
  const g = parseGGUF(built.bytes, Number.MAX_SAFE_INTEGER);
  return { header: built.bytes, size: Math.max(...g.tensors.map((t) => t.offset + t.byteSize)) };
}
