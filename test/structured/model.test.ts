/**
 * A real model under the constraint: stories260K (a 512-token SPM vocabulary
 * and a model that has never seen JSON), greedy after masking, must still
 * write a document that parses and validates.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { byteSourceFromFile, type FileByteSource } from '../../src/gguf/node-source.ts';
import { readGGUF } from '../../src/gguf/reader.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { JsonSchemaConstraint, StructuredOutputError } from '../../src/structured/constraint.ts';
import type { JsonSchema } from '../../src/structured/schema.ts';
import { validate } from './validator.ts';

const opened: FileByteSource[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

describe('tiny llama models with a JSON schema constraint', () => {
  it.each<[string, JsonSchema, string?]>([
    // this vocabulary has no '{', '[' or '\\' (and no byte tokens): strings, numbers and literals only
    ['string (TinyStories-656K, 2048 tokens)', { anyOf: [{ type: 'string', minLength: 3, maxLength: 24 }, { type: 'integer' }] }, 'TinyStories-656K.f16.gguf'],
    ['person', { type: 'object', properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' } }, required: ['name', 'age'] }],
    ['list of enums', { type: 'array', items: { enum: ['cat', 'dog', 'bird'] }, minItems: 1, maxItems: 3 }],
    ['story', {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 20 },
        happy: { type: 'boolean' },
        characters: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 2 },
        year: { type: 'integer', minimum: 1900, maximum: 2100 },
      },
      required: ['title', 'happy', 'characters', 'year'],
    }],
  ])('greedy decoding writes a valid document: %s', async (_name, schema, file = 'stories260K.gguf') => {
    const src = await byteSourceFromFile(path.join(testdata, 'models', file));
    opened.push(src);
    const gguf = await readGGUF(src);
    const tok = createTokenizer(gguf);
    const model = await loadLlamaModel(gguf, src, { contextLength: 256 });
    const c = new JsonSchemaConstraint(schema, tok);
    const prompt = [tok.bosId, ...tok.encode('Once upon a time', { addSpecial: false })];
    let logits = model.forward(prompt[0], 0);
    for (let i = 1; i < prompt.length; i++) logits = model.forward(prompt[i], i);
    let pos = prompt.length;
    const out: number[] = [];
    for (; pos < 256; pos++) {
      c.maskLogits(logits);
      const next = argmax(logits);
      c.accept(next);
      out.push(next);
      if (tok.isEog(next)) break;
      logits = model.forward(next, pos);
    }
    expect(c.isFinished()).toBe(true);
    const text = c.text();
    const value = JSON.parse(text);
    expect(validate(schema, value), text).toBe(true);
    // the tokens decode to the same text (end-of-generation token excluded)
    expect(tok.decode(out.slice(0, -1))).toBe(text);
    console.log(`${file} → ${text} (${out.length} tokens)`);
  });

  it('a vocabulary that cannot spell the document: maskLogits throws StructuredOutputError', async () => {
    const src = await byteSourceFromFile(path.join(testdata, 'models', 'TinyStories-656K.f16.gguf'));
    opened.push(src);
    const tok = createTokenizer(await readGGUF(src));
    const c = new JsonSchemaConstraint({ type: 'object' }, tok);
    expect(() => c.maskLogits(new Float32Array(tok.vocab.tokens.length))).toThrow(StructuredOutputError);
  });
});
