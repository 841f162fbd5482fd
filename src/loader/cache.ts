/**
 * The model cache: files downloaded from a URL, kept in the Origin Private
 * File System (OPFS) and read back with synchronous access handles (workers
 * only; the engine runs in one).
 *
 * Why OPFS and not the Cache API (bench/loading/storage-run.ts, 128 MiB written
 * as 64 KiB chunks the way a download arrives, headless Chromium, on-disk
 * profile, three runs): OPFS sync handle writes took 0.28–0.64 s vs 0.62–1.03 s
 * for cache.put() of a streamed Response, and reads 13–45 ms vs 155–220 ms
 * for a cached Response body. The sync handle also writes each chunk where it
 * belongs as it arrives (no tee, no buffering) and gives random access.
 *
 * Layout, in the directory `lutra-models/`: `<key>.gguf` (the file) and
 * `<key>.json` (url, size, ETag, Last-Modified, checksum, date). The key is a
 * hash of the URL. The JSON is written last, after the checksum: an entry
 * without it is an interrupted download and is removed. Integrity: on open,
 * the file size must match; while the cached file is read (in full, in order)
 * the checksum is recomputed and compared at the end.
 */
import { LutraError } from '../errors.ts';
import { Checksum } from './checksum.ts';
import type { ChunkProducer } from './stream-source.ts';

export interface CachedModel {
  url: string;
  size: number;
  etag?: string;
  lastModified?: string;
  /** 64-bit checksum of the whole file (loader/checksum.ts). */
  checksum: string;
  /** ISO date when it was stored. */
  storedAt: string;
}

/** The cached copy does not match what was stored (size or checksum): it was deleted. */
export class CacheIntegrityError extends LutraError {
  override readonly name: string = 'CacheIntegrityError';
  constructor(message: string) {
    super('CACHE_INTEGRITY', message);
  }
}

// Minimal typings for the sync access handle (in lib.webworker, not lib.dom).
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

const DIR = 'lutra-models';
const READ_CHUNK = 1 << 20;

/** Why the cache cannot be used here, or undefined when it can. */
export function cacheUnavailableReason(): string | undefined {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return 'no Origin Private File System here (not a browser)';
  const fh = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  if (!fh || !('createSyncAccessHandle' in fh.prototype)) return 'OPFS sync access handles exist only in workers';
  return undefined;
}

async function keyOf(url: string): Promise<string> {
  const bytes = new TextEncoder().encode(url);
  if (globalThis.crypto?.subtle) {
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  const c = new Checksum();
  c.update(bytes);
  return c.digest();
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
}

export interface CacheWriter {
  /** Write a chunk at its file offset; never throws (a failure turns writing off and sets `failure`). */
  write(chunk: Uint8Array, offset: number): void;
  /** Why the copy stopped, if it did (storage full, ...). */
  readonly failure: string | undefined;
  /** Store the entry (after the whole file was written); returns false when writing had failed. */
  commit(): Promise<boolean>;
  /** Drop a partial copy. */
  discard(): Promise<void>;
}

export interface CacheReader {
  entry: CachedModel;
  /** The file's bytes in order (reusing one buffer); the end verifies the checksum (CacheIntegrityError, entry deleted). */
  next: ChunkProducer;
  close(): void;
}

export class ModelCache {
  private async dir(): Promise<FileSystemDirectoryHandle> {
    const root = await navigator.storage.getDirectory();
    return root.getDirectoryHandle(DIR, { create: true });
  }

  private async readMeta(dir: FileSystemDirectoryHandle, key: string): Promise<CachedModel | undefined> {
    try {
      const f = await (await dir.getFileHandle(`${key}.json`)).getFile();
      const m = JSON.parse(await f.text()) as CachedModel;
      return typeof m.url === 'string' && typeof m.size === 'number' && typeof m.checksum === 'string' ? m : undefined;
    } catch {
      return undefined;
    }
  }

  private async remove(dir: FileSystemDirectoryHandle, key: string): Promise<void> {
    await dir.removeEntry(`${key}.json`).catch(() => {});
    await dir.removeEntry(`${key}.gguf`).catch(() => {});
  }

  /** Complete entries; interrupted downloads found on the way are removed. */
  async list(): Promise<CachedModel[]> {
    const dir = await this.dir();
    const out: CachedModel[] = [];
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    for (const name of names) {
      if (!name.endsWith('.gguf')) continue;
      const key = name.slice(0, -5);
      const meta = await this.readMeta(dir, key);
      if (meta) out.push(meta);
      else await this.remove(dir, key).catch(() => {});
    }
    return out.sort((a, b) => a.url.localeCompare(b.url));
  }

  async delete(url: string): Promise<boolean> {
    const dir = await this.dir();
    const key = await keyOf(url);
    const had = (await this.readMeta(dir, key)) !== undefined;
    await this.remove(dir, key);
    return had;
  }

  /** Total bytes of complete entries. */
  async usage(): Promise<number> {
    return (await this.list()).reduce((s, m) => s + m.size, 0);
  }

  /**
   * Open the cached copy of `url` for reading, or undefined when there is none
   * (or it is in use by another tab: then the caller downloads). A copy whose
   * size is wrong is deleted and reported as CacheIntegrityError.
   */
  async open(url: string): Promise<CacheReader | undefined> {
    const dir = await this.dir();
    const key = await keyOf(url);
    const entry = await this.readMeta(dir, key);
    if (!entry || entry.url !== url) return undefined;
    let handle: SyncAccessHandle;
    try {
      const fh = (await dir.getFileHandle(`${key}.gguf`)) as SyncFileHandle;
      handle = await fh.createSyncAccessHandle();
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotFoundError') {
        await this.remove(dir, key);
        return undefined;
      }
      return undefined; // locked by another tab or worker: download instead
    }
    const size = handle.getSize();
    if (size !== entry.size) {
      handle.close();
      await this.remove(dir, key);
      throw new CacheIntegrityError(`The cached copy of ${url} is ${size} bytes instead of ${entry.size}; it was deleted`);
    }
    const sum = new Checksum();
    const buf = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, size)));
    let at = 0;
    let closed = false;
    const close = () => {
      if (!closed) handle.close();
      closed = true;
    };
    const next = async (): Promise<Uint8Array | null> => {
      if (at >= size) {
        if (!closed) {
          close();
          const got = sum.digest();
          if (got !== entry.checksum) {
            await this.remove(dir, key);
            throw new CacheIntegrityError(`The cached copy of ${url} is corrupt (checksum ${got}, stored ${entry.checksum}); it was deleted`);
          }
        }
        return null;
      }
      if (closed) throw new LutraError('ABORTED', 'The cache reader was closed');
      // one buffer, reused: ForwardSource is done with a chunk before it asks for the next
      const n = handle.read(buf.subarray(0, Math.min(buf.length, size - at)), { at });
      if (n <= 0) throw new CacheIntegrityError(`The cached copy of ${url} ended early at byte ${at}`);
      const piece = buf.subarray(0, n);
      sum.update(piece);
      at += n;
      return piece;
    };
    return { entry, next, close };
  }

  /**
   * Start storing `url` (size known). Returns a writer, or a reason when the
   * cache cannot take it (storage estimate says it will not fit).
   */
  async create(info: Omit<CachedModel, 'checksum' | 'storedAt'>): Promise<CacheWriter | string> {
    try {
      const est = await navigator.storage.estimate();
      if (est.quota !== undefined && est.usage !== undefined && est.quota - est.usage < info.size) {
        return `storage full: ${mib(est.quota - est.usage)} free of a ${mib(est.quota)} quota, the model needs ${mib(info.size)}`;
      }
    } catch {
      // no estimate: try and see
    }
    const dir = await this.dir();
    const key = await keyOf(info.url);
    await this.remove(dir, key);
    let handle: SyncAccessHandle;
    try {
      const fh = (await dir.getFileHandle(`${key}.gguf`, { create: true })) as SyncFileHandle;
      handle = await fh.createSyncAccessHandle();
      handle.truncate(0);
    } catch (e) {
      return `could not create the cache file: ${(e as Error).message}`;
    }
    const sum = new Checksum();
    let written = 0;
    let failure: string | undefined;
    let open = true;
    const stop = async (why: string) => {
      failure ??= why;
      if (open) handle.close();
      open = false;
      await this.remove(dir, key);
    };
    return {
      get failure() { return failure; },
      write(chunk, offset) {
        if (!open || failure) return;
        if (offset !== written) {
          void stop(`chunks arrived out of order (${offset} after ${written})`);
          return;
        }
        try {
          const n = handle.write(chunk, { at: offset });
          if (n !== chunk.length) throw new DOMException('short write', 'QuotaExceededError');
          sum.update(chunk);
          written += n;
        } catch (e) {
          void stop(isQuotaError(e)
            ? `storage full after ${mib(written)} of ${mib(info.size)}; the model was loaded without caching`
            : `writing the cache failed: ${(e as Error).message}`);
        }
      },
      commit: async () => {
        if (failure || !open) return false;
        if (written !== info.size) {
          await stop(`only ${written} of ${info.size} bytes were written`);
          return false;
        }
        try {
          handle.flush();
          handle.close();
          open = false;
          const meta: CachedModel = { ...info, checksum: sum.digest(), storedAt: new Date().toISOString() };
          const mf = (await dir.getFileHandle(`${key}.json`, { create: true })) as SyncFileHandle;
          const mh = await mf.createSyncAccessHandle();
          const bytes = new TextEncoder().encode(JSON.stringify(meta));
          mh.truncate(0);
          if (mh.write(bytes, { at: 0 }) !== bytes.length) throw new DOMException('short write', 'QuotaExceededError');
          mh.flush();
          mh.close();
          return true;
        } catch (e) {
          await stop(isQuotaError(e) ? 'storage full while finishing the cache entry' : `finishing the cache entry failed: ${(e as Error).message}`);
          return false;
        }
      },
      discard: async () => {
        if (open || !failure) await stop('discarded');
      },
    };
  }
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}
