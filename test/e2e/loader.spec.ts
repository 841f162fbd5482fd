/**
 * Model loading in the browser (headless Chromium, engine in its worker): a URL
 * on another origin (the loader test server: Range, ETag, CORS) streams with
 * progress; an abort mid-download leaves the engine usable; the OPFS cache
 * serves a reload with the model server blocked; the cache is listed and
 * deleted through the API; storage that is full is reported and loading goes
 * on; split parts load in parallel; a model that cannot fit in wasm32 is
 * refused before its tensors are downloaded.
 */
import { test, expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { testdata } from '../paths.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { startTestServer, type TestServer } from '../loader/server.ts';
import { splitGGUF, synthHeader, synthLlama } from '../loader/synth.ts';
import { layout, mutate, rng } from '../loader/mutate.ts';
import type { RunResult } from './pages/loader.ts';

const stories = new Uint8Array(fs.readFileSync(path.join(testdata, 'models', 'stories260K.gguf')));
const CONTINUATION = ', there was a little girl named Lily';
let server: TestServer;
let hugeSize = 0;
const FUZZ_FILES = 300;

test.beforeAll(async () => {
  // a 7B-shaped F16 llama: the real header, then zeros made up on the fly (≈13 GB)
  const huge = synthHeader({ nEmbd: 4096, nLayer: 32, nFf: 11008, nHead: 32, type: GGMLType.F16 });
  hugeSize = huge.size;
  const parts = splitGGUF(stories, 3);
  // hostile files for the engine worker
  const seed = synthLlama({ nEmbd: 32, nLayer: 2, nFf: 64, nHead: 4, nHeadKv: 2, ctx: 64, type: GGMLType.F32 });
  const L = layout(seed);
  const r = rng(0xbad);
  const fuzz: Record<string, { bytes: Uint8Array }> = {};
  for (let i = 0; i < FUZZ_FILES; i++) fuzz[`/fuzz/${i}.gguf`] = { bytes: mutate(seed, L, r).bytes };
  server = await startTestServer({
    ...fuzz,
    '/stories260K.gguf': { bytes: stories, chunkBytes: 64 << 10, delayMs: 5 },
    '/cached/stories260K.gguf': { bytes: stories },
    '/full/stories260K.gguf': { bytes: stories },
    '/corrupt/stories260K.gguf': { bytes: stories },
    '/slow/stories260K.gguf': { bytes: stories, chunkBytes: 16 << 10, delayMs: 30 },
    '/drop/stories260K.gguf': { bytes: stories, dropAfter: 400_000, chunkBytes: 32 << 10 },
    '/split/stories-00001-of-00003.gguf': { bytes: parts[0] },
    '/split/stories-00002-of-00003.gguf': { bytes: parts[1] },
    '/split/stories-00003-of-00003.gguf': { bytes: parts[2] },
    '/huge-7b-f16.gguf': {
      size: huge.size,
      fill: (o, n) => {
        const out = new Uint8Array(n);
        if (o < huge.header.length) out.set(huge.header.subarray(o, Math.min(huge.header.length, o + n)));
        return out;
      },
      chunkBytes: 1 << 20,
    },
  });
});
test.afterAll(() => server?.close());

async function openPage(page: Page): Promise<void> {
  await page.goto('/test/e2e/pages/loader.html');
  await expect(page.locator('#ready')).toHaveText('ready', { timeout: 60_000 });
}

type RunOptions = Record<string, unknown>;
function run(page: Page, url: string, options: RunOptions = {}): Promise<RunResult> {
  return page.evaluate(
    ([u, o]) => (window as unknown as { lutraTest: { run: (s: unknown, o: unknown) => Promise<RunResult> } }).lutraTest.run({ url: u }, o),
    [url, { contextLength: 64, ...options }] as const,
  );
}
function generate(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { lutraTest: { generate: (p: string, n: number) => Promise<string> } }).lutraTest.generate('Once upon a time', 10));
}
function engineCall<T>(page: Page, method: 'listCachedModels' | 'deleteCachedModel', arg?: string): Promise<T> {
  return page.evaluate(([m, a]) => {
    const e = (window as unknown as { lutraTest: { engine: Record<string, (x?: string) => Promise<unknown>> } }).lutraTest.engine;
    return e[m](a) as Promise<never>;
  }, [method, arg] as const);
}

test('loads from a URL with download and load progress', async ({ page }) => {
  await openPage(page);
  const r = await run(page, `${server.url}/stories260K.gguf`, { cache: false });
  expect(r.error).toBeUndefined();
  const dl = r.progress.filter((p) => p.phase === 'download');
  const ld = r.progress.filter((p) => p.phase === 'load');
  expect(dl.length).toBeGreaterThan(1);
  expect(dl.at(-1)).toMatchObject({ loaded: stories.length, total: stories.length });
  for (let i = 1; i < dl.length; i++) expect(dl[i].loaded).toBeGreaterThanOrEqual(dl[i - 1].loaded);
  expect(ld.at(-1)).toMatchObject({ tensors: 48, tensorCount: 48 });
  expect(ld.at(-1)!.loaded).toBe(ld.at(-1)!.total);
  // downloading and placing overlap: tensors were placed before the download finished
  const firstLoad = r.progress.findIndex((p) => p.phase === 'load' && p.loaded > 0);
  const lastDownload = r.progress.findLastIndex((p) => p.phase === 'download');
  expect(firstLoad).toBeLessThan(lastDownload);
  expect(r.report!.load).toMatchObject({ origin: 'network', cache: 'disabled' });
  expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
});

test('an abort mid-download rejects with AbortError, then the same engine loads and generates', async ({ page }) => {
  await openPage(page);
  const before = server.sent.get('/slow/stories260K.gguf') ?? 0;
  const aborted = await run(page, `${server.url}/slow/stories260K.gguf`, { abortAfterBytes: 200_000 });
  expect(aborted.ok).toBe(false);
  expect(aborted.error).toMatchObject({ name: 'AbortError', code: 'ABORTED' });
  await page.waitForTimeout(300);
  expect((server.sent.get('/slow/stories260K.gguf') ?? 0) - before).toBeLessThan(stories.length);
  // nothing half-written is left in the cache
  const cached = await engineCall<Array<{ url: string }>>(page, 'listCachedModels');
  expect(cached.map((c) => c.url)).not.toContain(`${server.url}/slow/stories260K.gguf`);
  const again = await run(page, `${server.url}/drop/stories260K.gguf`);
  expect(again.error).toBeUndefined();
  expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
  // the /drop/ file lost its connection at 400 kB and was resumed with a Range request
  const drops = server.log.filter((l) => l.path === '/drop/stories260K.gguf');
  expect(drops.map((l) => l.status)).toEqual([200, 206]);
  expect(drops[1].range).toBe('bytes=400000-');
});

test('a cached model loads after a reload with the model server blocked; list and delete through the API', async ({ page, context }) => {
  const url = `${server.url}/cached/stories260K.gguf`;
  await openPage(page);
  await engineCall(page, 'deleteCachedModel', url);
  const first = await run(page, url);
  expect(first.error).toBeUndefined();
  expect(first.report!.load).toMatchObject({ origin: 'network', cache: 'stored' });
  const list = await engineCall<Array<{ url: string; size: number; etag: string; checksum: string }>>(page, 'listCachedModels');
  const entry = list.find((e) => e.url === url)!;
  expect(entry).toMatchObject({ size: stories.length, etag: expect.stringContaining('lutra') });
  expect(entry.checksum).toMatch(/^[0-9a-f]{16}$/);

  // block the model server for the page and its workers, and make it refuse too
  await context.route(`${server.url}/**`, (route) => route.abort('internetdisconnected'));
  server.files.delete('/cached/stories260K.gguf');
  const requestsBefore = server.log.length;
  await page.reload();
  await expect(page.locator('#ready')).toHaveText('ready');
  const second = await run(page, url);
  expect(second.error).toBeUndefined();
  expect(second.report!.load).toMatchObject({ origin: 'cache', cache: 'hit' });
  expect(second.progress.some((p) => p.phase === 'cache')).toBe(true);
  expect(server.log.length).toBe(requestsBefore);
  expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);

  expect(await engineCall<boolean>(page, 'deleteCachedModel', url)).toBe(true);
  expect((await engineCall<Array<{ url: string }>>(page, 'listCachedModels')).map((e) => e.url)).not.toContain(url);
  const third = await run(page, url);
  expect(third.error).toMatchObject({ name: 'DownloadError', code: 'DOWNLOAD' });
  await context.unroute(`${server.url}/**`);
});

test('a corrupted or truncated cached copy is detected, deleted and downloaded again', async ({ page }) => {
  const url = `${server.url}/corrupt/stories260K.gguf`;
  await openPage(page);
  expect((await run(page, url)).report!.load!.cache).toBe('stored');
  const tamper = (mode: 'flip' | 'truncate') => page.evaluate(async (m) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('lutra-models');
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (!name.endsWith('.gguf')) continue;
      const fh = await dir.getFileHandle(name);
      const file = await fh.getFile();
      if (file.size !== 1185376) continue;
      const w = await fh.createWritable({ keepExistingData: true });
      if (m === 'truncate') await w.truncate(file.size - 1000);
      else {
        // flip one byte inside the tensor data
        const at = 900_000;
        const b = new Uint8Array(await file.slice(at, at + 1).arrayBuffer());
        await w.write({ type: 'write', position: at, data: new Uint8Array([b[0] ^ 0x40]) });
      }
      await w.close();
      return name;
    }
    return '';
  }, mode);
  for (const mode of ['flip', 'truncate'] as const) {
    const requests = server.log.filter((l) => l.path === '/corrupt/stories260K.gguf').length;
    expect(await tamper(mode)).toMatch(/\.gguf$/);
    const r = await run(page, url);
    expect(r.error).toBeUndefined();
    // downloaded again (the damaged copy was deleted) and stored afresh
    expect(r.report!.load).toMatchObject({ origin: 'network', cache: 'stored' });
    expect(server.log.filter((l) => l.path === '/corrupt/stories260K.gguf').length).toBe(requests + 1);
    expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
    expect((await run(page, url)).report!.load).toMatchObject({ origin: 'cache', cache: 'hit' });
  }
});

test('when storage is full the model loads without caching and says so', async ({ page }) => {
  await openPage(page);
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 200_000 });
  try {
    const r = await run(page, `${server.url}/full/stories260K.gguf`);
    expect(r.error).toBeUndefined();
    expect(r.report!.load!.cache).toBe('skipped');
    expect(r.report!.load!.cacheNote).toMatch(/storage full/);
    expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});

test('a split model (3 parts) loads with its parts fetched in parallel', async ({ page }) => {
  await openPage(page);
  const before = server.log.length;
  const r = await run(page, `${server.url}/split/stories-00001-of-00003.gguf`, { cache: false });
  expect(r.error).toBeUndefined();
  expect(server.log.slice(before).map((l) => l.path).sort()).toEqual([1, 2, 3].map((i) => `/split/stories-0000${i}-of-00003.gguf`));
  expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
});

test('a model that cannot fit in wasm32 is refused before its tensors are downloaded', async ({ page }) => {
  await openPage(page);
  const r = await run(page, `${server.url}/huge-7b-f16.gguf`, { contextLength: 4096 });
  expect(r.error).toMatchObject({ name: 'OutOfMemoryError', code: 'OUT_OF_MEMORY', available: 4 * 2 ** 30 });
  expect(r.error!.needed).toBeGreaterThan(12e9);
  expect(r.error!.message).toMatch(/bits per weight/);
  await page.waitForTimeout(500);
  const sent = server.sent.get('/huge-7b-f16.gguf') ?? 0;
  expect(sent).toBeLessThan(64 << 20);
  expect(sent).toBeLessThan(hugeSize / 100);
  expect(r.ms).toBeLessThan(10_000);
  // the engine is still usable
  const ok = await run(page, `${server.url}/stories260K.gguf`, { cache: false });
  expect(ok.error).toBeUndefined();
});

test(`${FUZZ_FILES} hostile files in the engine worker: each a typed error or a model, the worker survives`, async ({ page }) => {
  await openPage(page);
  const outcome = await page.evaluate(async ([base, n]) => {
    const t = (window as unknown as { lutraTest: { run: (s: unknown, o: unknown) => Promise<RunResult> } }).lutraTest;
    const names: Record<string, number> = {};
    const bad: string[] = [];
    let slowest = 0;
    for (let i = 0; i < n; i++) {
      const r = await t.run({ url: `${base}/fuzz/${i}.gguf` }, { cache: false, memoryBudget: 64 << 20 });
      slowest = Math.max(slowest, r.ms);
      const name = r.ok ? 'ok' : r.error!.name;
      names[name] = (names[name] ?? 0) + 1;
      if (!r.ok && !r.error!.code) bad.push(`${i}: ${r.error!.name}: ${r.error!.message}`);
    }
    return { names, bad, slowest };
  }, [server.url, FUZZ_FILES] as const);
  console.log(`browser fuzz: ${JSON.stringify(outcome.names)}, slowest ${outcome.slowest.toFixed(0)} ms`);
  expect(outcome.bad).toEqual([]);
  expect(outcome.names.GGUFFormatError).toBeGreaterThan(FUZZ_FILES / 10);
  // the same worker still loads and runs a real model
  const ok = await run(page, `${server.url}/stories260K.gguf`, { cache: false });
  expect(ok.error).toBeUndefined();
  expect((await generate(page)).startsWith(CONTINUATION)).toBe(true);
});
