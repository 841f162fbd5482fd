/**
 * Load benchmark: time from load() to ready, from the network (a local HTTP
 * server) and from the OPFS cache, for synthetic llama models of ≥ 100 MB, and
 * the peak memory of the browser while loading, against the model's size.
 *
 *   npm run bench:loading -- [--sizes=110,440] [--reps=3]   (--table-only: rewrite loading.md from loading.json)
 *
 * Memory: every Chromium process under this script is sampled every 50 ms
 * (/proc/<pid>/smaps_rollup: PSS, so shared pages are not counted twice); the
 * figure is the peak of the sum during a load minus the sum just before it,
 * and the renderer process alone (page + engine worker + kernel workers).
 * Writes bench/results/loading.json and loading.md.
 */
import { createServer } from 'vite';
import { chromium, type Page } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumLaunch } from '../../playwright.config.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { startTestServer } from '../../test/loader/server.ts';
import { synthLlama } from '../../test/loader/synth.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const layersFor = (mb: number) => Math.max(1, Math.round(mb / 13.7)); // 13.6 MB of Q8_0 per layer at this shape
const sizes = arg('sizes', '110,440').split(',').map(Number);
const reps = Number(arg('reps', '3'));
/** --table-only: rewrite loading.md from loading.json (no measuring). */
const tableOnly = process.argv.includes('--table-only');

// --- process memory sampling ---------------------------------------------------------
function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid)!.push(Number(d));
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const k of kids.get(p) ?? []) { out.push(k); walk(k); } };
  walk(pid);
  return out;
}
function pssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch { return 0; }
}
function isRenderer(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer'); } catch { return false; }
}
function sample(pids: number[], renderers: Set<number>): { total: number; renderer: number } {
  let total = 0, renderer = 0;
  for (const p of pids) {
    const kb = pssKiB(p);
    total += kb;
    if (renderers.has(p)) renderer = Math.max(renderer, kb);
  }
  return { total: total * 1024, renderer: renderer * 1024 };
}
/** Peak PSS while f runs. The process list is taken once (workers are threads of the renderer). */
async function measure<T>(f: () => Promise<T>): Promise<{ value: T; peakTotal: number; peakRenderer: number; baseTotal: number; baseRenderer: number }> {
  const pids = descendants(process.pid);
  const renderers = new Set(pids.filter(isRenderer));
  const base = sample(pids, renderers);
  let peakTotal = base.total, peakRenderer = base.renderer;
  let on = true;
  const loop = (async () => {
    while (on) {
      const s = sample(pids, renderers);
      peakTotal = Math.max(peakTotal, s.total);
      peakRenderer = Math.max(peakRenderer, s.renderer);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return { value: await f(), peakTotal, peakRenderer, baseTotal: base.total, baseRenderer: base.renderer };
  } finally {
    on = false;
    await loop;
  }
}

// --- run -------------------------------------------------------------------------------
interface Row { model: string; fileMB: number; from: string; rep: number; ms: number; peakTabMB: number; tabBaseMB: number; peakAllMB: number; cache: string; wasmMB: number; planMB: number; weightsMB: number; phases?: Record<string, number> }
const rows: Row[] = [];
const MB = 1e6;
const out = path.join(root, 'bench/results');
const header = tableOnly ? readFileSync(path.join(out, 'loading.md'), 'utf8').split('\n')[0] : '';
if (tableOnly) rows.push(...(JSON.parse(readFileSync(path.join(out, 'loading.json'), 'utf8')) as Row[]));
else await measureAll();

async function measureAll() {
  const files: Record<string, { bytes: Uint8Array; chunkBytes: number }> = {};
  const models = sizes.map((mb) => {
    const bytes = synthLlama({ nEmbd: 1024, nLayer: layersFor(mb), nFf: 2816, nHead: 16, nHeadKv: 16, ctx: 2048, type: GGMLType.Q8_0, seed: mb });
    const name = `/synthetic-${mb}MB.Q8_0.gguf`;
    files[name] = { bytes, chunkBytes: 256 << 10 };
    return { name, bytes: bytes.length };
  });
  const modelServer = await startTestServer(files);
  const vite = await createServer({ configFile: path.join(root, 'vite.config.ts'), root, logLevel: 'warn', server: { port: 0 } });
  await vite.listen();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'lutra-load-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });

  async function open(page: Page) {
    await page.goto(`${vite.resolvedUrls!.local[0]}bench/loading/load.html`);
    await page.waitForFunction(() => document.getElementById('ready')?.textContent === 'ready');
  }
  try {
    for (const m of models) {
      const url = `${modelServer.url}${m.name}`;
      for (let rep = 0; rep < reps; rep++) {
        for (const from of ['network', 'network+store', 'cache'] as const) {
          // a fresh page (its own renderer process): the previous model's memory is gone
          for (const p of ctx.pages()) await p.close();
          const page = await ctx.newPage();
          await open(page);
          if (from === 'network+store') await page.evaluate((u) => (window as any).bench.engine.deleteCachedModel(u), url);
          await page.waitForTimeout(300);
          const cache = from === 'network' ? false : true;
          const r = await measure(() => page.evaluate(([u, c]) => (window as any).bench.timedLoad(u, { cache: c, contextLength: 2048 }), [url, cache] as const));
          const rep_ = r.value.report;
          if (r.value.generated !== 1) throw new Error('the loaded model did not generate');
          const row: Row = {
            model: m.name.slice(1), fileMB: m.bytes / MB, from, rep, ms: r.value.ms,
            peakTabMB: (r.peakRenderer - r.baseRenderer) / MB, tabBaseMB: r.baseRenderer / MB, peakAllMB: (r.peakTotal - r.baseTotal) / MB,
            cache: rep_.load.cache, wasmMB: rep_.memoryBytes / MB, planMB: rep_.load.plan.total / MB, weightsMB: rep_.load.plan.weights / MB,
            phases: rep_.load.phases,
          };
          rows.push(row);
          console.log(JSON.stringify(row));
        }
      }
    }
  } finally {
    await ctx.close();
    await vite.close();
    await modelServer.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

mkdirSync(out, { recursive: true });
if (!tableOnly) writeFileSync(path.join(out, 'loading.json'), JSON.stringify(rows, null, 1) + '\n');
const models = [...new Set(rows.map((r) => r.model))].map((m) => ({ name: `/${m}` }));
const med = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const L: string[] = [];
if (tableOnly) L.push(header);
else L.push(`Command: \`npm run bench:loading -- --sizes=${sizes.join(',')} --reps=${reps}\` — ${new Date().toISOString()}, ` +
  `${(readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?').trim()}, ${os.cpus().length} vCPUs, ` +
  `load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}. Headless Chromium, on-disk profile, model server on 127.0.0.1 (no throttling), ` +
  'synthetic Q8_0 llama models (n_embd 1024, n_ff 2816, context 2048). Time: load() call to the resolved report, median of the reps. ' +
  'Memory: PSS growth during the load (peak minus the value just before), renderer process (page + engine worker + kernel workers) and all Chromium processes.');
L.push('');
L.push('| model | file MB | from | load ms (median) | min–max ms | MB/s (median) | tab before MB | peak tab MB | peak tab Δ MB | peak tab Δ ÷ file | peak all Δ MB | wasm memory MB (plan: weights + KV, mostly untouched) | cache | ms: header / tokenizer / pool / tensors / finish (median) |');
L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const m of models) {
  for (const from of ['network', 'network+store', 'cache']) {
    const rs = rows.filter((r) => r.model === m.name.slice(1) && r.from === from);
    if (!rs.length) continue;
    const ms = med(rs.map((r) => r.ms));
    const tab = med(rs.map((r) => r.peakTabMB));
    L.push(`| ${m.name.slice(1)} | ${rs[0].fileMB.toFixed(1)} | ${from} | ${ms.toFixed(0)} | ` +
      `${Math.min(...rs.map((r) => r.ms)).toFixed(0)}–${Math.max(...rs.map((r) => r.ms)).toFixed(0)} | ${(rs[0].fileMB / (ms / 1000)).toFixed(0)} | ` +
      `${med(rs.map((r) => r.tabBaseMB)).toFixed(0)} | ${med(rs.map((r) => r.tabBaseMB + r.peakTabMB)).toFixed(0)} | ${tab.toFixed(0)} | ${(tab / rs[0].fileMB).toFixed(2)} | ${med(rs.map((r) => r.peakAllMB)).toFixed(0)} | ` +
      `${rs[0].wasmMB.toFixed(0)} (${rs[0].weightsMB.toFixed(0)} + ${(rs[0].planMB - rs[0].weightsMB).toFixed(0)}) | ${rs[0].cache} | ` +
      `${rs[0].phases ? ['header', 'tokenizer', 'pool', 'tensors', 'finish'].map((k) => med(rs.map((r) => r.phases?.[k] ?? 0)).toFixed(0)).join(' / ') : '–'} |`);
  }
}
writeFileSync(path.join(out, 'loading.md'), L.join('\n') + '\n');
console.log(L.join('\n'));
