/**
 * Cache API vs OPFS, measured the way the model loader would use them: a
 * download arrives as ~64 KiB chunks that are written as they come (never
 * collected), and a cached model is read back as a stream of chunks.
 */
const CHUNK = 64 << 10;

interface SyncHandle { read(b: Uint8Array, o: { at: number }): number; write(b: Uint8Array, o: { at: number }): number; flush(): void; close(): void }
const syncHandle = (fh: FileSystemFileHandle) => (fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle();

function chunks(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(CHUNK, total - sent);
      const b = new Uint8Array(n);
      b[0] = sent & 255;
      sent += n;
      c.enqueue(b);
    },
  }, { highWaterMark: 1 });
}

async function drain(s: ReadableStream<Uint8Array>): Promise<number> {
  const r = s.getReader();
  let n = 0;
  for (;;) { const { done, value } = await r.read(); if (done) return n; n += value.length; }
}

async function run(mb: number) {
  const total = mb << 20;
  const out: Record<string, number | string> = { mb };
  const t = () => performance.now();

  // Cache API: put() consumes the stream, match() gives a streamed body
  const cache = await caches.open('lutra-bench');
  let t0 = t();
  await cache.put('/bench-model.gguf', new Response(chunks(total), { headers: { 'content-length': String(total) } }));
  out.cacheWriteMs = t() - t0;
  t0 = t();
  const res = await cache.match('/bench-model.gguf');
  out.cacheReadMs = (await drain(res!.body!), t() - t0);
  t0 = t();
  const blob = await (await cache.match('/bench-model.gguf'))!.blob();
  let off = 0;
  while (off < blob.size) { await blob.slice(off, off + (16 << 20)).arrayBuffer(); off += 16 << 20; }
  out.cacheBlobSliceReadMs = t() - t0;
  await caches.delete('lutra-bench');

  // OPFS, sync access handle (dedicated workers only)
  const root = await navigator.storage.getDirectory();
  let fh = await root.getFileHandle('bench-sync.gguf', { create: true });
  t0 = t();
  const h = await syncHandle(fh);
  let at = 0;
  const rd = chunks(total).getReader();
  for (;;) { const { done, value } = await rd.read(); if (done) break; h.write(value, { at }); at += value.length; }
  h.flush(); h.close();
  out.opfsSyncWriteMs = t() - t0;
  t0 = t();
  out.opfsFileStreamReadMs = (await drain((await fh.getFile()).stream()), t() - t0);
  t0 = t();
  const h2 = await syncHandle(fh);
  const buf = new Uint8Array(1 << 20);
  for (let p = 0; p < total; p += buf.length) h2.read(buf, { at: p });
  h2.close();
  out.opfsSyncReadMs = t() - t0;
  await root.removeEntry('bench-sync.gguf');

  // OPFS, createWritable (works on the main thread too)
  fh = await root.getFileHandle('bench-writable.gguf', { create: true });
  t0 = t();
  const ws = await fh.createWritable();
  await chunks(total).pipeTo(ws);
  out.opfsWritableWriteMs = t() - t0;
  await root.removeEntry('bench-writable.gguf');
  const est = await navigator.storage.estimate();
  out.quotaGB = ((est.quota ?? 0) / 1e9).toFixed(1);
  return out;
}

onmessage = async (e: MessageEvent<{ mb: number }>) => {
  try {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await run(e.data.mb));
    postMessage({ runs });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
