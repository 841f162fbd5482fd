/**
 * What every browser benchmark runner shares: a Vite server over the repo
 * (COOP/COEP from vite.config.ts; no HMR or file watching, so edits elsewhere
 * never reload a page mid-run), Debian's headless Chromium with the project's
 * launch flags, a page that logs to the console, and the run's environment.
 */
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumLaunch } from '../../playwright.config.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchSession {
  /** Base URL of the server, ending in '/'. */
  url: string;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function openBenchPage(): Promise<BenchSession> {
  const server: ViteDevServer = await createServer({
    configFile: path.join(repoRoot, 'vite.config.ts'), root: repoRoot, logLevel: 'warn',
    server: { port: 0, hmr: false, watch: { ignored: ['**/*'] } },
  });
  await server.listen();
  const browser = await chromium.launch(chromiumLaunch);
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (e) => console.log('pageerror: ' + String(e)));
  return {
    url: server.resolvedUrls!.local[0],
    browser,
    page,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Starts the clock for a run; `environment()` describes it when it ends. */
export function startRun(browser: Browser): { environment(command: string): Record<string, string> } {
  const t0 = Date.now();
  const load0 = os.loadavg()[0].toFixed(1);
  return {
    environment: (command) => ({
      command,
      cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown').trim(),
      chromium: browser.version(),
      date: new Date().toISOString(),
      minutes: ((Date.now() - t0) / 60000).toFixed(1),
      load: `${load0} at the start, ${os.loadavg()[0].toFixed(1)} at the end (1-min load average; 2 vCPUs shared with other sessions)`,
    }),
  };
}
