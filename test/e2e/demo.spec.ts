/**
 * The demo page end to end, in headless Chromium: the bundled stories260K
 * model loads in the engine worker and greedy decoding reproduces llama.cpp's
 * continuation; broken files give a typed error on the page and the page stays
 * usable.
 */
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { testdata } from '../paths.ts';
import { htmlPayloadModel } from './fixtures.ts';

import { generate, LLAMA_CPP_CONTINUATION, openDemo } from './demo-page.ts';

test('the bundled model continues "Once upon a time" as llama.cpp does', async ({ page }) => {
  await openDemo(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const text = await generate(page, 'Once upon a time', 40);
  expect(text.startsWith('Once upon a time' + LLAMA_CPP_CONTINUATION)).toBe(true);
  await expect(page.getByTestId('stats')).toContainText(/decode [\d.]+ tok\/s/);
  await expect(page.getByTestId('mode')).toContainText(/SIMD/);
});

test('a truncated file and a non-GGUF file give typed errors, and the page stays usable', async ({ page }) => {
  await openDemo(page);
  const model = fs.readFileSync(path.join(testdata, 'models', 'stories260K.gguf'));

  await page.getByTestId('model-file').setInputFiles({ name: 'truncated.gguf', mimeType: 'application/octet-stream', buffer: model.subarray(0, 300_000) });
  await page.getByTestId('load').click();
  await expect(page.getByTestId('error')).toBeVisible();
  await expect(page.getByTestId('error')).toContainText('GGUF_FORMAT');

  await page.getByTestId('model-file').setInputFiles({ name: 'notes.gguf', mimeType: 'text/plain', buffer: Buffer.from('this is not a model at all, just some text') });
  await page.getByTestId('load').click();
  await expect(page.getByTestId('error')).toContainText(/not a GGUF file/i);

  // Back to the bundled model: it loads and generates again.
  await page.locator('input[name="source"][value="bundled"]').check();
  await page.getByTestId('load').click();
  await expect(page.getByTestId('model-info')).toContainText('stories260K');
  await expect(page.getByTestId('error')).toBeHidden();
  const text = await generate(page, 'Once upon a time', 12);
  expect(text.startsWith('Once upon a time, there was a little girl')).toBe(true);
});

test('an unsupported tensor type is named in a typed error', async ({ page }) => {
  await openDemo(page);
  // every quantized type lutra knows now runs (Q4_0 included): retype one F32 tensor of stories260K to I32
  // (4 bytes per element like F32, so only the type field of its tensor info changes), which nothing runs
  const bytes = Buffer.from(fs.readFileSync(path.join(testdata, 'models', 'stories260K.gguf')));
  const name = Buffer.from('blk.0.attn_k.weight');
  const at = bytes.indexOf(name) + name.length; // then n_dims (u32), dims (u64 each), type (u32)
  const nDims = bytes.readUInt32LE(at);
  expect(bytes.readUInt32LE(at + 4 + 8 * nDims)).toBe(0); // F32
  bytes.writeUInt32LE(26, at + 4 + 8 * nDims); // I32
  await page.getByTestId('model-file').setInputFiles({ name: 'stories260K.I32.gguf', mimeType: 'application/octet-stream', buffer: bytes });
  await page.getByTestId('load').click();
  await expect(page.getByTestId('error')).toContainText('UNSUPPORTED_MODEL');
  await expect(page.getByTestId('error')).toContainText("blk.0.attn_k.weight' has type I32");
});

test('model output that is HTML is shown as text in the demo and runs nothing', async ({ page }) => {
  await openDemo(page);
  const { bytes } = htmlPayloadModel();
  await page.getByTestId('model-file').setInputFiles({ name: 'html-payload.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await page.getByTestId('load').click();
  await expect(page.getByTestId('model-info')).toContainText('html-payload.gguf');
  const text = await generate(page, 'Once upon a time', 3);
  expect(text).toContain('<img src=x onerror=');
  expect(await page.getByTestId('output').locator('img, script').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __lutraXss?: number }).__lutraXss)).toBeUndefined();
  expect(await page.title()).not.toBe('pwned');
});

test('chat tab: a round trip with the default model, streamed into the log', async ({ page }, testInfo) => {
  await openDemo(page);
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('chat-input').fill('Tell me a story.');
  await page.getByTestId('chat-send').click();
  const reply = page.getByTestId('chat-log').locator('.msg.assistant').last();
  await expect(reply).toHaveAttribute('data-finished', /.+/, { timeout: 60_000 });
  const text = (await reply.textContent()) ?? '';
  expect(text.trim().length).toBeGreaterThan(0);
  await expect(page.getByTestId('chat-log').locator('.msg.user')).toHaveText('Tell me a story.');
  await expect(page.getByTestId('chat-stats')).toContainText(/decode [\d.]+ tok\/s/);
  await page.screenshot({ path: testInfo.outputPath('chat.png'), fullPage: true });
});

test('stop ends a long generation early and the page can generate again', async ({ page }) => {
  await openDemo(page);
  await page.getByTestId('max-tokens').fill('1500');
  await page.getByTestId('temperature').fill('1');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('stats')).toContainText('tokens', { timeout: 30_000 });
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('output')).toHaveAttribute('data-finished', 'aborted', { timeout: 30_000 });
  const text = await generate(page, 'Once upon a time', 12);
  expect(text.startsWith('Once upon a time, there was a little girl')).toBe(true);
});

test('switching to a second model (TinyStories-656K, tied output head) generates its text', async ({ page }) => {
  await openDemo(page);
  const second = fs.readFileSync(path.join(testdata, 'models', 'TinyStories-656K.f16.gguf'));
  await page.getByTestId('model-file').setInputFiles({ name: 'TinyStories-656K.f16.gguf', mimeType: 'application/octet-stream', buffer: second });
  await page.getByTestId('load').click();
  await expect(page.getByTestId('model-info')).toContainText('TinyStories-656K.f16.gguf');
  const text = await generate(page, 'Once upon a time, ', 16);
  // llama.cpp's greedy start for this model and prompt (testdata SOURCES.md)
  expect(text.startsWith('Once upon a time, there was a little girl named Lily.')).toBe(true);
});

test('benchmark tab measures prefill and decode and draws a chart', async ({ page }) => {
  await openDemo(page);
  await page.getByTestId('tab-bench').click();
  await page.getByTestId('bench-prefill').fill('32');
  await page.getByTestId('bench-decode').fill('32');
  await page.getByTestId('bench-runs').fill('2');
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-status')).toHaveAttribute('data-done', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('bench-status')).toContainText(/prefill [\d.]+ tok\/s, decode [\d.]+ tok\/s/);
  await expect(page.getByTestId('bench-chart').locator('svg rect')).toHaveCount(2);
});
