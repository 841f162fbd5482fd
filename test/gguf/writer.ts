/**
 * A tiny GGUF writer for tests only: builds files with every value type
 * (nested arrays included), arbitrary tensor infos, and low-level access for
 * hand-built corrupt headers.
 */
import { GGUFValueType } from '../../src/gguf/types.ts';
import { tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { ByteWriter } from '../../src/gguf/writer.ts';

export { ByteWriter } from '../../src/gguf/writer.ts';

const enc = new TextEncoder();

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
  // Invalid tensors (unknown type, bad shape) are written with 0 bytes of data.
  const sizes = tensors.map((t) => {
    if (t.data) return t.data.length;
    try {
      return tensorByteSize(t.type, product(t.dims));
    } catch {
      return 0;
    }
  });
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

/** A file holding every value type, edge values, and nested arrays. */
export function everyTypeKV(): WKV[] {
  const T = GGUFValueType;
  return [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'u8', type: T.UINT8, value: 255 },
    { key: 'i8', type: T.INT8, value: -128 },
    { key: 'u16', type: T.UINT16, value: 65535 },
    { key: 'i16', type: T.INT16, value: -32768 },
    { key: 'u32', type: T.UINT32, value: 0xffffffff },
    { key: 'i32', type: T.INT32, value: -0x80000000 },
    { key: 'f32', type: T.FLOAT32, value: 1.5 },
    { key: 'f32.nan', type: T.FLOAT32, value: NaN },
    { key: 'f32.neg0', type: T.FLOAT32, value: -0 },
    { key: 'f32.inf', type: T.FLOAT32, value: -Infinity },
    { key: 'bool.t', type: T.BOOL, value: true },
    { key: 'bool.f', type: T.BOOL, value: false },
    { key: 'str', type: T.STRING, value: 'héllo ▁wörld 🦦' },
    { key: 'str.empty', type: T.STRING, value: '' },
    { key: 'str.bom', type: T.STRING, value: '\uFEFF' },
    { key: 'str.nul', type: T.STRING, value: 'a\u0000b' },
    { key: 'str.long', type: T.STRING, value: 'x'.repeat(1000) + 'é' },
    { key: 'u64', type: T.UINT64, value: 0xffff_ffff_ffff_ffffn },
    { key: 'i64', type: T.INT64, value: -0x8000_0000_0000_0000n },
    { key: 'f64', type: T.FLOAT64, value: Math.PI },
    { key: 'arr.u8', type: T.ARRAY, value: { elemType: T.UINT8, items: [0, 1, 255] } },
    { key: 'arr.i8', type: T.ARRAY, value: { elemType: T.INT8, items: [-1, 127] } },
    { key: 'arr.u16', type: T.ARRAY, value: { elemType: T.UINT16, items: [1, 65535] } },
    { key: 'arr.i16', type: T.ARRAY, value: { elemType: T.INT16, items: [-2, 3] } },
    { key: 'arr.u32', type: T.ARRAY, value: { elemType: T.UINT32, items: [7, 0xffffffff, 9] } },
    { key: 'arr.i32', type: T.ARRAY, value: { elemType: T.INT32, items: [-5, 6] } },
    { key: 'arr.f32', type: T.ARRAY, value: { elemType: T.FLOAT32, items: [0.25, -1e30, 3] } },
    { key: 'arr.bool', type: T.ARRAY, value: { elemType: T.BOOL, items: [true, false, true] } },
    { key: 'arr.str', type: T.ARRAY, value: { elemType: T.STRING, items: ['a', '', '<0x0A>', '日本語', '\uFEFFx'] } },
    { key: 'arr.u64', type: T.ARRAY, value: { elemType: T.UINT64, items: [1n, 0xffff_ffff_ffff_ffffn] } },
    { key: 'arr.i64', type: T.ARRAY, value: { elemType: T.INT64, items: [-1n, 2n] } },
    { key: 'arr.f64', type: T.ARRAY, value: { elemType: T.FLOAT64, items: [1e300, -0.5] } },
    { key: 'arr.empty.str', type: T.ARRAY, value: { elemType: T.STRING, items: [] } },
    { key: 'arr.empty.f32', type: T.ARRAY, value: { elemType: T.FLOAT32, items: [] } },
    {
      key: 'arr.nested',
      type: T.ARRAY,
      value: {
        elemType: T.ARRAY,
        items: [
          { elemType: T.INT32, items: [1, 2] },
          { elemType: T.STRING, items: ['x', 'y'] },
          { elemType: T.ARRAY, items: [{ elemType: T.BOOL, items: [false] }, { elemType: T.UINT8, items: [] }] },
          { elemType: T.FLOAT64, items: [] },
        ],
      },
    },
  ];
}
