/**
 * Opening a model: turns a ModelSource into a parsed GGUF header and a
 * ByteSource for its tensor data, without reading the tensor data yet.
 *
 *   { url }   → the cache (OPFS) if it holds the file, else a streaming download
 *               (resumable, written to the cache as it arrives); a split model's
 *               parts (`-00001-of-0000N.gguf`) are opened and streamed in parallel
 *   { blob }  → random-access slices of the Blob/File
 *   { bytes } → the buffer itself
 *
 * The caller then places the tensors (loadLlamaModel reads them in file order)
 * and calls finish(): the rest of each download is drained, the cache entries
 * are committed (or the cached copies' checksums verified). cancel() stops
 * everything and discards partial cache entries.
 */
import { AbortError, LutraError } from '../errors.ts';
import { byteSourceFromBlob, byteSourceFromBuffer, readGGUF, type ByteSource } from '../gguf/reader.ts';
import type { GGUFFile } from '../gguf/types.ts';
import type { LoadProgress, ModelSource } from '../engine/types.ts';
import { cacheUnavailableReason, ModelCache, type CacheWriter } from './cache.ts';
import { openHttp, type HttpOptions } from './http.ts';
import { mergeSplitHeaders, splitPartUrls } from './split.ts';
import { ConcatSource, ForwardSource } from './stream-source.ts';

export type CacheStatus = 'hit' | 'stored' | 'skipped' | 'disabled' | 'unavailable' | 'not-applicable';

export interface CacheOutcome {
  status: CacheStatus;
  /** Human-readable: why the model was not cached, or where it came from. */
  note: string;
}

export interface OpenOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Use and fill the cache (default true); 'reload' downloads again and replaces the cached copy. */
  cache?: boolean | 'reload';
  /** Override for tests: the cache to use (default: OPFS when available). */
  modelCache?: ModelCache;
  /** Download tuning (retries, stall timeout, fetch). */
  http?: Omit<HttpOptions, 'signal' | 'onBytes' | 'tap'>;
}

export interface OpenedModel {
  gguf: GGUFFile;
  source: ByteSource;
  origin: 'network' | 'cache' | 'blob' | 'buffer';
  /** Drain downloads, commit or verify cache entries. */
  finish(): Promise<CacheOutcome>;
  /** Stop downloads and discard partial cache entries (idempotent). */
  cancel(): Promise<void>;
}

interface Part {
  url: string;
  source: ForwardSource | ByteSource;
  fromCache: boolean;
  writer?: CacheWriter;
  cacheNote?: string;
  stop(): void;
}

/** Progress reports at most every 1 MiB (or 1/64 of a small file, at least 64 KiB) per part: each crosses the worker boundary. */
const PROGRESS_STEP = 1 << 20;

export async function openModel(src: ModelSource, options: OpenOptions = {}): Promise<OpenedModel> {
  if (options.signal?.aborted) throw new AbortError('Loading aborted');
  if ('blob' in src) {
    const source = byteSourceFromBlob(src.blob);
    const gguf = await readGGUF(source);
    return { gguf, source, origin: 'blob', finish: async () => notApplicable('a File/Blob'), cancel: async () => {} };
  }
  if ('bytes' in src) {
    const bytes = src.bytes instanceof Uint8Array ? src.bytes : new Uint8Array(src.bytes);
    const source = byteSourceFromBuffer(bytes);
    const gguf = await readGGUF(source);
    return { gguf, source, origin: 'buffer', finish: async () => notApplicable('bytes in memory'), cancel: async () => {} };
  }
  return openUrl(src.url, options);
}

function notApplicable(what: string): CacheOutcome {
  return { status: 'not-applicable', note: `loaded from ${what}; only URLs are cached` };
}

async function openUrl(url: string, options: OpenOptions): Promise<OpenedModel> {
  const urls = splitPartUrls(url) ?? [url];
  const wantCache = options.cache ?? true;
  const unavailable = wantCache && !options.modelCache ? cacheUnavailableReason() : undefined;
  const cache = wantCache && !unavailable ? (options.modelCache ?? new ModelCache()) : undefined;

  // progress over all parts
  const sizes = new Array<number>(urls.length).fill(0);
  const got = new Array<number>(urls.length).fill(0);
  const reported = new Array<number>(urls.length).fill(0);
  let fromCache = false;
  const report = (i: number, n: number) => {
    got[i] += n;
    const step = Math.max(64 << 10, Math.min(PROGRESS_STEP, sizes[i] / 64));
    if (got[i] - reported[i] >= step || got[i] === sizes[i]) {
      reported[i] = got[i];
      const total = sizes.reduce((s, x) => s + x, 0);
      options.onProgress?.({ phase: fromCache ? 'cache' : 'download', loaded: got.reduce((s, x) => s + x, 0), total });
    }
  };

  const parts: Part[] = [];
  let cancelled = false;
  const cancel = async () => {
    if (cancelled) return;
    cancelled = true;
    for (const p of parts) p.stop();
    await Promise.all(parts.map((p) => p.writer?.discard()));
  };

  async function openPart(u: string, i: number): Promise<Part> {
    if (cache && wantCache !== 'reload') {
      const hit = await cache.open(u).catch((e: unknown) => {
        if (e instanceof LutraError) return undefined; // integrity failure: the entry is gone, download
        throw e;
      });
      if (hit) {
        sizes[i] = hit.entry.size;
        const counted = new ForwardSource(hit.entry.size, async () => {
          const c = await hit.next();
          if (c) report(i, c.length);
          return c;
        }, `cached ${u}`);
        return { url: u, source: counted, fromCache: true, stop: hit.close };
      }
    }
    let writer: CacheWriter | undefined;
    const http = await openHttp(u, {
      ...options.http,
      signal: options.signal,
      onBytes: (n) => report(i, n),
      tap: (chunk, at) => writer?.write(chunk, at),
    });
    const part: Part = { url: u, source: http.source!, fromCache: false, stop: http.cancel };
    if (http.size === undefined) {
      // no Content-Length: let the browser collect the body into a Blob (it may keep it on disk)
      const body = new ReadableStream<Uint8Array>({
        pull: async (c) => {
          const chunk = await http.next();
          if (chunk) c.enqueue(chunk.slice());
          else c.close();
        },
      });
      const blob = await new Response(body).blob();
      part.source = byteSourceFromBlob(blob);
      part.cacheNote = 'the server sent no Content-Length, so the file was not cached';
      return part;
    }
    sizes[i] = http.size;
    if (cache) {
      const w = await cache.create({ url: u, size: http.size, etag: http.etag, lastModified: http.lastModified });
      if (typeof w === 'string') part.cacheNote = w;
      else writer = part.writer = w;
    }
    return part;
  }

  try {
    const opened = await Promise.allSettled(urls.map((u, i) => openPart(u, i)));
    for (const r of opened) if (r.status === 'fulfilled') parts.push(r.value);
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    fromCache = parts.every((p) => p.fromCache);
    const headers = await Promise.all(parts.map((p) => readGGUF(p.source)));
    const gguf = mergeSplitHeaders(headers);
    const source = parts.length === 1 ? parts[0].source : new ConcatSource(parts.map((p) => p.source));
    return {
      gguf,
      source,
      origin: fromCache ? 'cache' : 'network',
      cancel,
      finish: async () => {
        try {
          await Promise.all(parts.map((p) => (p.source instanceof ForwardSource ? p.source.drain() : undefined)));
        } catch (e) {
          await cancel();
          throw e;
        }
        const notes: string[] = [];
        let stored = 0, hits = 0;
        for (const p of parts) {
          if (p.fromCache) hits++;
          else if (p.writer && (await p.writer.commit())) stored++;
          else notes.push(p.writer?.failure ?? p.cacheNote ?? 'not cached');
        }
        if (!cache) {
          return wantCache
            ? { status: 'unavailable', note: `not cached: ${unavailable}` }
            : { status: 'disabled', note: 'caching is off (cache: false)' };
        }
        if (hits === parts.length) return { status: 'hit', note: 'loaded from the cache (OPFS)' };
        if (stored + hits === parts.length) return { status: 'stored', note: 'downloaded and stored in the cache (OPFS)' };
        return { status: 'skipped', note: `downloaded but not cached: ${[...new Set(notes)].join('; ')}` };
      },
    };
  } catch (e) {
    await cancel();
    if (options.signal?.aborted && !(e instanceof AbortError)) throw new AbortError('Loading aborted', { cause: e });
    throw e;
  }
}
