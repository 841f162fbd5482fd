/**
 * A streaming GGUF v3 writer (browser-safe: no Node APIs).
 *
 * Layout written (gguf.h / llama.cpp's gguf-py, little-endian):
 *   "GGUF" u32 version=3 u64 n_tensors u64 n_kv
 *   n_kv × { string key; u32 value_type; value }          strings: u64 length + UTF-8
 *   n_tensors × { string name; u32 n_dims; u64 ne[n_dims]; u32 ggml_type; u64 offset }
 *   zero padding to `alignment`; then each tensor's data at its offset (relative to
 *   the data start, each a multiple of `alignment`), zero-padded to `alignment`.
 * A non-default alignment is recorded as `general.alignment` (UINT32), as llama.cpp reads it.
 *
 * Usage: set metadata, add tensor infos (name, type, dims), then `write(sink, data)`:
 * the header goes out first, then every tensor's bytes, pulled from `data(tensor)`
 * one tensor (and one chunk) at a time, so a multi-GB file never sits in memory.
 */
import { GGUFFormatError } from '../errors.ts';
import { tensorByteSize } from './ggml-types.ts';
import { GGUFValueType, type GGUFArray, type GGUFFile, type GGUFValue } from './types.ts';

export const GGUF_WRITER_DEFAULT_ALIGNMENT = 32;

/** Where bytes go. `write` may be async; the writer awaits each call before the next. */
export interface GGUFSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

/** A metadata array for the writer: element type and items (nested arrays as GGUFWriteArray). */
export interface GGUFWriteArray {
  elemType: GGUFValueType;
  items: ArrayLike<number | bigint | boolean | string | GGUFWriteArray> | Iterable<number | bigint | boolean | string | GGUFWriteArray>;
}

export type GGUFWriteScalar = number | bigint | boolean | string;

export interface GGUFWriterTensor {
  name: string;
  type: number;
  /** ne[], innermost (row length) first, as ggml and GGUF store it. */
  dims: number[];
  nElements: number;
  byteSize: number;
  /** Offset relative to the start of the data section. */
  relativeOffset: number;
}

/** What `write` pulls a tensor's bytes from: one buffer, or chunks in order (sync or async). */
export type TensorBytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const enc = new TextEncoder();

/**
 * Little-endian growable byte buffer (the writer's header; tests use it to hand-build
 * corrupt files). Every method returns the buffer, so calls chain.
 */
// (each method takes its offset before touching this.dv/this.buf: take() may replace them)
export class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private take(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, at));
      this.buf = b;
      this.dv = new DataView(b.buffer);
    }
    this.length = at + n;
    return at;
  }

  u8(v: number): this { const at = this.take(1); this.dv.setUint8(at, v); return this; }
  i8(v: number): this { const at = this.take(1); this.dv.setInt8(at, v); return this; }
  u16(v: number): this { const at = this.take(2); this.dv.setUint16(at, v, true); return this; }
  i16(v: number): this { const at = this.take(2); this.dv.setInt16(at, v, true); return this; }
  u32(v: number): this { const at = this.take(4); this.dv.setUint32(at, v, true); return this; }
  i32(v: number): this { const at = this.take(4); this.dv.setInt32(at, v, true); return this; }
  f32(v: number): this { const at = this.take(4); this.dv.setFloat32(at, v, true); return this; }
  f64(v: number): this { const at = this.take(8); this.dv.setFloat64(at, v, true); return this; }
  u64(v: number | bigint): this { const at = this.take(8); this.dv.setBigUint64(at, BigInt(v), true); return this; }
  i64(v: number | bigint): this { const at = this.take(8); this.dv.setBigInt64(at, BigInt(v), true); return this; }
  bytes(b: Uint8Array): this { const at = this.take(b.length); this.buf.set(b, at); return this; }
  /** u64 length + UTF-8 bytes; a Uint8Array is written as it is (tests: invalid UTF-8). */
  str(s: string | Uint8Array): this {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    return this.u64(b.length).bytes(b);
  }
  zeros(n: number): this { const at = this.take(n); this.buf.fill(0, at, this.length); return this; }
  /** Zeros up to the next multiple of `alignment`. */
  padTo(alignment: number): this {
    const r = this.length % alignment;
    return r === 0 ? this : this.zeros(alignment - r);
  }
  toBytes(): Uint8Array { return this.buf.slice(0, this.length); }
}

function checkRange(key: string, type: GGUFValueType, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new GGUFFormatError(`metadata '${key}': ${v} does not fit ${GGUFValueType[type]}`);
  }
}

function writeValue(h: ByteWriter, key: string, type: GGUFValueType, v: unknown): void {
  const T = GGUFValueType;
  switch (type) {
    case T.UINT8: checkRange(key, type, v as number, 0, 0xff); h.u8(v as number); break;
    case T.INT8: checkRange(key, type, v as number, -0x80, 0x7f); h.i8(v as number); break;
    case T.UINT16: checkRange(key, type, v as number, 0, 0xffff); h.u16(v as number); break;
    case T.INT16: checkRange(key, type, v as number, -0x8000, 0x7fff); h.i16(v as number); break;
    case T.UINT32: checkRange(key, type, v as number, 0, 0xffffffff); h.u32(v as number); break;
    case T.INT32: checkRange(key, type, v as number, -0x80000000, 0x7fffffff); h.i32(v as number); break;
    case T.FLOAT32: h.f32(v as number); break;
    case T.FLOAT64: h.f64(v as number); break;
    case T.UINT64: h.u64(v as number | bigint); break;
    case T.INT64: h.i64(v as number | bigint); break;
    case T.BOOL: h.u8(v ? 1 : 0); break;
    case T.STRING:
      if (typeof v !== 'string') throw new GGUFFormatError(`metadata '${key}': expected a string`);
      h.str(v);
      break;
    case T.ARRAY: {
      const a = v as GGUFWriteArray;
      const items = Array.isArray(a.items) || ArrayBuffer.isView(a.items) ? (a.items as ArrayLike<unknown>) : Array.from(a.items as Iterable<unknown>);
      h.u32(a.elemType);
      h.u64(items.length);
      for (let i = 0; i < items.length; i++) writeValue(h, key, a.elemType, items[i]);
      break;
    }
    default:
      throw new GGUFFormatError(`metadata '${key}': unknown value type ${type}`);
  }
}

/**
 * The GGUF type a parsed metadata value most likely had: typed arrays and
 * strings/bools are unambiguous; a plain number is UINT32 when a non-negative
 * integer, INT32 when a negative one, else FLOAT32; a bigint is UINT64/INT64.
 */
export function inferValue(v: GGUFValue): { type: GGUFValueType; value: GGUFWriteScalar | GGUFWriteArray } {
  const T = GGUFValueType;
  if (typeof v === 'string') return { type: T.STRING, value: v };
  if (typeof v === 'boolean') return { type: T.BOOL, value: v };
  if (typeof v === 'bigint') return { type: v < 0n ? T.INT64 : T.UINT64, value: v };
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return { type: T.UINT32, value: v };
    if (Number.isInteger(v) && v < 0 && v >= -0x80000000) return { type: T.INT32, value: v };
    return { type: T.FLOAT32, value: v };
  }
  return { type: T.ARRAY, value: inferArray(v) };
}

function inferArray(a: GGUFArray): GGUFWriteArray {
  const T = GGUFValueType;
  if (a instanceof Uint8Array) return { elemType: T.UINT8, items: a };
  if (a instanceof Int8Array) return { elemType: T.INT8, items: a };
  if (a instanceof Uint16Array) return { elemType: T.UINT16, items: a };
  if (a instanceof Int16Array) return { elemType: T.INT16, items: a };
  if (a instanceof Uint32Array) return { elemType: T.UINT32, items: a };
  if (a instanceof Int32Array) return { elemType: T.INT32, items: a };
  if (a instanceof Float32Array) return { elemType: T.FLOAT32, items: a };
  if (a instanceof Float64Array) return { elemType: T.FLOAT64, items: a };
  if (a instanceof BigUint64Array) return { elemType: T.UINT64, items: a };
  if (a instanceof BigInt64Array) return { elemType: T.INT64, items: a };
  const arr = a as unknown[];
  if (arr.length === 0) return { elemType: T.STRING, items: [] };
  if (typeof arr[0] === 'string') return { elemType: T.STRING, items: arr as string[] };
  if (typeof arr[0] === 'boolean') return { elemType: T.BOOL, items: arr as boolean[] };
  return { elemType: T.ARRAY, items: (arr as GGUFArray[]).map(inferArray) };
}

export class GGUFWriter {
  readonly alignment: number;
  private readonly kv = new Map<string, { type: GGUFValueType; value: unknown }>();
  private readonly infos: GGUFWriterTensor[] = [];
  private dataEnd = 0;

  constructor(options: { alignment?: number } = {}) {
    const a = options.alignment ?? GGUF_WRITER_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0) throw new GGUFFormatError(`alignment ${a} is not a power of two`);
    this.alignment = a;
    if (a !== GGUF_WRITER_DEFAULT_ALIGNMENT) this.set('general.alignment', GGUFValueType.UINT32, a);
  }

  /** Set (or replace) a metadata entry; entries keep their first insertion order. */
  set(key: string, type: GGUFValueType, value: GGUFWriteScalar | GGUFWriteArray): this {
    if (key === 'general.alignment' && (type !== GGUFValueType.UINT32 || value !== this.alignment)) {
      throw new GGUFFormatError('general.alignment is set by the writer’s alignment option');
    }
    this.kv.set(key, { type, value });
    return this;
  }

  string(key: string, v: string): this { return this.set(key, GGUFValueType.STRING, v); }
  u32(key: string, v: number): this { return this.set(key, GGUFValueType.UINT32, v); }
  i32(key: string, v: number): this { return this.set(key, GGUFValueType.INT32, v); }
  f32(key: string, v: number): this { return this.set(key, GGUFValueType.FLOAT32, v); }
  bool(key: string, v: boolean): this { return this.set(key, GGUFValueType.BOOL, v); }
  array(key: string, elemType: GGUFValueType, items: GGUFWriteArray['items']): this {
    return this.set(key, GGUFValueType.ARRAY, { elemType, items });
  }

  /** Set a value read by parseGGUF, its type inferred (see inferValue) unless given. */
  setParsed(key: string, value: GGUFValue, type?: GGUFValueType): this {
    if (type !== undefined && type !== GGUFValueType.ARRAY) return this.set(key, type, value as GGUFWriteScalar);
    const inf = inferValue(value);
    return this.set(key, inf.type, inf.value);
  }

  /** Copy the metadata entries of `file` whose keys pass `filter` (types inferred; `types` overrides). */
  copyMetadata(file: GGUFFile, filter: (key: string) => boolean, types: Record<string, GGUFValueType> = {}): this {
    for (const [k, v] of file.metadata) {
      if (k !== 'general.alignment' && filter(k)) this.setParsed(k, v, types[k]);
    }
    return this;
  }

  has(key: string): boolean {
    return this.kv.has(key);
  }

  /** Add a tensor info; data offsets follow in the order tensors are added. */
  addTensor(name: string, type: number, dims: number[]): GGUFWriterTensor {
    if (this.infos.some((t) => t.name === name)) throw new GGUFFormatError(`duplicate tensor name '${name}'`);
    if (dims.length < 1 || dims.length > 4 || dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
      throw new GGUFFormatError(`tensor '${name}': invalid dimensions [${dims.join(', ')}]`);
    }
    const nElements = dims.reduce((p, d) => p * d, 1);
    const byteSize = tensorByteSize(type, nElements);
    const t: GGUFWriterTensor = { name, type, dims: [...dims], nElements, byteSize, relativeOffset: this.dataEnd };
    this.infos.push(t);
    this.dataEnd = this.pad(this.dataEnd + byteSize);
    return t;
  }

  get tensors(): readonly GGUFWriterTensor[] {
    return this.infos;
  }

  private pad(n: number): number {
    return Math.ceil(n / this.alignment) * this.alignment;
  }

  /** The header: fixed fields, metadata, tensor infos, zero padding to the alignment. */
  header(): Uint8Array {
    const h = new ByteWriter();
    h.bytes(enc.encode('GGUF'));
    h.u32(3);
    h.u64(this.infos.length);
    h.u64(this.kv.size);
    for (const [key, { type, value }] of this.kv) {
      h.str(key);
      h.u32(type);
      writeValue(h, key, type, value);
    }
    for (const t of this.infos) {
      h.str(t.name);
      h.u32(t.dims.length);
      for (const d of t.dims) h.u64(d);
      h.u32(t.type);
      h.u64(t.relativeOffset);
    }
    h.padTo(this.alignment);
    return h.toBytes();
  }

  /** Bytes of tensor data (with padding) after the header. */
  get dataSize(): number {
    return this.dataEnd;
  }

  /**
   * Write the whole file to `sink`: the header, then each tensor's bytes from
   * `data(tensor, index)`, checked against the tensor's size, then padding.
   * Returns the number of bytes written.
   */
  async write(sink: GGUFSink, data: (t: GGUFWriterTensor, index: number) => TensorBytes | Promise<TensorBytes>): Promise<number> {
    const head = this.header();
    await sink.write(head);
    let total = head.length;
    const zeros = new Uint8Array(this.alignment);
    for (let i = 0; i < this.infos.length; i++) {
      const t = this.infos[i];
      const src = await data(t, i);
      let n = 0;
      const put = async (c: Uint8Array) => {
        n += c.length;
        if (n > t.byteSize) throw new GGUFFormatError(`tensor '${t.name}': more than ${t.byteSize} bytes of data given`);
        if (c.length) await sink.write(c);
      };
      if (src instanceof Uint8Array) await put(src);
      else if (Symbol.asyncIterator in src) for await (const c of src as AsyncIterable<Uint8Array>) await put(c);
      else for (const c of src as Iterable<Uint8Array>) await put(c);
      if (n !== t.byteSize) throw new GGUFFormatError(`tensor '${t.name}': ${n} bytes of data given, ${t.byteSize} expected`);
      const padding = this.pad(t.byteSize) - t.byteSize;
      if (padding) await sink.write(zeros.subarray(0, padding));
      total += t.byteSize + padding;
    }
    return total;
  }

  /** The whole file in memory (small files and tests). */
  async toBytes(data: (t: GGUFWriterTensor, index: number) => TensorBytes | Promise<TensorBytes>): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    const n = await this.write({ write: (c) => { parts.push(c.slice()); } }, data);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
}
