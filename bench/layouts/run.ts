/**
 * LUT layouts benchmark: `npm run bench:layouts` (bench/layouts/page.ts in headless Chromium).
 * Writes bench/results/layouts.json and layouts.md (bench/layouts/notes.md + the table).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openBenchPage, repoRoot, startRun } from '../lib/harness.ts';

interface Row { flavor: string; layout: string; M: number; K: number; ms: number; rounds: number[]; bytes_per_weight: number; ps_per_weight: number; gbps: number }

if (process.argv.includes('--render')) { // re-render layouts.md from layouts.json after editing notes.md
  const { env, rows } = JSON.parse(readFileSync(path.join(repoRoot, 'bench/results/layouts.json'), 'utf8')) as { env: Record<string, string>; rows: Row[] };
  write(env, rows);
  process.exit(0);
}

const { url, browser, page, close } = await openBenchPage();
const clock = startRun(browser);
try {
  await page.goto(`${url}bench/layouts/index.html`);
  await page.waitForFunction(() => window.__layouts || window.__layoutsError, null, { timeout: 30 * 60_000, polling: 1000 });
  const err = await page.evaluate(() => window.__layoutsError);
  if (err) throw new Error(err);
  const { rows } = (await page.evaluate(() => window.__layouts)) as { rows: Row[] };
  const env = clock.environment('npm run bench:layouts');
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'bench/results/layouts.json'), JSON.stringify({ env, rows }, null, 1) + '\n');
  write(env, rows);
} finally {
  await close();
}

function write(env: Record<string, string>, rows: Row[]) {
  const out = path.join(repoRoot, 'bench/results');
  const f = (x: number, d = 3) => x.toFixed(d);
  const md = [
    readFileSync(path.join(repoRoot, 'bench/layouts/notes.md'), 'utf8'),
    '',
    `Run: \`${env.command}\`, ${env.date}, ${env.minutes} min; CPU ${env.cpu}; Chromium ${env.chromium}; load ${env.load}.`,
    '',
    '| flavor | layout | M×K | bytes/weight | ms (median of rounds) | ps/weight | GB/s of weights | round medians |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.flavor} | ${r.layout} | ${r.M}×${r.K} | ${f(r.bytes_per_weight)} | ${f(r.ms)} | ${f(r.ps_per_weight, 1)} | ${f(r.gbps, 1)} | ${r.rounds.map((x) => f(x)).join(' ')} |`),
    '',
  ].join('\n');
  writeFileSync(path.join(out, 'layouts.md'), md);
  console.log('wrote bench/results/layouts.md');
}
