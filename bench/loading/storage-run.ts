/**
 * Cache API vs OPFS write/read speed in headless Chromium with an on-disk
 * profile: node --import tsx bench/loading/storage-run.ts [--mb=128]
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumLaunch } from '../../playwright.config.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mb = Number(process.argv.find((a) => a.startsWith('--mb='))?.split('=')[1] ?? 128);
const server = await createServer({ configFile: path.join(root, 'vite.config.ts'), root, logLevel: 'warn', server: { port: 0 } });
await server.listen();
const profile = mkdtempSync(path.join(os.tmpdir(), 'lutra-profile-'));
const ctx = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
try {
  const page = await ctx.newPage();
  await page.goto(`${server.resolvedUrls!.local[0]}bench/loading/storage.html?mb=${mb}`);
  await page.waitForFunction(() => (window as unknown as { __storage: unknown }).__storage, null, { timeout: 600_000, polling: 500 });
  const res = (await page.evaluate(() => (window as unknown as { __storage: unknown }).__storage)) as { runs?: Array<Record<string, number>>; error?: string };
  if (!res.runs) throw new Error(res.error);
  const out = path.join(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'storage.json'), JSON.stringify(res.runs, null, 1) + '\n');
  const cols: Array<[string, string]> = [
    ['cacheWriteMs', 'Cache API put (streamed Response)'], ['opfsSyncWriteMs', 'OPFS sync handle write'], ['opfsWritableWriteMs', 'OPFS createWritable'],
    ['cacheReadMs', 'Cache API match → body stream'], ['cacheBlobSliceReadMs', 'Cache API → blob() → 16 MiB slices'],
    ['opfsFileStreamReadMs', 'OPFS getFile().stream()'], ['opfsSyncReadMs', 'OPFS sync handle read (1 MiB)'],
  ];
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '?').trim();
  const L = [
    `Command: \`node --import tsx bench/loading/storage-run.ts --mb=${mb}\` — ${new Date().toISOString()}, ${cpu}, load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}. ` +
      `Headless Chromium, on-disk profile, in a dedicated worker; ${mb} MiB written as 64 KiB chunks (as a download arrives) and read back. ms per run.`,
    '',
    `| operation | ${res.runs.map((_, i) => `run ${i + 1}`).join(' | ')} |`,
    `|---|${res.runs.map(() => '---').join('|')}|`,
    ...cols.map(([k, label]) => `| ${label} | ${res.runs!.map((r) => Number(r[k]).toFixed(0)).join(' | ')} |`),
  ];
  writeFileSync(path.join(out, 'storage.md'), L.join('\n') + '\n');
  console.log(L.join('\n'));
} finally {
  await ctx.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
