/**
 * A small TypeScript app that imports 'lutra' by name (test/app: type-checked by
 * `npm run typecheck`, built by Vite), served on the plain strict-CSP server.
 */
import { test, expect } from '@playwright/test';
import { plainPort } from '../../playwright.config.ts';

test('a Vite-built app using the package streams text and chat completions', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${plainPort}/app/`);
  await expect(page.locator('#status')).toHaveText('done', { timeout: 60_000 });
  const text = (await page.locator('#out').textContent()) ?? '';
  expect(text.startsWith(', there was a little girl named Lily.')).toBe(true);
  await expect(page.locator('#out')).toHaveAttribute('data-chat-tokens', /^[1-8]$/);
  await expect(page.locator('#out')).toHaveAttribute('data-typed-error', 'true');
  expect(errors).toEqual([]);
});
