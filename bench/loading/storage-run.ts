/**
 * Cache API vs OPFS write/read speed in headless Chromium with an on-disk
 * profile: node --import tsx bench/loading/storage-run.ts [--mb=128]
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
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
  console.log(JSON.stringify(await page.evaluate(() => (window as unknown as { __storage: unknown }).__storage), null, 1));
} finally {
  await ctx.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
