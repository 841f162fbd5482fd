/**
 * The worker pool in the browser: with COOP/COEP the demo runs on 2 threads (this
 * machine has 2 cores) and generates llama.cpp's text; the same page served without
 * COOP/COEP runs on one thread, says why on the mode line, and generates the same text;
 * a kernel worker killed mid-generation surfaces a typed error (WORKER) on the page and
 * loading the model again works.
 */
import { test, expect } from '@playwright/test';
import { generate, LLAMA_CPP_CONTINUATION, openDemo } from './demo-page.ts';

test('with COOP/COEP the demo runs on 2 threads and generates llama.cpp\'s text', async ({ page }) => {
  await openDemo(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(await page.evaluate(() => navigator.hardwareConcurrency)).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('mode')).toContainText(/· 2 threads ·/);
  const text = await generate(page, 'Once upon a time', 40);
  expect(text.startsWith('Once upon a time' + LLAMA_CPP_CONTINUATION)).toBe(true);
});

test('a page without COOP/COEP runs single-threaded, says so, and generates the same text', async ({ page }) => {
  // Serve the demo document without the isolation headers (workers inherit the page's state).
  await page.route('**/demo/index.html*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await openDemo(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  await expect(page.getByTestId('mode')).toContainText('· 1 thread ·');
  await expect(page.getByTestId('mode')).toContainText('not cross-origin isolated (COOP/COEP headers missing)');
  const text = await generate(page, 'Once upon a time', 40);
  expect(text.startsWith('Once upon a time' + LLAMA_CPP_CONTINUATION)).toBe(true);
});

test('a kernel worker killed mid-generation gives a typed error, and the model loads again', async ({ page }) => {
  await openDemo(page, '?debug');
  await expect(page.getByTestId('mode')).toContainText(/· 2 threads ·/);
  // Kill kernel worker 1 as soon as the first generated text reaches the page.
  await page.evaluate(() => {
    const output = document.querySelector('[data-testid="output"]')!;
    const observer = new MutationObserver(() => {
      if (output.childNodes.length < 2) return; // the prompt is the first node
      observer.disconnect();
      const engine = (window as unknown as { lutraEngine: { debugTerminateKernelWorker(): Promise<void> } }).lutraEngine;
      void engine.debugTerminateKernelWorker();
    });
    observer.observe(output, { childList: true });
  });
  await page.getByTestId('prompt').fill('Once upon a time');
  await page.getByTestId('max-tokens').fill('400');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('error')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('error')).toContainText('WorkerError (WORKER)');
  await expect(page.getByTestId('error')).toContainText('kernel worker 1 was terminated');
  expect(await page.getByTestId('output').getAttribute('data-finished')).toBeNull();

  // Load again: a new pool, the same text.
  await page.getByTestId('load').click();
  await expect(page.getByTestId('error')).toBeHidden();
  await expect(page.getByTestId('model-info')).toContainText('stories260K');
  await expect(page.getByTestId('mode')).toContainText(/· 2 threads ·/);
  const text = await generate(page, 'Once upon a time', 40);
  expect(text.startsWith('Once upon a time' + LLAMA_CPP_CONTINUATION)).toBe(true);
});
