/** Driving the demo page, shared by the browser tests that use it. */
import { expect, type Page } from '@playwright/test';

/** llama.cpp's greedy continuation of "Once upon a time" for stories260K (testdata SOURCES.md). */
export const LLAMA_CPP_CONTINUATION = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw';

/** Opens the demo (with an optional query string) and waits until the bundled model is loaded. */
export async function openDemo(page: Page, query = ''): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`/demo/index.html${query}`);
  await expect(page.getByTestId('model-info')).toContainText('stories260K', { timeout: 60_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
  expect(errors).toEqual([]);
}

/** Generates greedily (whatever an earlier step set) and returns the output text, prompt included. */
export async function generate(page: Page, prompt: string, maxTokens: number): Promise<string> {
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('max-tokens').fill(String(maxTokens));
  await page.getByTestId('temperature').fill('0'); // greedy: the text is llama.cpp's
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('output')).toHaveAttribute('data-finished', /.+/, { timeout: 60_000 });
  return (await page.getByTestId('output').textContent()) ?? '';
}
