/**
 * A small HTTP file server for loader tests (Node unit tests and Playwright):
 * Range requests (206 + Content-Range), ETag / If-Range, CORS (so a page on
 * another port can fetch with Range and read the headers), and per-file
 * misbehaviour: drop the connection after N bytes, throttle, ignore Range,
 * omit Content-Length. Counts the bytes it sent per path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  /** The bytes, or a generator for huge synthetic files: fill(offset, length). */
  bytes?: Uint8Array;
  size?: number;
  fill?: (offset: number, length: number) => Uint8Array;
  etag?: string;
  /** Destroy the connection after sending this many body bytes (first `dropTimes` responses). */
  dropAfter?: number;
  dropTimes?: number;
  /** At dropAfter, go silent (keep the connection open, send nothing) instead of dropping it. */
  stall?: boolean;
  /** Send 206 for Range requests (default true); false answers 200 with the whole file. */
  ranges?: boolean;
  /** Leave out Content-Length (chunked transfer). */
  noLength?: boolean;
  /** Body chunk size and pause between chunks, to slow a download down. */
  chunkBytes?: number;
  delayMs?: number;
}

export interface RequestLog {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
}

export interface TestServer {
  url: string;
  files: Map<string, ServedFile>;
  sent: Map<string, number>;
  log: RequestLog[];
  close(): Promise<void>;
}

export async function startTestServer(files: Record<string, ServedFile> = {}): Promise<TestServer> {
  const map = new Map(Object.entries(files));
  const sent = new Map<string, number>();
  const log: RequestLog[] = [];
  const drops = new Map<string, number>();

  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, ETag, Accept-Ranges, Last-Modified');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const f = map.get(path);
    const entry: RequestLog = { path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0 };
    log.push(entry);
    if (!f) {
      entry.status = 404;
      res.writeHead(404).end('not found');
      return;
    }
    const size = f.bytes?.length ?? f.size!;
    const etag = f.etag ?? `"${size.toString(16)}-lutra"`;
    let start = 0, end = size; // [start, end)
    let status = 200;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (m && f.ranges !== false && (!ifRange || ifRange === etag)) {
      start = Number(m[1]);
      end = m[2] ? Math.min(size, Number(m[2]) + 1) : size;
      if (start >= size) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${size}`);
    }
    entry.status = status;
    res.setHeader('ETag', etag);
    if (f.ranges !== false) res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-store');
    if (!f.noLength) res.setHeader('Content-Length', String(end - start));
    res.writeHead(status);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const dropCount = drops.get(path) ?? 0;
    const dropAt = f.dropAfter !== undefined && dropCount < (f.dropTimes ?? 1) ? f.dropAfter : undefined;
    if (dropAt !== undefined) drops.set(path, dropCount + 1);
    const step = f.chunkBytes ?? 256 << 10;
    let closed = false;
    res.on('close', () => (closed = true));
    let done = 0;
    for (let at = start; at < end && !closed; at += step) {
      const n = Math.min(step, end - at);
      const piece = f.bytes ? f.bytes.subarray(at, at + n) : f.fill!(at, n);
      if (dropAt !== undefined && done + n > dropAt) {
        const k = dropAt - done;
        if (k > 0) res.write(piece.subarray(0, k));
        sent.set(path, (sent.get(path) ?? 0) + Math.max(0, k));
        if (f.stall) {
          await new Promise<void>((r) => res.once('close', () => r()));
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      const ok = res.write(piece);
      done += n;
      sent.set(path, (sent.get(path) ?? 0) + n);
      if (!ok) {
        await new Promise<void>((r) => {
          const done = () => { res.off('drain', done); res.off('close', done); r(); };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files: map,
    sent,
    log,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
