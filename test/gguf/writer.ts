/**
 * A tiny GGUF writer for tests only: builds files with every value type
 * (nested arrays included), arbitrary tensor infos, and low-level access for
 * hand-built corrupt headers.
 */
import { GGUFValueType } from '../../src/gguf/types.ts';
import { tensorByteSize } from '../../src/gguf/ggml-types.ts';

const enc = new TextEncoder();

/** Little-endian growable byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): number {
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

  u8(v: number): this { this.dv.setUint8(this.grow(1), v); return this; }
  i8(v: number): this { this.dv.setInt8(this.grow(1), v); return this; }
  u16(v: number): this { this.dv.setUint16(this.grow(2), v, true); return this; }
  i16(v: number): this { this.dv.setInt16(this.grow(2), v, true); return this; }
  u32(v: number): this { this.dv.setUint32(this.grow(4), v, true); return this; }
  i32(v: number): this { this.dv.setInt32(this.grow(4), v, true); return this; }
  f32(v: number): this { this.dv.setFloat32(this.grow(4), v, true); return this; }
  f64(v: number): this { this.dv.setFloat64(this.grow(8), v, true); return this; }
  u64(v: number | bigint): this { this.dv.setBigUint64(this.grow(8), BigInt(v), true); return this; }
  i64(v: number | bigint): this { this.dv.setBigInt64(this.grow(8), BigInt(v), true); return this; }
  bytes(b: Uint8Array): this { this.buf.set(b, this.grow(b.length)); return this; }
  /** u64 length + bytes; a Uint8Array is written raw (for invalid UTF-8). */
  str(s: string | Uint8Array): this {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    return this.u64(b.length).bytes(b);
  }
  zeros(n: number): this { this.grow(n); return this; }
  padTo(alignment: number): this {
    const r = this.length % alignment;
    return r === 0 ? this : this.zeros(alignment - r);
  }
  toBytes(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** An array value for the writer: element type plus items (WArray items when elemType is ARRAY). */
export interface WArray {
  elemType: GGUFValueType;
  items: ReadonlyArray<number | bigint | boolean | string | Uint8Array | WArray>;
}

export type WScalar = number | bigint | boolean | string | Uint8Array;

export interface WKV {
  key: string | Uint8Array;
  type: GGUFValueType;
  value: WScalar | WArray;
}

export interface WTensor {
  name: string | Uint8Array;
  type: number;
  dims: ReadonlyArray<number | bigint>;
  /** Relative data offset; default: after the previous tensor, padded to the alignment. */
  offset?: number | bigint;
  /** Data bytes; default zeros of the type's size. */
  data?: Uint8Array;
}

export interface WFile {
  magic?: string;
  version?: number;
  kv?: WKV[];
  tensors?: WTensor[];
  /** Alignment used for layout; default: the general.alignment entry if any, else 32. */
  alignment?: number;
  /** Write tensor data (default true). Without it the file ends at the header. */
  writeData?: boolean;
  /** Extra bytes appended at the very end. */
  trailer?: Uint8Array;
}

export function writeValue(w: ByteWriter, type: GGUFValueType, v: WScalar | WArray): void {
  switch (type) {
    case GGUFValueType.UINT8: w.u8(v as number); break;
    case GGUFValueType.INT8: w.i8(v as number); break;
    case GGUFValueType.UINT16: w.u16(v as number); break;
    case GGUFValueType.INT16: w.i16(v as number); break;
    case GGUFValueType.UINT32: w.u32(v as number); break;
    case GGUFValueType.INT32: w.i32(v as number); break;
    case GGUFValueType.FLOAT32: w.f32(v as number); break;
    case GGUFValueType.FLOAT64: w.f64(v as number); break;
    case GGUFValueType.UINT64: w.u64(v as bigint); break;
    case GGUFValueType.INT64: w.i64(v as bigint); break;
    case GGUFValueType.BOOL: w.u8(typeof v === 'number' ? v : v ? 1 : 0); break;
    case GGUFValueType.STRING: w.str(v as string | Uint8Array); break;
    case GGUFValueType.ARRAY: writeArray(w, v as WArray); break;
    default: throw new Error(`writer: unknown value type ${type}`);
  }
}

/** Array body: u32 element type, u64 count, items (nested arrays recurse without a leading type). */
export function writeArray(w: ByteWriter, a: WArray): void {
  w.u32(a.elemType).u64(a.items.length);
  for (const it of a.items) writeValue(w, a.elemType, it as WScalar | WArray);
}

function product(dims: ReadonlyArray<number | bigint>): number {
  return dims.reduce<number>((p, d) => p * Number(d), 1);
}

/** Build a GGUF file. Also returns where the header ends and where data starts. */
export function buildGGUF(spec: WFile): { bytes: Uint8Array; headerEnd: number; dataOffset: number; offsets: number[] } {
  const kv = spec.kv ?? [];
  const tensors = spec.tensors ?? [];
  const alignKv = kv.find((e) => e.key === 'general.alignment');
  const alignment = spec.alignment ?? (typeof alignKv?.value === 'number' ? alignKv.value : 32);
  const w = new ByteWriter();
  w.bytes(enc.encode(spec.magic ?? 'GGUF'));
  w.u32(spec.version ?? 3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const e of kv) {
    w.str(e.key);
    w.u32(e.type);
    writeValue(w, e.type, e.value);
  }
  const sizes = tensors.map((t) => t.data?.length ?? tensorByteSize(t.type, product(t.dims)));
  const offsets: number[] = [];
  let next = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    const off = t.offset ?? next;
    offsets.push(Number(off));
    w.u64(off);
    next = Number(off) + sizes[i];
    next += (alignment - (next % alignment)) % alignment;
  }
  const headerEnd = w.length;
  w.padTo(alignment);
  const dataOffset = w.length;
  if (spec.writeData !== false && tensors.length > 0) {
    const end = Math.max(...tensors.map((_, i) => offsets[i] + sizes[i]));
    const data = new Uint8Array(end);
    tensors.forEach((t, i) => { if (t.data) data.set(t.data, offsets[i]); });
    w.bytes(data);
  }
  if (spec.trailer) w.bytes(spec.trailer);
  return { bytes: w.toBytes(), headerEnd, dataOffset, offsets };
}
