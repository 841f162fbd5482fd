/**
 * Kernel benchmark: `npm run bench:kernels` (node --import tsx bench/kernels/run.ts).
 * Starts Vite (COOP/COEP), drives headless Debian Chromium over bench/kernels/index.html,
 * writes bench/results/kernels.json (rows as issue 3 specifies) and kernels.md.
 * Options: --quick (one shape, 3 repetitions), --flavors=relaxed
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
const flavors = process.argv.find((a) => a.startsWith('--flavors='))?.split('=')[1] ?? 'simd128,relaxed';

const outDir = path.join(root, 'bench/results');
type Res = Record<string, { rows: Row[]; mem: Record<number, number>; prep: Record<string, number>; check: Record<string, string> }>;

if (process.argv.includes('--render')) {
  // re-render kernels.md from the last run's raw results (after editing notes.md)
  const { res, env } = JSON.parse(readFileSync(path.join(outDir, 'kernels.raw.json'), 'utf8')) as { res: Res; env: Record<string, string> };
  render(res, env, false);
} else {
  await run();
}

function render(res: Res, env: Record<string, string>, isQuick: boolean) {
  const all = Object.values(res).flatMap((r) => r.rows);
  // kernels.json keeps exactly the issue's fields; token-mode rows (ternary, exact int16
  // tables) and best-of-15 figures go to the Markdown only
  const rows = all.filter((r) => !r.mode).map((r) => ({ kernel: r.kernel, flavor: r.flavor, bits: r.bits, M: r.M, K: r.K,
    batch: r.batch, threads: r.threads, ms: r.ms, weight_gbps: r.weight_gbps, mem_gbps: r.mem_gbps }));
  mkdirSync(outDir, { recursive: true });
  const jsonName = isQuick ? 'kernels.quick.json' : 'kernels.json';
  writeFileSync(path.join(outDir, jsonName), JSON.stringify(rows, null, 1) + '\n');
  const notes = readFileSync(path.join(root, 'bench/kernels/notes.md'), 'utf8');
  writeFileSync(path.join(outDir, isQuick ? 'kernels.quick.md' : 'kernels.md'), notes + '\n' + summary(all) + '\n' + table(all, res, env));
  console.log(`wrote ${jsonName} (${rows.length} rows)`);
}

async function run() {
const server = await createServer({ configFile: path.join(root, 'vite.config.ts'), root, logLevel: 'warn', server: { port: 0 } });
await server.listen();
const url = server.resolvedUrls!.local[0];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const t0 = Date.now();
const load0 = os.loadavg()[0].toFixed(1);
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${url}bench/kernels/index.html?flavors=${flavors}${quick ? '&quick=1' : ''}`);
  await page.waitForFunction(() => window.__bench || window.__benchError, null, { timeout: 20 * 60_000, polling: 1000 });
  const err = await page.evaluate(() => window.__benchError);
  if (err) throw new Error(err);
  const res = (await page.evaluate(() => window.__bench)) as Res;
  const env: Record<string, string> = {
    cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown').trim(),
    l3: execSync("lscpu | grep 'L3 cache' | sed 's/.*: *//'").toString().trim(),
    chromium: browser.version(),
    date: new Date().toISOString(),
    minutes: ((Date.now() - t0) / 60000).toFixed(1),
    load: `${load0} at the start, ${os.loadavg()[0].toFixed(1)} at the end (1-min load average; 2 vCPUs shared with other sessions)`,
  };
  if (!quick) writeFileSync(path.join(outDir, 'kernels.raw.json'), JSON.stringify({ res, env }) + '\n');
  render(res, env, quick);
} finally {
  await browser.close();
  await server.close();
}
}

interface Row { kernel: string; flavor: string; bits: number | string; M: number; K: number; batch: number; threads: number; ms: number; weight_gbps: number; mem_gbps: number; mode?: string; ms_best: number; weight_gbps_best: number; mem_gbps_best: number }

/** Bars of issue 3 (relaxed flavor): per bits × threads, the range over the six shapes. */
function summary(all: Row[]): string {
  const L: string[] = [];
  for (const stat of ['median', 'best'] as const) {
  const rows = stat === 'median' ? all : all.map((r) => ({ ...r, ms: r.ms_best, weight_gbps: r.weight_gbps_best, mem_gbps: r.mem_gbps_best }));
  L.push(stat === 'median' ? '## Bars, from this run (relaxed flavor, batch 1, range over the six shapes; medians, as kernels.json)'
    : '### The same with best-of-15 times and bandwidths (least disturbed by the other processes on the machine)');
  L.push('', '| bits | threads | LUT weight GB/s ÷ mem GB/s | bar | LUT ÷ MAD time | bar |', '|---|---|---|---|---|---|');
  for (const b of [1, 2, 3, 4, 'ternary'] as const)
    for (const th of [1, 2]) {
      const lut = rows.filter((r) => r.flavor === 'relaxed' && r.bits === b && r.threads === th && r.batch === 1 && r.kernel === 'lut' && !r.mode);
      if (!lut.length) continue;
      const frac = lut.map((r) => r.weight_gbps / r.mem_gbps);
      const ratio = lut.map((r) => r.ms / rows.find((m) => m.kernel === 'mad' && m.flavor === r.flavor && m.bits === r.bits && m.M === r.M && m.K === r.K && m.threads === r.threads && m.batch === 1)!.ms);
      const need = b === 1 ? 0.6 : 0.8;
      const bw = typeof b === 'number' && b >= 3 ? '–' : Math.min(...frac) >= need ? 'met' : `missed (${(100 * need).toFixed(0)} %)`;
      const rb = typeof b === 'number' && b >= 3 ? (Math.max(...ratio) <= 1 ? 'met (≤ 1)' : 'missed') : Math.max(...ratio) < 1 ? 'met (< 1)' : 'missed';
      const pct = (v: number) => `${(100 * v).toFixed(0)} %`;
      L.push(`| ${b} | ${th} | ${pct(Math.min(...frac))} – ${pct(Math.max(...frac))} | ${bw} | ${Math.min(...ratio).toFixed(2)} – ${Math.max(...ratio).toFixed(2)} | ${rb} |`);
    }
  L.push('');
  }
  return L.join('\n') + '\n';
}

function table(rows: Row[], res: Record<string, { mem: Record<number, number>; prep: Record<string, number>; check: Record<string, string> }>, env: Record<string, string>): string {
  const L: string[] = [];
  L.push(`Command: \`npm run bench:kernels\` — ${env.cpu} (L3 ${env.l3}), Chromium ${env.chromium}, ${env.date}, ${env.minutes} min; load ${env.load}.`);
  L.push('');
  for (const [f, r] of Object.entries(res)) {
    L.push(`- ${f}: memory read ${Object.entries(r.mem).map(([t, v]) => `${t} thr ${v.toFixed(1)} GB/s`).join(', ')}; spot check NMSE ${JSON.stringify(r.check)}`);
    L.push(`- ${f}: preprocessing per token (ms, 1 thread) ${Object.entries(r.prep).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
  }
  L.push('');
  L.push('Medians of 15 (kernels.json); "best" = best-of-15 LUT time and bandwidth.');
  L.push('');
  L.push('| flavor | bits | M×K | thr | batch | LUT ms | MAD ms | LUT÷MAD time | LUT GB/s | MAD GB/s | mem GB/s | LUT % of mem | best: LUT ms / LUT % of mem / LUT÷MAD | LUT tok-mode ms | per-token ms (LUT GEMM / MAD GEMM / LUT GEMV) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const key = (r: Row) => `${r.flavor}|${r.bits}|${r.M}|${r.K}|${r.threads}|${r.batch}`;
  const by = new Map<string, Row[]>();
  for (const r of rows) { const k = key(r); if (!by.has(k)) by.set(k, []); by.get(k)!.push(r); }
  for (const [k, rs] of by) {
    const lut = rs.find((r) => r.kernel === 'lut' && !r.mode), mad = rs.find((r) => r.kernel === 'mad'), tok = rs.find((r) => r.mode === 'token');
    if (!lut || !mad) continue;
    let per = '';
    if (lut.batch > 1) {
      const gemv = by.get(k.replace(/\|\d+$/, '|1'))?.find((r) => r.kernel === 'lut' && !r.mode);
      per = `${(lut.ms / lut.batch).toFixed(3)} / ${(mad.ms / mad.batch).toFixed(3)} / ${gemv?.ms.toFixed(3)}`;
    }
    L.push(`| ${lut.flavor} | ${lut.bits} | ${lut.M}×${lut.K} | ${lut.threads} | ${lut.batch} | ${lut.ms.toFixed(3)} | ${mad.ms.toFixed(3)} | ${(lut.ms / mad.ms).toFixed(2)} | ${lut.weight_gbps.toFixed(1)} | ${mad.weight_gbps.toFixed(1)} | ${lut.mem_gbps.toFixed(1)} | ${lut.batch === 1 ? ((100 * lut.weight_gbps) / lut.mem_gbps).toFixed(0) + ' %' : ''} | ${lut.ms_best.toFixed(3)} / ${lut.batch === 1 ? ((100 * lut.weight_gbps_best) / lut.mem_gbps_best).toFixed(0) + ' %' : '–'} / ${(lut.ms_best / mad.ms_best).toFixed(2)} | ${tok ? tok.ms.toFixed(3) : ''} | ${per} |`);
  }
  return L.join('\n') + '\n';
}
