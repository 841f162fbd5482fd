/** Runs storage-worker.ts and publishes its result as window.__storage. */
const w = new Worker(new URL('./storage-worker.ts', import.meta.url), { type: 'module' });
const mb = Number(new URLSearchParams(location.search).get('mb') ?? 128);
w.onmessage = (e) => {
  (window as unknown as { __storage: unknown }).__storage = e.data;
  document.getElementById('log')!.textContent = JSON.stringify(e.data, null, 1);
};
w.postMessage({ mb });
