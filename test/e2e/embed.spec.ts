/**
 * The script-tag build on a plain page: one <script> and one <lutra-chat>,
 * served with a strict Content-Security-Policy and without COOP/COEP.
 */
import { test, expect, type Page } from '@playwright/test';
import { plainPort } from '../../playwright.config.ts';

const base = `http://127.0.0.1:${plainPort}`;

function collectViolations(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) problems.push(m.text()); });
  return problems;
}

async function ask(page: Page, text: string): Promise<string> {
  const chat = page.locator('lutra-chat');
  await expect(chat.locator('.status')).toContainText('thread', { timeout: 60_000 });
  await chat.locator('textarea').fill(text);
  await chat.locator('button[type=submit]').click();
  const reply = chat.locator('.msg.assistant').last();
  await expect(reply).toHaveAttribute('data-finished', /.+/, { timeout: 60_000 });
  return (await reply.textContent()) ?? '';
}

test('<lutra-chat> generates text on a strict-CSP page without cross-origin isolation', async ({ page }) => {
  const problems = collectViolations(page);
  await page.goto(`${base}/embed.html`);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  expect(await page.evaluate(() => typeof (window as unknown as { lutra?: { createEngine?: unknown } }).lutra?.createEngine)).toBe('function');
  const reply = await ask(page, 'Once upon a time');
  expect(reply.startsWith(', there was a little girl named Lily.')).toBe(true);
  await expect(page.locator('lutra-chat').locator('.status')).toContainText('1 thread');
  expect(problems).toEqual([]);
});

test('model output that is HTML is shown as text in <lutra-chat> and runs nothing', async ({ page }) => {
  await page.goto(`${base}/embed-xss.html`);
  const reply = await ask(page, 'Once upon a time');
  expect(reply).toContain('<img src=x onerror=');
  expect(reply).toContain('<script>');
  expect(await page.locator('lutra-chat').locator('img, script').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __lutraXss?: number }).__lutraXss)).toBeUndefined();
  expect(await page.title()).toBe('plain page');
});
