/**
 * A forward-only ByteSource over a stream of chunks (an HTTP body, a cached
 * file read in order). Bytes flow through once: `pipe()` hands each piece of
 * the requested range to a sink (the loader writes it straight into wasm
 * memory), gaps are skipped, and only the last `read()` result is kept so the
 * tensor data right after a header prefix can still be served. Peak JS memory
 * is one network chunk plus the header prefix.
 *
 * Reads must come in increasing offset order (the loader reads tensors in
 * file order); a read before what has been passed and is no longer kept fails.
 */
import { GGUFFormatError, LutraError } from '../errors.ts';
import { checkRange, type ByteSource } from '../gguf/reader.ts';

/** A source that can stream a range into a sink without collecting it. */
export interface StreamingByteSource extends ByteSource {
  /** Hand bytes [offset, offset + length) to `sink`, in order, in pieces (views valid only during the call). */
  pipe(offset: number, length: number, sink: (piece: Uint8Array) => void): Promise<void>;
  /**
   * Independent regions of the file ([start, end) pairs, e.g. the parts of a
   * split model) that may be read concurrently; within a region reads go
   * forward. Absent: one region.
   */
  readonly regions?: ReadonlyArray<readonly [number, number]>;
}

/** Largest single read from a random-access source, so a big tensor never needs one huge JS buffer. */
export const RANDOM_READ_CHUNK = 16 << 20;

export function isStreaming(s: ByteSource): s is StreamingByteSource {
  return typeof (s as StreamingByteSource).pipe === 'function';
}

/** Produces the file's bytes in order; null at the end. */
export type ChunkProducer = () => Promise<Uint8Array | null>;

export class ForwardSource implements StreamingByteSource {
  /** File offset of the first byte of `pending` (= bytes consumed from the producer). */
  private pos = 0;
  private pending: Uint8Array | null = null;
  private kept: { offset: number; bytes: Uint8Array } | null = null;
  private ended = false;

  constructor(
    readonly size: number,
    private readonly next: ChunkProducer,
    /** Names the source in errors. */
    private readonly label = 'stream',
  ) {}

  /** Bytes taken from the producer so far. */
  get consumed(): number {
    return this.pos + (this.pending?.length ?? 0);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    await this.pipe(offset, length, (p) => {
      out.set(p, at);
      at += p.length;
    });
    this.kept = { offset, bytes: out };
    return out;
  }

  async pipe(offset: number, length: number, sink: (piece: Uint8Array) => void): Promise<void> {
    checkRange(offset, length, this.size);
    let off = offset;
    const end = offset + length;
    if (off < this.pos && off < end) {
      const k = this.kept;
      const kEnd = k ? k.offset + k.bytes.length : 0;
      if (!k || off < k.offset || off >= kEnd) {
        throw new LutraError('INTERNAL', `${this.label}: read at offset ${off} is behind the stream position ${this.pos}`);
      }
      const e = Math.min(end, kEnd);
      sink(k.bytes.subarray(off - k.offset, e - k.offset));
      off = e;
      if (off < end && off < this.pos) {
        throw new LutraError('INTERNAL', `${this.label}: read at offset ${off} is behind the stream position ${this.pos}`);
      }
    }
    while (off < end) {
      if (!this.pending || this.pending.length === 0) {
        const chunk = this.ended ? null : await this.next();
        if (!chunk) {
          this.ended = true;
          throw new GGUFFormatError(`${this.label}: the data ended after ${this.pos} bytes, but ${this.size} were announced`);
        }
        this.pending = chunk;
        continue;
      }
      if (off > this.pos) {
        const skip = Math.min(off - this.pos, this.pending.length);
        this.pending = this.pending.subarray(skip);
        this.pos += skip;
        continue;
      }
      const n = Math.min(end - off, this.pending.length);
      sink(n === this.pending.length ? this.pending : this.pending.subarray(0, n));
      this.pending = this.pending.subarray(n);
      this.pos += n;
      off += n;
    }
  }

  /** Consume the rest of the stream (so that a cache copy is complete). */
  async drain(): Promise<void> {
    this.pos += this.pending?.length ?? 0;
    this.pending = null;
    while (!this.ended) {
      const chunk = await this.next();
      if (!chunk) this.ended = true;
      else this.pos += chunk.length;
    }
    if (this.pos !== this.size) {
      throw new GGUFFormatError(`${this.label}: the data ended after ${this.pos} bytes, but ${this.size} were announced`);
    }
  }
}

/**
 * Several sources seen as one file: part i occupies [bases[i], bases[i] + size_i).
 * A read may not cross parts. Regions are the parts, so the loader reads them concurrently.
 */
export class ConcatSource implements StreamingByteSource {
  readonly size: number;
  readonly bases: number[];
  readonly regions: ReadonlyArray<readonly [number, number]>;

  constructor(readonly parts: readonly ByteSource[]) {
    this.bases = [];
    let at = 0;
    for (const p of parts) {
      this.bases.push(at);
      at += p.size;
    }
    this.size = at;
    this.regions = parts.map((p, i) => [this.bases[i], this.bases[i] + p.size] as const);
  }

  private locate(offset: number, length: number): [ByteSource, number] {
    checkRange(offset, length, this.size);
    for (let i = this.parts.length - 1; i >= 0; i--) {
      if (offset >= this.bases[i]) {
        const local = offset - this.bases[i];
        if (local + length > this.parts[i].size) {
          throw new GGUFFormatError(`read of ${length} bytes at offset ${offset} crosses the end of part ${i + 1}`);
        }
        return [this.parts[i], local];
      }
    }
    /* c8 ignore next */
    throw new GGUFFormatError(`offset ${offset} is in no part`);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const [p, local] = this.locate(offset, length);
    return p.read(local, length);
  }

  async pipe(offset: number, length: number, sink: (piece: Uint8Array) => void): Promise<void> {
    const [p, local] = this.locate(offset, length);
    if (isStreaming(p)) return p.pipe(local, length, sink);
    for (let done = 0; done < length; ) {
      const n = Math.min(RANDOM_READ_CHUNK, length - done);
      sink(await p.read(local + done, n));
      done += n;
    }
  }
}
