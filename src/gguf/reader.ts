/**
 * GGUF v2/v3 header reader (metadata + tensor infos). Browser-safe: no Node imports.
 *
 * Layout (little-endian):
 *   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
 *   n_kv × (string key, u32 value type, value)
 *   n_tensors × (string name, u32 n_dims, n_dims × u64 ne, u32 ggml type, u64 offset)
 *   padding to `general.alignment` (default 32) | tensor data
 * A string is a u64 byte length followed by UTF-8 bytes; an array is a u32
 * element type, a u64 count, and the elements (nested arrays repeat that form).
 *
 * The reader never allocates more than the file can justify: every count and
 * length is checked against the bytes left in the file before anything is
 * allocated, so a forged count of 2^60 fails at once.
 *
 * Prefix parsing: `parseGGUF(prefix, fileSize)` throws `GGUFNeedMoreDataError`
 * (a GGUFFormatError subclass, so callers that do not retry still see a format
 * error) when the header runs past `prefix` but not past `fileSize`.
 * `readGGUF(source)` uses that to fetch only as much of the file as the header
 * needs, growing the prefix geometrically.
 */
import { GGUFFormatError, UnsupportedModelError } from '../errors.ts';
import { ggmlTypeInfo, ggmlTypeName } from './ggml-types.ts';
import {
  GGUFValueType,
  type GGUFArray,
  type GGUFFile,
  type GGUFTensorInfo,
  type GGUFValue,
} from './types.ts';

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
export const GGUF_MAX_DIMS = 4;
/** Deepest array-of-array nesting accepted (guards the recursion against forged files). */
export const GGUF_MAX_ARRAY_NESTING = 16;

/**
 * The header extends past the bytes given to parseGGUF, but not past the file:
 * retry with a prefix of at least `needed` bytes.
 */
export class GGUFNeedMoreDataError extends GGUFFormatError {
  override readonly name: string = 'GGUFNeedMoreDataError';
  /** Minimum prefix length (bytes from the file start) that the parse needs. */
  readonly needed: number;
  /** Length of the prefix that was given. */
  readonly available: number;
  constructor(needed: number, available: number, fileSize: number, where: string) {
    super(
      `GGUF header needs at least ${needed} bytes (${where}) but only the first ${available} ` +
        `of ${fileSize} bytes were provided`,
    );
    this.needed = needed;
    this.available = available;
  }
}

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives a safe integer (< 2^53). */
const MAX_SAFE_HI = 0x1f_ffff;

const VALUE_TYPE_NAMES = [
  'UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32',
  'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64',
];
/** Encoded size of a scalar value type, or the minimum size for STRING (u64 length) and ARRAY (u32 type + u64 count). */
const VALUE_MIN_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8];
/** Smallest possible encoded metadata entry: u64 key length + u32 type + 1-byte value. */
const MIN_KV_SIZE = 8 + 4 + 1;
/** Smallest possible encoded tensor info: u64 name length + u32 n_dims + u32 type + u64 offset. */
const MIN_TENSOR_INFO_SIZE = 8 + 4 + 4 + 8;

export function valueTypeName(t: number): string {
  return VALUE_TYPE_NAMES[t] ?? `type#${t}`;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Non-fatal (invalid UTF-8 becomes U+FFFD) and BOM-preserving: a token that is
// exactly U+FEFF must survive.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function describeMagic(b: Uint8Array): string {
  const hex = Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return `starts with bytes ${hex}`;
}

function alignUp(x: number, a: number): number {
  const r = x % a;
  return r === 0 ? x : x + (a - r);
}

class HeaderParser {
  pos = 0;
  /** What is being read, for error messages; set per section/key/tensor, not per element. */
  where = 'header';
  private readonly view: DataView;
  private readonly avail: number;
  /** TextDecoder refuses views of a SharedArrayBuffer in browsers: copy those first. */
  private readonly shared: boolean;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly size: number,
  ) {
    this.avail = Math.min(bytes.length, size);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, this.avail);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer;
  }

  fail(msg: string): never {
    throw new GGUFFormatError(msg);
  }

  /** Make sure `n` more bytes are readable at `pos`. */
  ensure(n: number): void {
    if (this.pos + n > this.avail) this.short(n);
  }

  private short(n: number): never {
    const end = this.pos + n;
    if (end > this.size) {
      this.fail(
        `truncated GGUF header: ${this.where} needs ${n} bytes at offset ${this.pos}, ` +
          `but the file ends at ${this.size}`,
      );
    }
    throw new GGUFNeedMoreDataError(end, this.avail, this.size, this.where);
  }

  remaining(): number {
    return this.size - this.pos;
  }

  u8(): number {
    this.ensure(1);
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.ensure(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; fails if ≥ 2^53. `what` names the field. */
  u64(what: string): number {
    this.ensure(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi > MAX_SAFE_HI) {
      const big = (BigInt(hi) << 32n) | BigInt(lo);
      this.fail(`${this.where}: ${what} ${big} at offset ${this.pos} is not below 2^53`);
    }
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  /** Length-prefixed UTF-8 string. */
  string(what: string): string {
    const at = this.pos;
    const len = this.u64(`${what} length`);
    if (len > this.size - this.pos) {
      this.fail(
        `${this.where}: ${what} length ${len} at offset ${at} exceeds the ` +
          `${this.size - this.pos} bytes left in the file`,
      );
    }
    this.ensure(len);
    const start = this.pos;
    this.pos += len;
    return decodeUtf8(this.bytes, start, start + len, this.shared);
  }

  value(type: number, depth: number): GGUFValue {
    const v = this.view;
    let p = this.pos;
    switch (type) {
      case GGUFValueType.UINT8: this.ensure(1); this.pos = p + 1; return v.getUint8(p);
      case GGUFValueType.INT8: this.ensure(1); this.pos = p + 1; return v.getInt8(p);
      case GGUFValueType.UINT16: this.ensure(2); this.pos = p + 2; return v.getUint16(p, true);
      case GGUFValueType.INT16: this.ensure(2); this.pos = p + 2; return v.getInt16(p, true);
      case GGUFValueType.UINT32: this.ensure(4); this.pos = p + 4; return v.getUint32(p, true);
      case GGUFValueType.INT32: this.ensure(4); this.pos = p + 4; return v.getInt32(p, true);
      case GGUFValueType.FLOAT32: this.ensure(4); this.pos = p + 4; return v.getFloat32(p, true);
      case GGUFValueType.UINT64: this.ensure(8); this.pos = p + 8; return v.getBigUint64(p, true);
      case GGUFValueType.INT64: this.ensure(8); this.pos = p + 8; return v.getBigInt64(p, true);
      case GGUFValueType.FLOAT64: this.ensure(8); this.pos = p + 8; return v.getFloat64(p, true);
      case GGUFValueType.BOOL: {
        const b = this.u8();
        if (b > 1) this.fail(`${this.where}: bool value ${b} at offset ${p} is neither 0 nor 1`);
        return b === 1;
      }
      case GGUFValueType.STRING:
        return this.string('string');
      case GGUFValueType.ARRAY:
        return this.array(depth + 1);
      default:
        p = this.pos - 4;
        return this.fail(`${this.where}: unknown value type ${type} at offset ${p}`);
    }
  }

  array(depth: number): GGUFArray {
    if (depth > GGUF_MAX_ARRAY_NESTING) {
      this.fail(`${this.where}: arrays nested deeper than ${GGUF_MAX_ARRAY_NESTING} levels at offset ${this.pos}`);
    }
    const at = this.pos;
    const elemType = this.u32();
    if (elemType >= VALUE_MIN_SIZE.length) {
      this.fail(`${this.where}: unknown array element type ${elemType} at offset ${at}`);
    }
    const count = this.u64('array count');
    const minSize = VALUE_MIN_SIZE[elemType];
    const left = this.size - this.pos;
    if (count * minSize > left) {
      this.fail(
        `${this.where}: array of ${count} ${valueTypeName(elemType)} at offset ${at} needs at least ` +
          `${count * minSize} bytes but only ${left} are left in the file`,
      );
    }
    switch (elemType) {
      case GGUFValueType.STRING: {
        const out: string[] = new Array(count);
        for (let i = 0; i < count; i++) out[i] = this.string('string');
        return out;
      }
      case GGUFValueType.ARRAY: {
        const out: GGUFArray[] = new Array(count);
        for (let i = 0; i < count; i++) out[i] = this.array(depth + 1);
        return out;
      }
      case GGUFValueType.BOOL: {
        this.ensure(count);
        const out: boolean[] = new Array(count);
        const b = this.bytes;
        const p = this.pos;
        for (let i = 0; i < count; i++) {
          const x = b[p + i];
          if (x > 1) this.fail(`${this.where}: bool value ${x} at offset ${p + i} is neither 0 nor 1`);
          out[i] = x === 1;
        }
        this.pos = p + count;
        return out;
      }
      default:
        return this.numericArray(elemType, count);
    }
  }

  private numericArray(type: number, count: number): GGUFArray {
    const elSize = VALUE_MIN_SIZE[type];
    const n = count * elSize;
    this.ensure(n);
    const p = this.pos;
    this.pos = p + n;
    // slice() copies into a fresh, 0-aligned buffer.
    const copy = this.bytes.slice(p, p + n);
    const buf = copy.buffer;
    if (LITTLE_ENDIAN_HOST || elSize === 1) {
      switch (type) {
        case GGUFValueType.UINT8: return copy;
        case GGUFValueType.INT8: return new Int8Array(buf);
        case GGUFValueType.UINT16: return new Uint16Array(buf);
        case GGUFValueType.INT16: return new Int16Array(buf);
        case GGUFValueType.UINT32: return new Uint32Array(buf);
        case GGUFValueType.INT32: return new Int32Array(buf);
        case GGUFValueType.FLOAT32: return new Float32Array(buf);
        case GGUFValueType.UINT64: return new BigUint64Array(buf);
        case GGUFValueType.INT64: return new BigInt64Array(buf);
        case GGUFValueType.FLOAT64: return new Float64Array(buf);
      }
    }
    return bigEndianHostArray(type, count, new DataView(buf));
  }
}

/* c8 ignore next 20 -- only reachable on a big-endian host */
function bigEndianHostArray(type: number, count: number, dv: DataView): GGUFArray {
  const fill = <T extends { [i: number]: number | bigint }>(out: T, get: (o: number) => number | bigint, sz: number): T => {
    for (let i = 0; i < count; i++) out[i] = get(i * sz);
    return out;
  };
  switch (type) {
    case GGUFValueType.UINT16: return fill(new Uint16Array(count), (o) => dv.getUint16(o, true), 2);
    case GGUFValueType.INT16: return fill(new Int16Array(count), (o) => dv.getInt16(o, true), 2);
    case GGUFValueType.UINT32: return fill(new Uint32Array(count), (o) => dv.getUint32(o, true), 4);
    case GGUFValueType.INT32: return fill(new Int32Array(count), (o) => dv.getInt32(o, true), 4);
    case GGUFValueType.FLOAT32: return fill(new Float32Array(count), (o) => dv.getFloat32(o, true), 4);
    case GGUFValueType.UINT64: return fill(new BigUint64Array(count), (o) => dv.getBigUint64(o, true), 8);
    case GGUFValueType.INT64: return fill(new BigInt64Array(count), (o) => dv.getBigInt64(o, true), 8);
    case GGUFValueType.FLOAT64: return fill(new Float64Array(count), (o) => dv.getFloat64(o, true), 8);
  }
  throw new GGUFFormatError(`unexpected numeric array type ${type}`);
}

/**
 * Decode UTF-8 bytes [start, end). Short pure-ASCII strings (most vocab
 * tokens) skip TextDecoder's per-call overhead.
 */
function decodeUtf8(bytes: Uint8Array, start: number, end: number, shared: boolean): string {
  if (end - start <= 24) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] >= 0x80) { ascii = false; break; }
    }
    if (ascii) {
      // apply() on a subarray: one call, no per-byte calls.
      return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
    }
  }
  return utf8.decode(shared ? bytes.slice(start, end) : bytes.subarray(start, end));
}

/**
 * Parse a GGUF header.
 *
 * @param bytes the file, or a prefix of it holding at least the header.
 * @param fileSize total file size; defaults to `bytes.length` (bytes is the whole file).
 *   When larger than `bytes.length` and the header runs past `bytes`, a
 *   GGUFNeedMoreDataError says how many bytes are needed.
 * @throws GGUFFormatError for every malformed or inconsistent header,
 *   UnsupportedModelError for a tensor of an unknown ggml type id.
 */
export function parseGGUF(bytes: Uint8Array, fileSize?: number): GGUFFile {
  const size = fileSize ?? bytes.length;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new GGUFFormatError(`invalid file size ${fileSize}`);
  }
  const r = new HeaderParser(bytes, size);

  // --- fixed header ---
  r.where = 'magic';
  if (size < 4) throw new GGUFFormatError(`not a GGUF file: only ${size} bytes`);
  r.ensure(4);
  if (r.u32() !== GGUF_MAGIC) {
    throw new GGUFFormatError(`not a GGUF file: ${describeMagic(bytes)}, expected "GGUF" (47 47 55 46)`);
  }
  r.where = 'version';
  const version = r.u32();
  if (version === 1) {
    throw new GGUFFormatError(
      'GGUF version 1 is not supported (it predates 64-bit counts); re-convert the model with a current llama.cpp',
    );
  }
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
    if (swapped >= 1 && swapped <= 3) {
      throw new GGUFFormatError(`big-endian GGUF files are not supported (version field reads ${version})`);
    }
    throw new GGUFFormatError(`unsupported GGUF version ${version} (lutra reads versions 2 and 3)`);
  }
  r.where = 'tensor count';
  const nTensors = r.u64('n_tensors');
  r.where = 'metadata count';
  const nKv = r.u64('n_kv');
  {
    const minBytes = nTensors * MIN_TENSOR_INFO_SIZE + nKv * MIN_KV_SIZE;
    if (minBytes > r.remaining()) {
      throw new GGUFFormatError(
        `GGUF header claims ${nTensors} tensors and ${nKv} metadata entries, which need at least ` +
          `${minBytes} bytes, but only ${r.remaining()} bytes follow offset ${r.pos}`,
      );
    }
  }

  // --- metadata ---
  const metadata = new Map<string, GGUFValue>();
  const metadataTypes = new Map<string, GGUFValueType>();
  for (let i = 0; i < nKv; i++) {
    r.where = `metadata entry ${i}`;
    const at = r.pos;
    const key = r.string('key');
    if (metadata.has(key)) {
      throw new GGUFFormatError(`duplicate metadata key '${key}' (entry ${i} at offset ${at})`);
    }
    r.where = `metadata key '${key}'`;
    const typeAt = r.pos;
    const type = r.u32();
    if (type >= VALUE_MIN_SIZE.length) {
      throw new GGUFFormatError(`metadata key '${key}': unknown value type ${type} at offset ${typeAt}`);
    }
    metadata.set(key, r.value(type, 0));
    metadataTypes.set(key, type);
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (metadata.has('general.alignment')) {
    const t = metadataTypes.get('general.alignment')!;
    const a = metadata.get('general.alignment');
    if (t !== GGUFValueType.UINT32) {
      throw new GGUFFormatError(`metadata key 'general.alignment' has type ${valueTypeName(t)}, expected UINT32`);
    }
    if (typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
      throw new GGUFFormatError(`metadata key 'general.alignment' is ${a}, expected a nonzero power of two`);
    }
    alignment = a;
  }

  // --- tensor infos ---
  const tensors: GGUFTensorInfo[] = new Array(nTensors);
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    r.where = `tensor info ${i}`;
    const at = r.pos;
    const name = r.string('name');
    if (names.has(name)) {
      throw new GGUFFormatError(`duplicate tensor name '${name}' (tensor ${i} at offset ${at})`);
    }
    names.add(name);
    r.where = `tensor '${name}'`;
    const nDims = r.u32();
    if (nDims > GGUF_MAX_DIMS) {
      throw new GGUFFormatError(`tensor '${name}' has ${nDims} dimensions (at most ${GGUF_MAX_DIMS} allowed)`);
    }
    const dims: number[] = new Array(nDims);
    let nElements = 1;
    for (let d = 0; d < nDims; d++) {
      const ne = r.u64(`dimension ${d}`);
      dims[d] = ne;
      nElements *= ne;
      if (!Number.isSafeInteger(nElements)) {
        throw new GGUFFormatError(
          `tensor '${name}' has dimensions [${dims.slice(0, d + 1).join(', ')}] whose product overflows 2^53`,
        );
      }
    }
    const typeAt = r.pos;
    const type = r.u32();
    const info = ggmlTypeInfo(type);
    if (!info) {
      throw new UnsupportedModelError(
        `unsupported tensor type id ${type} in tensor '${name}' (tensor info at offset ${typeAt})`,
      );
    }
    const relativeOffset = r.u64('data offset');
    if (nDims > 0 && dims[0] % info.blockSize !== 0) {
      throw new GGUFFormatError(
        `tensor '${name}' of type ${info.name} has rows of ${dims[0]} elements, ` +
          `not a multiple of the block size ${info.blockSize}`,
      );
    }
    if (nElements % info.blockSize !== 0) {
      throw new GGUFFormatError(
        `tensor '${name}' of type ${info.name} has ${nElements} elements, ` +
          `not a multiple of the block size ${info.blockSize}`,
      );
    }
    const byteSize = nElements === 0 ? 0 : (nElements / info.blockSize) * info.typeSize + info.tensorExtraBytes;
    if (!Number.isSafeInteger(byteSize)) {
      throw new GGUFFormatError(`tensor '${name}' is ${byteSize} bytes, more than 2^53`);
    }
    if (relativeOffset % alignment !== 0) {
      throw new GGUFFormatError(
        `tensor '${name}' data offset ${relativeOffset} is not a multiple of the alignment ${alignment}`,
      );
    }
    tensors[i] = { name, type, dims, nElements, byteSize, relativeOffset, offset: 0 };
  }

  const headerEnd = r.pos;
  const dataOffset = alignUp(headerEnd, alignment);
  for (const t of tensors) {
    t.offset = dataOffset + t.relativeOffset;
    const end = t.offset + t.byteSize;
    if (!Number.isSafeInteger(end) || end > size) {
      throw new GGUFFormatError(
        `tensor '${t.name}' (${ggmlTypeName(t.type)}, ${t.byteSize} bytes) data [${t.offset}, ${end}) ` +
          `extends past the end of the file (${size} bytes)`,
      );
    }
  }
  checkOverlaps(tensors);

  return { version, metadata, tensors, alignment, dataOffset, fileSize: size };
}

function checkOverlaps(tensors: GGUFTensorInfo[]): void {
  const sorted = tensors.filter((t) => t.byteSize > 0).sort((a, b) => a.relativeOffset - b.relativeOffset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a.relativeOffset + a.byteSize > b.relativeOffset) {
      throw new GGUFFormatError(
        `tensors '${a.name}' [${a.offset}, ${a.offset + a.byteSize}) and '${b.name}' ` +
          `[${b.offset}, ${b.offset + b.byteSize}) overlap`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// Async reading from a random-access source

/** Random access to the bytes of a file (a buffer, a browser Blob/File, a Node file, HTTP ranges...). */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset` (offset + length ≤ size). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ReadGGUFOptions {
  /** First prefix to fetch; default 1 MiB. */
  initialBytes?: number;
}

async function readExact(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  const b = await source.read(offset, length);
  if (b.length !== length) {
    throw new GGUFFormatError(
      `short read: asked for ${length} bytes at offset ${offset}, got ${b.length} (file size ${source.size})`,
    );
  }
  return b;
}

/**
 * Parse the header of a GGUF file from a random-access source, reading a
 * prefix that starts at 1 MiB and grows geometrically (at least doubling, and
 * at least to what the parser says it needs), never beyond `source.size`.
 */
export async function readGGUF(source: ByteSource, options: ReadGGUFOptions = {}): Promise<GGUFFile> {
  const size = source.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new GGUFFormatError(`invalid source size ${size}`);
  let len = Math.min(size, Math.max(64, options.initialBytes ?? 1 << 20));
  let buf = await readExact(source, 0, len);
  for (;;) {
    try {
      return parseGGUF(buf, size);
    } catch (e) {
      if (!(e instanceof GGUFNeedMoreDataError)) throw e;
      const next = Math.min(size, Math.max(e.needed, len * 2));
      /* c8 ignore next 3 -- the parser only asks for more when more exists */
      if (next <= len) {
        throw new GGUFFormatError(`GGUF reader asked for ${e.needed} bytes with ${len} of ${size} already read`);
      }
      const more = await readExact(source, len, next - len);
      const grown = new Uint8Array(next);
      grown.set(buf, 0);
      grown.set(more, len);
      buf = grown;
      len = next;
    }
  }
}

/** A ByteSource over bytes already in memory (no copies). */
export function byteSourceFromBuffer(u8: Uint8Array): ByteSource {
  return {
    size: u8.length,
    async read(offset, length) {
      checkRange(offset, length, u8.length);
      return u8.subarray(offset, offset + length);
    },
  };
}

/** A ByteSource over a browser Blob or File (reads only the requested slices). */
export function byteSourceFromBlob(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(offset, length) {
      checkRange(offset, length, blob.size);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Throws GGUFFormatError when [offset, offset + length) is not inside [0, size). */
export function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new GGUFFormatError(`read of ${length} bytes at offset ${offset} is outside the file (${size} bytes)`);
  }
}
