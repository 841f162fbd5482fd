/**
 * Worker-pool benchmark: `node --import tsx bench/pool/run.ts [--quick]`.
 * Starts Vite (COOP/COEP), drives headless Debian Chromium over bench/pool/index.html and
 * writes bench/results/pool.json and pool.md (notes + prediction from bench/pool/notes.md,
 * then the measured table). `--render` re-renders pool.md from pool.json.
 */
import { openBenchPage, startRun } from '../lib/harness.ts';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
const outDir = path.join(root, 'bench/results');

interface DecodeRow { model: string; threads: number; tokPerS: number; bestTokPerS: number; bestRooflineFraction?: number; runs: number[]; loadMs: number; bytesPerToken: number | null; rooflineTokPerS?: number; rooflineFraction?: number }
interface Probe { bandwidthGBs: Record<string, number>; bandwidthRuns: Record<string, number[]>; barrierNs: number; barrierRuns: number[] }
interface Result {
  flavor: string; hardwareConcurrency: number; runs: number; tokens: number; weightBytes: number; fileBytes: number;
  probe: Probe; probeAfter: Probe; bandwidth: Record<string, number>;
  decode: DecodeRow[];
}

if (process.argv.includes('--render')) {
  // re-render pool.md from pool.json (after editing notes.md)
  const { env, ...res } = JSON.parse(readFileSync(path.join(outDir, 'pool.json'), 'utf8')) as Result & { env: Record<string, string> };
  writeFileSync(path.join(outDir, 'pool.md'), readFileSync(path.join(root, 'bench/pool/notes.md'), 'utf8') + '\n' + render(res, env));
  console.log('re-rendered bench/results/pool.md');
  process.exit(0);
}

const { url, browser, page, close } = await openBenchPage();
page.on('requestfailed', (r) => console.log('requestfailed: ' + r.url()));
const clock = startRun(browser);
try {
  await page.goto(`${url}bench/pool/index.html${quick ? '?quick&runs=3&tokens=16' : ''}`);
  await page.waitForFunction(() => window.__poolBench || window.__poolBenchError, null, { timeout: 30 * 60_000, polling: 1000 });
  const err = await page.evaluate(() => window.__poolBenchError);
  if (err) throw new Error(err);
  const res = (await page.evaluate(() => window.__poolBench)) as Result;
  const env = clock.environment(`node --import tsx bench/pool/run.ts${quick ? ' --quick' : ''}`);
  mkdirSync(outDir, { recursive: true });
  const base = quick ? 'pool.quick' : 'pool';
  writeFileSync(path.join(outDir, `${base}.json`), JSON.stringify({ env, ...res }, null, 1) + '\n');
  writeFileSync(path.join(outDir, `${base}.md`), readFileSync(path.join(root, 'bench/pool/notes.md'), 'utf8') + '\n' + render(res, env));
  console.log(`wrote bench/results/${base}.json and ${base}.md`);
} finally {
  await close();
}

function render(r: Result, env: Record<string, string>): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    '## Measured',
    '',
    `\`${env.command}\` · ${env.date} · ${env.cpu} · Chromium ${env.chromium} · flavor ${r.flavor} · ` +
      `hardwareConcurrency ${r.hardwareConcurrency} · ${env.minutes} min · load ${env.load}`,
    '',
    `- Memory bandwidth (strong streaming read, 256 MiB, median of ${r.probe.bandwidthRuns['1'].length}; probed before and after the decode runs): ` +
      `1 thread ${f(r.probe.bandwidthGBs['1'])} / ${f(r.probeAfter.bandwidthGBs['1'])} GB/s, 2 threads ${f(r.probe.bandwidthGBs['2'])} / ${f(r.probeAfter.bandwidthGBs['2'])} GB/s; ` +
      `the roofline uses the better: **${f(r.bandwidth['1'])} GB/s** (1 thread), **${f(r.bandwidth['2'])} GB/s** (2 threads).`,
    `- One barrier, 2 threads (median of ${r.probe.barrierRuns.length} runs of 100,000 back-to-back): **${f(r.probe.barrierNs, 0)} ns** before, ` +
      `**${f(r.probeAfter.barrierNs, 0)} ns** after; fastest run ${f(Math.min(...r.probe.barrierRuns, ...r.probeAfter.barrierRuns), 0)} ns ` +
      `(runs: ${[...r.probe.barrierRuns, ...r.probeAfter.barrierRuns].map((x) => f(x, 0)).join(', ')}).`,
    '',
    `Decode, greedy, prompt "Once upon a time", ${r.tokens} new tokens per generation, median of ${r.runs} generations ` +
      '(after one warm-up), through the whole engine (engine worker + kernel workers); 1- and 2-thread generations interleaved:',
    '',
    '| model | threads | decode tok/s (median) | best | runs | bytes read / token | roofline tok/s | fraction of roofline (median / best) | load ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.decode.map((d) => `| ${d.model} | ${d.threads} | **${f(d.tokPerS)}** | ${f(d.bestTokPerS)} | ${d.runs.map((x) => f(x)).join(' ')} | ` +
      `${d.bytesPerToken ? (d.bytesPerToken / 1e6).toFixed(0) + ' MB' : 'in cache'} | ${d.rooflineTokPerS ? f(d.rooflineTokPerS) : '–'} | ` +
      `${d.rooflineFraction ? f(100 * d.rooflineFraction, 0) + ' % / ' + f(100 * d.bestRooflineFraction!, 0) + ' %' : '–'} | ${f(d.loadMs, 0)} |`),
    '',
  ];
  const byModel = new Map<string, DecodeRow[]>();
  for (const d of r.decode) byModel.set(d.model, [...(byModel.get(d.model) ?? []), d]);
  for (const [m, rows] of byModel) {
    const one = rows.find((x) => x.threads === 1), two = rows.find((x) => x.threads === 2);
    if (one && two) lines.push(`- ${m}: 2 threads / 1 thread = **${f(two.tokPerS / one.tokPerS, 2)}×** (medians), ${f(two.bestTokPerS / one.bestTokPerS, 2)}× (best runs)`);
    if (two) {
      // 5 barriers per layer + the job's final one (wasm/src/model/forward.c)
      const layers = /2048x(\d+)/.exec(m)?.[1];
      const nBarriers = layers ? 5 * Number(layers) + 1 : m.startsWith('stories260K') ? 5 * 5 + 1 : 0;
      const barrierNs = Math.min(r.probe.barrierNs, r.probeAfter.barrierNs);
      if (nBarriers) {
        const us = (nBarriers * barrierNs) / 1000, tokenUs = 1e6 / two.tokPerS;
        lines.push(`  - ${nBarriers} barriers per token × ${f(barrierNs, 0)} ns (the lower probe median) = ${f(us, 0)} µs, ` +
          `${f((100 * us) / tokenUs, 1)} % of a 2-thread token (${f(tokenUs, 0)} µs)`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
