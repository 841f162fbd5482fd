/**
 * The token mask on real vocabularies: the trie walk agrees with checking
 * every token one by one, and random walks (uniform over the allowed tokens)
 * always end in a document that parses and validates.
 */
import { describe, expect, it } from 'vitest';
import { loadGGUF, rng } from '../tokenizer/helpers.ts';
import { createTokenizer, type Tokenizer } from '../../src/tokenizer/index.ts';
import { JsonSchemaConstraint } from '../../src/structured/constraint.ts';
import { JsonMatcher } from '../../src/structured/matcher.ts';
import { compileSchema, type JsonSchema } from '../../src/structured/schema.ts';
import { tokenTrieFor } from '../../src/structured/token-trie.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { validate } from './validator.ts';

const tokenizers = new Map<string, Tokenizer>();
function tokenizer(name: string): Tokenizer {
  let t = tokenizers.get(name);
  if (!t) {
    t = createTokenizer(loadGGUF(`vocab/ggml-vocab-${name}.gguf`));
    tokenizers.set(name, t);
  }
  return t;
}

const SCHEMAS: [string, JsonSchema, boolean][] = [
  // [name, schema, always terminates]
  ['person', {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer', minimum: 0, maximum: 120 }, email: { type: 'string', maxLength: 20 }, admin: { type: 'boolean' } },
    required: ['name', 'age'],
  }, true],
  ['enum array', { type: 'array', items: { enum: ['red', 'green', 'blue', 1, 12, null, { k: [1, 'é'] }] }, minItems: 1, maxItems: 4 }, true],
  ['nested with $ref and anyOf', {
    $defs: { pt: { type: 'object', properties: { x: { type: 'number', minimum: -10, maximum: 10 }, y: { type: 'integer', exclusiveMinimum: 0, maximum: 99 } }, required: ['x', 'y'] } },
    type: 'object',
    properties: {
      id: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 5 }, maxItems: 3 },
      point: { $ref: '#/$defs/pt' },
      kind: { anyOf: [{ const: 'a' }, { type: 'boolean' }, { type: 'number', minimum: -1, maximum: 1 }, { type: 'null' }] },
    },
    required: ['id', 'point'],
  }, true],
  ['oneOf shapes', {
    oneOf: [
      { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number', minimum: 0, maximum: 100 } }, required: ['kind', 'r'] },
      { type: 'object', properties: { kind: { const: 'square' }, side: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['kind', 'side'] },
    ],
  }, true],
  ['short string', { type: 'string', minLength: 3, maxLength: 8 }, true],
  ['bounded number', { type: 'number', minimum: -2.5, maximum: 3 }, true],
  ['tuple', { type: 'array', prefixItems: [{ type: 'string', maxLength: 4 }, { type: 'integer', minimum: 0, maximum: 9 }, { type: 'boolean' }], items: false, minItems: 2 }, true],
  ['patterns', {
    type: 'object',
    properties: {
      code: { type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' },
      date: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' },
      word: { type: 'string', pattern: '^(é|ü|漢|[a-c])+$', minLength: 2, maxLength: 6 },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time' },
      uid: { type: 'string', format: 'uuid' },
      ip: { type: 'string', format: 'ipv4' },
      mail: { type: 'string', format: 'email' },
    },
    required: ['code', 'date', 'word', 'day', 'at', 'uid', 'ip', 'mail'],
  }, true],
  ['property counts', {
    type: 'object', properties: { a: { type: 'boolean' }, b: { type: 'null' }, c: { enum: [1, 2] } }, required: ['c'],
    additionalProperties: { type: 'integer', minimum: 0, maximum: 9 }, minProperties: 2, maxProperties: 3,
  }, false],
  ['unanchored pattern', { type: 'array', items: { type: 'string', pattern: 'ß\\d' }, maxItems: 2 }, false],
  ['unanchored pattern with maxLength', { type: 'array', items: { type: 'string', pattern: 'ß\\d', maxLength: 5 }, minItems: 1, maxItems: 2 }, true],
  ['extra keys', { type: 'object', properties: { a: { type: 'integer', minimum: 0, maximum: 5 } }, additionalProperties: { type: 'null' } }, false],
  ['any value', {}, false],
  ['string alternatives', { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'string' }, { enum: ['x', 'yz', 7] }] }, false],
];

function walk(c: JsonSchemaConstraint, tok: Tokenizer, r: () => number, cap: number): { complete: boolean; steps: number } {
  const logits = new Float32Array(tok.vocab.tokens.length);
  const allowed: number[] = [];
  for (let steps = 0; steps < cap; steps++) {
    logits.fill(0);
    c.maskLogits(logits);
    allowed.length = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i] === 0) allowed.push(i);
    const id = allowed[Math.floor(r() * allowed.length)];
    c.accept(id);
    if (tok.isEog(id)) return { complete: true, steps };
  }
  return { complete: c.isComplete(), steps: cap };
}

describe.each(['llama-spm', 'gpt-2'])('JsonSchemaConstraint on %s', (vocabName) => {
  it.each([2, 7, 8, 13])('the trie mask equals a token-by-token check (schema %i)', (which) => {
    const tok = tokenizer(vocabName);
    const trie = tokenTrieFor(tok);
    const schema = SCHEMAS[which][1];
    const c = new JsonSchemaConstraint(schema, tok);
    const compiled = compileSchema(schema);
    const r = rng(7);
    const prefixes: string[] = [];
    const logits = new Float32Array(tok.vocab.tokens.length);
    for (let step = 0; step < 60 && !c.isFinished(); step++) {
      const m = new JsonMatcher(compiled);
      expect(m.advanceBytes(c.bytes())).toBe(true);
      const expected: number[] = [];
      for (let id = 0; id < trie.vocabSize; id++) {
        if (tok.isEog(id)) { if (m.isComplete()) expected.push(id); continue; }
        const b = trie.tokenBytes[id];
        if (b.length && m.clone().advanceBytes(b)) expected.push(id);
      }
      expect(Array.from(c.allowedTokens()), `after ${JSON.stringify(c.text())}`).toEqual(expected);
      prefixes.push(c.text());
      logits.fill(0);
      c.maskLogits(logits);
      const allowed = expected;
      c.accept(allowed[Math.floor(r() * allowed.length)]);
    }
    expect(prefixes.length).toBeGreaterThan(5);
  });

  it.each(SCHEMAS)('random walks over the allowed tokens end in valid documents: %s', (_name, schema, terminates) => {
    const tok = tokenizer(vocabName);
    const compiled = compileSchema(schema);
    let completed = 0;
    const runs = terminates ? 24 : 12;
    for (let seed = 1; seed <= runs; seed++) {
      const c = new JsonSchemaConstraint(compiled, tok);
      const { complete } = walk(c, tok, rng(seed * 7919 + vocabName.length), terminates ? 2000 : 80);
      const text = c.text();
      if (!complete) {
        expect(terminates, `did not terminate: ${text}`).toBe(false);
        expect(new JsonMatcher(compiled).advance(text)).toBe(true);
        continue;
      }
      completed++;
      let value: unknown;
      expect(() => { value = JSON.parse(text); }, text).not.toThrow();
      expect(validate(schema, value), text).toBe(true);
      expect(compiled.validate(value), text).toBe(true);
    }
    if (terminates) expect(completed).toBe(runs);
  });

  it('EOG only when complete; accept() rejects disallowed tokens', () => {
    const tok = tokenizer(vocabName);
    const c = new JsonSchemaConstraint({ type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'] }, tok);
    const eos = tok.eosId;
    expect(c.isAllowed(eos)).toBe(false);
    expect(() => c.accept(eos)).toThrow(InvalidArgumentError);
    const ids = [...'{"a":true}'].map((ch) => {
      const allowed = Array.from(c.allowedTokens());
      const id = allowed.find((i) => new TextDecoder().decode(tokenTrieFor(tok).tokenBytes[i]) === ch);
      expect(id, ch).toBeDefined();
      c.accept(id!);
      return id!;
    });
    expect(ids.length).toBe(10);
    expect(c.isComplete()).toBe(true);
    expect(Array.from(c.allowedTokens())).toEqual(Array.from(tokenTrieFor(tok).eog));
    const logits = new Float32Array(tok.vocab.tokens.length + 5).fill(1);
    c.maskLogits(logits);
    expect(logits.filter((x) => x === 1).length).toBe(tokenTrieFor(tok).eog.length);
    const copy = c.clone();
    c.accept(eos);
    expect(c.isFinished()).toBe(true);
    expect(copy.isFinished()).toBe(false);
    expect(copy.isAllowed(eos)).toBe(true);
    expect(copy.text()).toBe('{"a":true}');
    expect(c.text()).toBe('{"a":true}');
    c.reset();
    expect(c.text()).toBe('');
    expect(c.isAllowed(eos)).toBe(false);
  });
});

describe('token trie', () => {
  it('holds every token with bytes exactly once, in byte order', () => {
    const tok = tokenizer('llama-spm');
    const t = tokenTrieFor(tok);
    expect(tokenTrieFor(tok)).toBe(t); // cached
    const seen = new Set<number>();
    const path: number[] = [];
    for (let i = 0; i < t.all.size; i++) {
      path.length = t.all.depth[i] - 1;
      path.push(t.all.bytes[i]);
      for (let k = t.all.first[i]; k < t.all.first[i + 1]; k++) {
        const id = t.all.ids[k];
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        expect(Array.from(t.tokenBytes[id])).toEqual(path);
      }
    }
    let withBytes = 0;
    for (let id = 0; id < t.vocabSize; id++) if (t.tokenBytes[id].length) withBytes++;
    expect(seen.size).toBe(withBytes);
    expect(t.plainIds.length + t.rest.ids.length).toBe(withBytes);
    expect(withBytes).toBeGreaterThan(31000);
  });
});

describe('JsonSchemaConstraint on deepseek-llm (102400 tokens)', () => {
  it.each([0, 7])('random walks end in valid documents (schema %i)', (which) => {
    const [, schema] = SCHEMAS[which];
    const tok = tokenizer('deepseek-llm');
    const compiled = compileSchema(schema);
    for (let seed = 1; seed <= 12; seed++) {
      const c = new JsonSchemaConstraint(compiled, tok);
      const { complete } = walk(c, tok, rng(seed * 104729), 2000);
      expect(complete, c.text()).toBe(true);
      const value = JSON.parse(c.text());
      expect(validate(schema, value), c.text()).toBe(true);
    }
  });
});
