/**
 * engine.chat.completions.create on a real model (stories260K, in-thread
 * LocalEngine): OpenAI's response and chunk shapes, usage, streaming equal to
 * non-streaming, and a per-request AbortSignal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../src/engine/local-engine.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { testdata } from '../paths.ts';

const engine = new LocalEngine();
const messages = [{ role: 'user', content: 'Tell me a story about a cat.' }];

beforeAll(async () => {
  await engine.load({ bytes: new Uint8Array(fs.readFileSync(path.join(testdata, 'models', 'stories260K.gguf'))) }, { contextLength: 512 });
});

describe('chat.completions.create', () => {
  it('returns a chat.completion with usage and timings', async () => {
    const r = await engine.chat.completions.create({ messages, max_tokens: 24, temperature: 0 });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe('llama');
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].message.role).toBe('assistant');
    expect(r.choices[0].message.content.length).toBeGreaterThan(0);
    expect(['length', 'stop']).toContain(r.choices[0].finish_reason);
    expect(r.usage.completion_tokens).toBeGreaterThan(0);
    expect(r.usage.completion_tokens).toBeLessThanOrEqual(24);
    expect(r.usage.prompt_tokens).toBeGreaterThan(8); // the template adds its role markers
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
    expect(r.timings.predicted_per_second).toBeGreaterThan(0);
  });

  it('streams chunks whose contents join to the non-streamed reply', async () => {
    const whole = await engine.chat.completions.create({ messages, max_tokens: 24, temperature: 0 });
    const stream = await engine.chat.completions.create({ messages, max_tokens: 24, temperature: 0, stream: true });
    let text = '';
    let last;
    let count = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (count++ === 0) expect(chunk.choices[0].delta.role).toBe('assistant');
      text += chunk.choices[0].delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(last!.choices[0].finish_reason).toBe(whole.choices[0].finish_reason);
    expect(last!.usage).toEqual(whole.usage);
  });

  it('the same seed gives the same sampled reply', async () => {
    const a = await engine.chat.completions.create({ messages, max_tokens: 20, temperature: 1, seed: 42 });
    const b = await engine.chat.completions.create({ messages, max_tokens: 20, temperature: 1, seed: 42 });
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.seed).toBe(42);
  });

  it('an AbortSignal stops the generation within a token', async () => {
    const controller = new AbortController();
    const stream = await engine.chat.completions.create({ messages, max_tokens: 200, temperature: 0, stream: true, signal: controller.signal });
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks++;
      if (chunks === 3) controller.abort();
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    expect(finish).toBe('abort');
    expect(chunks).toBeLessThan(10);
    // the engine is usable afterwards
    const again = await engine.chat.completions.create({ messages, max_tokens: 4, temperature: 0 });
    expect(again.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('response_format json_schema: the reply parses and validates', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer', minimum: 0, maximum: 120 }, likes: { enum: ['cats', 'dogs'] } },
      required: ['name', 'age', 'likes'],
    };
    for (const temperature of [0, 1]) {
      const r = await engine.chat.completions.create({
        messages, max_tokens: 120, temperature, seed: 7,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
      });
      expect(r.choices[0].finish_reason).toBe('stop');
      const value = JSON.parse(r.choices[0].message.content) as { name: string; age: number; likes: string };
      expect(Object.keys(value).sort()).toEqual(['age', 'likes', 'name']);
      expect(typeof value.name).toBe('string');
      expect(value.name.length).toBeLessThanOrEqual(12);
      expect(Number.isInteger(value.age) && value.age >= 0 && value.age <= 120).toBe(true);
      expect(['cats', 'dogs']).toContain(value.likes);
    }
  });

  it('rejects n > 1 and empty messages with typed errors', async () => {
    await expect(engine.chat.completions.create({ messages, n: 2 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.chat.completions.create({ messages: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
