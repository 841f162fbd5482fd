/**
 * End-to-end benchmark: `npm run bench [-- --layers N --runs N --only Q2_K]`.
 * Starts Vite (COOP/COEP), drives headless Debian Chromium over bench/e2e/index.html and
 * writes bench/results/e2e.json (rows: model, quant, threads, flavor, pp_tps, tg_tps,
 * weight_bytes_per_token, mem_gbps, roofline_tps), e2e.md (bench/e2e/notes.md, then the
 * measured table) and e2e.svg (decode and prefill tok/s per model and thread count).
 */
import { openBenchPage, startRun } from '../lib/harness.ts';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'bench/results');
const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const layers = arg('layers') ?? '4', runs = arg('runs') ?? '3', only = arg('only');

interface Row {
  model: string; quant: string; threads: number; flavor: string; matmul: string; pp_tps: number; tg_tps: number;
  weight_bytes_per_token: number; mem_gbps: number; roofline_tps: number; roofline_fraction: number;
  pp: number[]; tg: number[]; promptTokens: number; loadMs: number; kernels: Record<string, number>;
}
interface Result { flavor: string; layers: number; runs: number; bandwidthBefore: Record<string, number>; bandwidthAfter: Record<string, number>; rows: Row[] }

if (process.argv.includes('--render')) {
  const res = JSON.parse(readFileSync(path.join(outDir, 'e2e.json'), 'utf8')) as Result & { env: Record<string, string> };
  write(res, res.env);
  process.exit(0);
}

const { url, browser, page, close } = await openBenchPage();
const clock = startRun(browser);
try {
  await page.goto(`${url}bench/e2e/index.html?layers=${layers}&runs=${runs}${only ? `&only=${only}` : ''}`);
  await page.waitForFunction(() => window.__e2eBench || window.__e2eBenchError, null, { timeout: 60 * 60_000, polling: 1000 });
  const err = await page.evaluate(() => window.__e2eBenchError);
  if (err) throw new Error(err);
  const res = (await page.evaluate(() => window.__e2eBench)) as Result;
  const env = clock.environment(`npm run bench -- --layers ${layers} --runs ${runs}${only ? ` --only ${only}` : ''}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'e2e.json'), JSON.stringify({ env, ...res }, null, 1) + '\n');
  write(res, env);
} finally {
  await close();
}

function write(r: Result, env: Record<string, string>) {
  writeFileSync(path.join(outDir, 'e2e.md'), readFileSync(path.join(root, 'bench/e2e/notes.md'), 'utf8') + '\n' + render(r, env));
  writeFileSync(path.join(outDir, 'e2e.svg'), svg(r));
  console.log('wrote bench/results/e2e.json, e2e.md, e2e.svg');
}

function render(r: Result, env: Record<string, string>): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  return [
    '## Measured',
    '',
    `\`${env.command}\` · ${env.date} · ${env.cpu} · Chromium ${env.chromium} · ${env.minutes} min · load ${env.load}`,
    '',
    `Bandwidth (strong streaming read; before / after): 1 thread ${f(r.bandwidthBefore['1'])} / ${f(r.bandwidthAfter['1'])} GB/s, ` +
      `2 threads ${f(r.bandwidthBefore['2'])} / ${f(r.bandwidthAfter['2'])} GB/s; mem_gbps = the better of the two.`,
    '',
    `Prefill: a ${r.rows[0]?.promptTokens ?? 128}-token prompt; decode: 64 tokens; greedy; median of ${r.runs} generations (runs listed).`,
    '',
    '| model | quant | threads | flavor/kernels | pp tok/s | tg tok/s | weight MB/token | mem GB/s | roofline tok/s | tg ÷ roofline | pp runs | tg runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.model} | ${x.quant}${x.matmul === 'auto' ? '' : ` (${x.matmul})`} | ${x.threads} | ${x.flavor} | ${f(x.pp_tps)} | **${f(x.tg_tps)}** | ` +
      `${f(x.weight_bytes_per_token / 1e6)} | ${f(x.mem_gbps)} | ${f(x.roofline_tps)} | **${f(100 * x.roofline_fraction, 0)} %** | ` +
      `${x.pp.map((v) => f(v)).join(' ')} | ${x.tg.map((v) => f(v)).join(' ')} |`),
    '',
  ].join('\n');
}

function svg(r: Result): string {
  const rows = r.rows;
  const W = 900, barH = 14, gap = 6, left = 330, top = 40;
  const max = Math.max(...rows.map((x) => Math.max(x.tg_tps, x.roofline_tps, x.pp_tps)), 1);
  const sx = (v: number) => ((W - left - 40) * v) / max;
  const parts: string[] = [];
  rows.forEach((x, i) => {
    const y = top + i * (3 * barH + gap + 4);
    const label = `${x.model} ${x.quant}${x.matmul === 'auto' ? '' : ` (${x.matmul})`} · ${x.threads}t`;
    parts.push(`<text x="${left - 6}" y="${y + barH}" text-anchor="end" font-size="11">${label}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${sx(x.tg_tps).toFixed(1)}" height="${barH}" fill="#2a7"/>`);
    parts.push(`<text x="${left + sx(x.tg_tps) + 4}" y="${y + barH - 3}" font-size="10">decode ${x.tg_tps.toFixed(1)}</text>`);
    parts.push(`<rect x="${left}" y="${y + barH}" width="${sx(x.roofline_tps).toFixed(1)}" height="${barH / 2}" fill="#bbb"/>`);
    parts.push(`<rect x="${left}" y="${y + 1.5 * barH}" width="${sx(x.pp_tps).toFixed(1)}" height="${barH}" fill="#37c"/>`);
    parts.push(`<text x="${left + sx(x.pp_tps) + 4}" y="${y + 2.5 * barH - 3}" font-size="10">prefill ${x.pp_tps.toFixed(1)}</text>`);
  });
  const H = top + rows.length * (3 * barH + gap + 4) + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="10" y="20" font-size="14">lutra end to end, tokens/s (green: decode, grey: decode roofline = mem GB/s ÷ weight bytes per token, blue: prefill)</text>
${parts.join('\n')}
</svg>
`;
}
