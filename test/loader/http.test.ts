/**
 * The loader over HTTP in Node (fetch + a local server): streaming download
 * with progress, Range resume after a dropped connection, servers without
 * Range support or Content-Length, a file that changes mid-download, split
 * models fetched in parallel, abort at every stage, and the forward-only
 * source itself.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { AbortError, DownloadError, GGUFFormatError, LutraError, OutOfMemoryError } from '../../src/errors.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { LocalEngine } from '../../src/engine/local-engine.ts';
import type { LoadProgress } from '../../src/engine/types.ts';
import { openHttp } from '../../src/loader/http.ts';
import { openModel } from '../../src/loader/open.ts';
import { mergeSplitHeaders, splitPartUrls } from '../../src/loader/split.ts';
import { ConcatSource, ForwardSource } from '../../src/loader/stream-source.ts';
import { startTestServer, type TestServer } from './server.ts';
import { splitGGUF } from './synth.ts';

const stories = new Uint8Array(readFileSync(path.join(testdata, 'models', 'stories260K.gguf')));
const GREEDY = ', there was a little girl named Lily';
let server: TestServer;

beforeAll(async () => {
  const parts = splitGGUF(stories, 3);
  server = await startTestServer({
    '/stories260K.gguf': { bytes: stories, chunkBytes: 16 << 10 },
    '/drop.gguf': { bytes: stories, dropAfter: 300_000, dropTimes: 2, chunkBytes: 16 << 10 },
    '/norange.gguf': { bytes: stories, dropAfter: 300_000, ranges: false },
    '/nolength.gguf': { bytes: stories, noLength: true },
    '/slow.gguf': { bytes: stories, chunkBytes: 16 << 10, delayMs: 20 },
    '/stall.gguf': { bytes: stories, dropAfter: 500_000, stall: true },
    '/stories-00001-of-00003.gguf': { bytes: parts[0] },
    '/stories-00002-of-00003.gguf': { bytes: parts[1], chunkBytes: 8 << 10, delayMs: 1 },
    '/stories-00003-of-00003.gguf': { bytes: parts[2] },
    '/truncated.gguf': { bytes: stories, dropAfter: 100_000, dropTimes: 100 },
  });
});
afterAll(() => server?.close());

async function greedy(engine: LocalEngine): Promise<string> {
  return (await engine.generate('Once upon a time', { maxTokens: 10, temperature: 0 })).text;
}

describe('ForwardSource', () => {
  const chunksOf = (b: Uint8Array, n: number) => {
    let at = 0;
    return async () => (at >= b.length ? null : b.subarray(at, (at += n)));
  };
  it('pipes ranges in order, skips gaps, serves the last read from memory, refuses to go back', async () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 255);
    const s = new ForwardSource(1000, chunksOf(data, 7));
    expect(await s.read(0, 100)).toEqual(data.subarray(0, 100));
    const got: number[] = [];
    await s.pipe(90, 20, (p) => got.push(...p)); // overlaps the kept read, then continues
    expect(got).toEqual(Array.from(data.subarray(90, 110)));
    const got2: number[] = [];
    await s.pipe(500, 13, (p) => got2.push(...p));
    expect(got2).toEqual(Array.from(data.subarray(500, 513)));
    await expect(s.pipe(200, 1, () => {})).rejects.toThrow(/behind the stream position/);
    await s.drain();
    expect(s.consumed).toBe(1000);
  });
  it('a stream shorter than announced is a format error', async () => {
    const s = new ForwardSource(50, chunksOf(new Uint8Array(40), 16));
    await expect(s.read(0, 50)).rejects.toBeInstanceOf(GGUFFormatError);
  });
  it('ConcatSource reads parts by region and never across them', async () => {
    const a = new Uint8Array(10).fill(1), b = new Uint8Array(5).fill(2);
    const c = new ConcatSource([new ForwardSource(10, chunksOf(a, 3)), new ForwardSource(5, chunksOf(b, 2))]);
    expect(c.size).toBe(15);
    expect(c.regions).toEqual([[0, 10], [10, 15]]);
    expect(await c.read(11, 3)).toEqual(new Uint8Array(3).fill(2));
    await expect(c.read(8, 4)).rejects.toThrow(/crosses the end of part 1/);
  });
});

describe('split file names', () => {
  it('expands one part into all of them and leaves other names alone', () => {
    expect(splitPartUrls('https://h/m/q4-00002-of-00003.gguf?download=1')).toEqual([
      'https://h/m/q4-00001-of-00003.gguf?download=1', 'https://h/m/q4-00002-of-00003.gguf?download=1', 'https://h/m/q4-00003-of-00003.gguf?download=1',
    ]);
    expect(splitPartUrls('https://h/model.gguf')).toBeUndefined();
    expect(splitPartUrls('https://h/m-00004-of-00003.gguf')).toBeUndefined();
  });
  it('checks split.no, split.count and split.tensors.count', () => {
    const parts = splitGGUF(stories, 3).map((p) => parseGGUF(p));
    const merged = mergeSplitHeaders(parts);
    expect(merged.tensors.map((t) => t.name)).toEqual(parseGGUF(stories).tensors.map((t) => t.name));
    expect(() => mergeSplitHeaders([parts[1], parts[0], parts[2]])).toThrow(/split.no/);
    expect(() => mergeSplitHeaders([parts[0], parts[1]])).toThrow(GGUFFormatError);
  });
});

describe('HTTP download', () => {
  it('streams a model from a URL with download and load progress, reaching the totals', async () => {
    const engine = new LocalEngine();
    const seen: LoadProgress[] = [];
    const report = await engine.load({ url: `${server.url}/stories260K.gguf` }, { contextLength: 64, onProgress: (p) => seen.push(p) });
    const dl = seen.filter((p) => p.phase === 'download');
    const ld = seen.filter((p) => p.phase === 'load');
    expect(dl.at(-1)).toEqual({ phase: 'download', loaded: stories.length, total: stories.length });
    expect(dl.length).toBeGreaterThanOrEqual(1);
    expect(ld.at(-1)!.loaded).toBe(ld.at(-1)!.total);
    expect(ld.at(-1)!.tensors).toBe(48);
    expect(report.load!.origin).toBe('network');
    expect(report.load!.cache).toBe('unavailable');
    expect(report.load!.cacheNote).toMatch(/not cached: no Origin Private File System/);
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('resumes with Range after the connection drops (twice), verifying the 206', async () => {
    const before = server.log.length;
    const engine = new LocalEngine();
    await engine.load({ url: `${server.url}/drop.gguf` }, { contextLength: 64 });
    const reqs = server.log.slice(before).filter((r) => r.path === '/drop.gguf');
    expect(reqs.map((r) => r.range)).toEqual([undefined, 'bytes=300000-', 'bytes=600000-']);
    expect(reqs.map((r) => r.status)).toEqual([200, 206, 206]);
    expect(reqs[1].ifRange).toMatch(/lutra/);
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('a connection that goes silent is given up after the stall timeout and resumed', async () => {
    const before = server.log.length;
    const http = await openHttp(`${server.url}/stall.gguf`, { stallTimeoutMs: 300, retryDelayMs: 1 });
    const t0 = performance.now();
    await http.source!.drain();
    expect(performance.now() - t0).toBeGreaterThan(250);
    expect(http.resumes).toBe(1);
    expect(server.log.slice(before).map((r) => r.range)).toEqual([undefined, 'bytes=500000-']);
  });

  it('a server without ranges sends the whole file again: the received prefix is skipped', async () => {
    const engine = new LocalEngine();
    await engine.load({ url: `${server.url}/norange.gguf` }, { contextLength: 64 });
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('a file that changed on the server mid-download fails with DownloadError', async () => {
    const f = { bytes: stories, dropAfter: 200_000, etag: '"v1"' };
    server.files.set('/changing.gguf', f);
    const http = await openHttp(`${server.url}/changing.gguf`, { retryDelayMs: 1 });
    f.etag = '"v2"';
    const err = await http.source!.drain().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(String(err)).toMatch(/changed on the server/);
  });

  it('gives up after the retries with a DownloadError naming how far it got', async () => {
    const http = await openHttp(`${server.url}/truncated.gguf`, { retryDelayMs: 1, maxRetries: 2 });
    const err = await http.source!.drain().catch((e: unknown) => e) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/failed after 300000 of 1185376 bytes and 2 resumes/);
  });

  it('HTTP errors are DownloadErrors with the status', async () => {
    const err = await openModel({ url: `${server.url}/missing.gguf` }).catch((e: unknown) => e) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.status).toBe(404);
  });

  it('loads without Content-Length (collected into a Blob)', async () => {
    const engine = new LocalEngine();
    const r = await engine.load({ url: `${server.url}/nolength.gguf` }, { contextLength: 64 });
    expect(r.fileBytes).toBe(stories.length);
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('loads a split model, its three parts fetched in parallel', async () => {
    const before = server.log.length;
    const engine = new LocalEngine();
    const seen: LoadProgress[] = [];
    const r = await engine.load({ url: `${server.url}/stories-00002-of-00003.gguf` }, { contextLength: 64, onProgress: (p) => seen.push(p) });
    const paths = server.log.slice(before).map((x) => x.path).sort();
    expect(paths).toEqual(['/stories-00001-of-00003.gguf', '/stories-00002-of-00003.gguf', '/stories-00003-of-00003.gguf']);
    expect(r.fileBytes).toBe(splitGGUF(stories, 3).reduce((s, p) => s + p.length, 0));
    expect(seen.filter((p) => p.phase === 'download').at(-1)!.loaded).toBe(r.fileBytes);
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('aborts mid-download with AbortError; the engine then loads again', async () => {
    const engine = new LocalEngine();
    const ctrl = new AbortController();
    const p = engine.load({ url: `${server.url}/slow.gguf` }, {
      contextLength: 64,
      signal: ctrl.signal,
      onProgress: (x) => { if (x.phase === 'download' && x.loaded > 200_000) ctrl.abort(); },
    });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await expect(engine.report()).rejects.toBeInstanceOf(LutraError);
    await engine.load({ url: `${server.url}/stories260K.gguf` }, { contextLength: 64 });
    expect(await greedy(engine)).toMatch(new RegExp('^' + GREEDY));
  });

  it('abortLoad() cancels while the header is read, and while tensors are placed', async () => {
    for (const at of ['download', 'load'] as const) {
      const engine = new LocalEngine();
      const p = engine.load({ url: `${server.url}/slow.gguf` }, {
        contextLength: 64,
        onProgress: (x) => { if (x.phase === at) void engine.abortLoad(); },
      });
      await expect(p).rejects.toBeInstanceOf(AbortError);
    }
    const engine = new LocalEngine();
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(engine.load({ url: `${server.url}/stories260K.gguf` }, { signal: ctrl.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('a model over the memory budget is refused before its tensors are downloaded', async () => {
    const sentBefore = server.sent.get('/slow.gguf') ?? 0;
    const engine = new LocalEngine();
    const err = await engine.load({ url: `${server.url}/slow.gguf` }, { memoryBudget: 3 << 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    await new Promise((r) => setTimeout(r, 100));
    const sent = (server.sent.get('/slow.gguf') ?? 0) - sentBefore;
    expect(sent).toBeLessThan(stories.length);
  });
});
