import { defineConfig } from '@playwright/test';

/**
 * Browser tests: Debian's Chromium (never a downloaded browser), driven headless
 * against the Vite dev server, which sends COOP/COEP headers.
 */
export const chromiumLaunch = {
  executablePath: process.env.LUTRA_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};

const port = Number(process.env.LUTRA_E2E_PORT ?? 5199);
export const plainPort = Number(process.env.LUTRA_E2E_PLAIN_PORT ?? 5198);

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? 'list' : 'line',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromiumLaunch,
    headless: true,
  },
  webServer: [
    {
      command: `npx vite --config vite.config.ts --host 127.0.0.1 --port ${port} --strictPort`,
      url: `http://127.0.0.1:${port}/demo/index.html`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
    },
    {
      // The script-tag build on a plain server: strict CSP, no COOP/COEP.
      command: `npm run build:lib && npx vite build --config test/app/vite.config.ts && npx tsx test/e2e/static-server.ts ${plainPort}`,
      url: `http://127.0.0.1:${plainPort}/embed.html`,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
    },
  ],
});
