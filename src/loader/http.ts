/**
 * Streaming HTTP download as a ForwardSource: the body is consumed chunk by
 * chunk as the loader asks for bytes, never collected. When the connection
 * drops or stalls, the download resumes from the next byte with
 * `Range: bytes=N-` (and `If-Range` with the ETag or Last-Modified), after
 * checking the 206 and its Content-Range. A server that ignores the range
 * answers 200 with the whole file: that is accepted only when it is the same
 * file (same ETag, or same size and no validators at all), and the bytes
 * already received are skipped; otherwise the download fails with a
 * DownloadError rather than mixing two versions of a file.
 */
import { AbortError, DownloadError } from '../errors.ts';
import { ForwardSource } from './stream-source.ts';

export interface HttpOptions {
  signal?: AbortSignal;
  /** Called with the number of new bytes each time a chunk arrives. */
  onBytes?: (n: number) => void;
  /** Sees every chunk in order, with its file offset (the cache writer). */
  tap?: (chunk: Uint8Array, offset: number) => void;
  /** Resume attempts after the connection drops (default 5). */
  maxRetries?: number;
  /** A body that delivers nothing for this long counts as dropped (default 30 s). */
  stallTimeoutMs?: number;
  /** Wait before a resume attempt, doubled each time (default 250 ms). */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface HttpFile {
  url: string;
  /** Bytes, from Content-Length; undefined when the server did not say. */
  size: number | undefined;
  etag: string | undefined;
  lastModified: string | undefined;
  acceptRanges: boolean;
  /** Resumes that happened. */
  readonly resumes: number;
  /** Bytes received so far. */
  readonly received: number;
  /** Only when `size` is known. */
  source: ForwardSource | undefined;
  /** Next chunk of the body (also what `source` consumes); null at the end. */
  next(): Promise<Uint8Array | null>;
  /** Stop the download (pending reads reject). */
  cancel(): void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError('Download aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message;
  return String(e);
}

class Stalled extends Error {}

/** Bytes asked for per read when the body supports BYOB reads. */
const BYOB_CHUNK = 256 << 10;

interface BodyReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(): Promise<void>;
}

/**
 * A reader over the body. Where the body is a byte stream (Chromium, Node) it
 * reads into one reused buffer (BYOB), so a download makes no garbage per
 * chunk: each chunk is a view that the next read() invalidates, which is how
 * ForwardSource and the cache writer use chunks anyway (done with one before
 * asking for the next).
 */
function bodyReader(body: ReadableStream<Uint8Array>): BodyReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    return body.getReader();
  }
  let buf = new ArrayBuffer(BYOB_CHUNK);
  return {
    async read() {
      const r = await byob.read(new Uint8Array(buf, 0, buf.byteLength));
      if (r.value) buf = r.value.buffer as ArrayBuffer;
      if (r.done || !r.value) return { done: true, value: undefined };
      return { done: false, value: r.value as Uint8Array };
    },
    cancel: () => byob.cancel(),
  };
}

export async function openHttp(url: string, options: HttpOptions = {}): Promise<HttpFile> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const ctrl = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => ctrl.abort(outer!.reason);
  if (outer?.aborted) throw new AbortError('Download aborted');
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const maxRetries = options.maxRetries ?? 5;
  const stallMs = options.stallTimeoutMs ?? 30_000;
  const retryDelay = options.retryDelayMs ?? 250;

  const abortError = (cause?: unknown) => new AbortError('Download aborted', { cause });

  async function request(headers: Record<string, string>): Promise<Response> {
    try {
      return await doFetch(url, { signal: ctrl.signal, headers, cache: 'no-store' });
    } catch (cause) {
      if (ctrl.signal.aborted) throw abortError(cause);
      throw new DownloadError(`Could not download ${url}: ${describe(cause)}`, { cause });
    }
  }

  const response = await request({});
  if (!response.ok) {
    void response.body?.cancel().catch(() => {});
    outer?.removeEventListener('abort', onOuterAbort);
    throw new DownloadError(`Could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim(), { status: response.status });
  }
  const h = response.headers;
  const encoding = h.get('content-encoding');
  const lengthHeader = h.get('content-length');
  const size = lengthHeader !== null && (!encoding || encoding === 'identity') && /^\d+$/.test(lengthHeader)
    ? Number(lengthHeader) : undefined;
  const etag = h.get('etag') ?? undefined;
  const lastModified = h.get('last-modified') ?? undefined;
  const acceptRanges = (h.get('accept-ranges') ?? '').toLowerCase().includes('bytes');

  let reader: BodyReader = bodyReader(response.body!);
  let received = 0;
  let resumes = 0;
  let done = false;
  /** Bytes of a 200 re-send to drop (a server that ignored our Range). */
  let skip = 0;

  async function readChunk(): Promise<ReadableStreamReadResult<Uint8Array>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stall = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Stalled(`no data for ${stallMs} ms`)), stallMs);
    });
    try {
      return await Promise.race([reader.read(), stall]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function resume(cause: unknown): Promise<void> {
    if (size === undefined || resumes >= maxRetries) {
      throw new DownloadError(
        `Download of ${url} failed after ${received} of ${size ?? '?'} bytes` +
          `${resumes ? ` and ${resumes} resumes` : ''}: ${describe(cause)}`, { cause });
    }
    void reader.cancel().catch(() => {});
    await sleep(retryDelay * 2 ** resumes, ctrl.signal);
    resumes++;
    const headers: Record<string, string> = { Range: `bytes=${received}-` };
    if (etag && !etag.startsWith('W/')) headers['If-Range'] = etag;
    else if (lastModified) headers['If-Range'] = lastModified;
    let r: Response;
    try {
      r = await request(headers);
    } catch (e) {
      if (e instanceof AbortError) throw e;
      return resume(e);
    }
    const rh = r.headers;
    if (r.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(rh.get('content-range') ?? '');
      if (!m || Number(m[1]) !== received || Number(m[2]) !== size - 1 || (m[3] !== '*' && Number(m[3]) !== size)) {
        void r.body?.cancel().catch(() => {});
        throw new DownloadError(
          `Could not resume ${url} at byte ${received}: the server answered Content-Range '${rh.get('content-range')}'`);
      }
      reader = bodyReader(r.body!);
      return;
    }
    if (r.status === 200) {
      const sameEtag = etag !== undefined && rh.get('etag') === etag;
      const noValidators = etag === undefined && lastModified === undefined;
      const sameSize = rh.get('content-length') === String(size);
      if (sameSize && (sameEtag || (noValidators && !acceptRanges))) {
        // the server does not do ranges: take the whole file again and drop what we have
        skip = received;
        reader = bodyReader(r.body!);
        return;
      }
      void r.body?.cancel().catch(() => {});
      throw new DownloadError(`${url} changed on the server during the download (resume at byte ${received} got a different file)`);
    }
    void r.body?.cancel().catch(() => {});
    if (r.status >= 500 || r.status === 408 || r.status === 429) return resume(new Error(`HTTP ${r.status}`));
    throw new DownloadError(`Could not resume ${url} at byte ${received}: HTTP ${r.status}`, { status: r.status });
  }

  async function next(): Promise<Uint8Array | null> {
    for (;;) {
      if (done) return null;
      if (ctrl.signal.aborted) throw abortError();
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await readChunk();
      } catch (e) {
        if (ctrl.signal.aborted) throw abortError(e);
        await resume(e);
        continue;
      }
      if (r.done) {
        if (size !== undefined && received < size) {
          await resume(new Error('the connection closed early'));
          continue;
        }
        done = true;
        outer?.removeEventListener('abort', onOuterAbort);
        return null;
      }
      let chunk = r.value;
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) continue;
      }
      if (size !== undefined && received + chunk.length > size) {
        cancel();
        throw new DownloadError(
          `${url} sent more than the ${size} bytes its Content-Length announced (a compressed response?)`);
      }
      const at = received;
      received += chunk.length;
      options.tap?.(chunk, at);
      options.onBytes?.(chunk.length);
      return chunk;
    }
  }

  function cancel(): void {
    done = true;
    outer?.removeEventListener('abort', onOuterAbort);
    if (!ctrl.signal.aborted) ctrl.abort(new AbortError('Download cancelled'));
    void reader.cancel().catch(() => {});
  }

  return {
    url, size, etag, lastModified, acceptRanges,
    get resumes() { return resumes; },
    get received() { return received; },
    source: size === undefined ? undefined : new ForwardSource(size, next, url),
    next,
    cancel,
  };
}
