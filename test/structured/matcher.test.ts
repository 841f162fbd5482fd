import { describe, expect, it } from 'vitest';
import { compileSchema, UnsupportedSchemaError, type JsonSchema } from '../../src/structured/schema.ts';
import { JsonMatcher, matchesCompletely } from '../../src/structured/matcher.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { validate } from './validator.ts';
import { rng } from '../tokenizer/helpers.ts';

interface Case {
  name: string;
  schema: JsonSchema;
  /** Complete documents the matcher accepts (and both validators accept). */
  valid: string[];
  /** Documents (JSON or not) the matcher rejects: no completion allowed and, when JSON, the validators agree. */
  invalid: string[];
  /** Prefixes that can still be completed but are not complete. */
  prefixes?: string[];
  /** Valid by the schema but outside the formatting policy: rejected by the matcher, accepted by the validators. */
  policy?: string[];
}

const person = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, email: { type: 'string' } },
  required: ['name', 'age'],
};

const cases: Case[] = [
  {
    name: 'string',
    schema: { type: 'string' },
    valid: ['""', '"a"', '"hello world"', '"é漢🎉"', '"\\n\\t\\"\\\\\\/\\b\\f\\r"', '"\\u00e9\\u0041\\uFFFF"', '"{\\"a\\":1}"', '"\u007f"'],
    invalid: ['"a', 'a', '1', 'null', '"\\x"', '"\\u12"', '"\\ud800"', '"\\uDC00"', '"a\nb"', '"\t"', '"a""', '"a" '],
    policy: ['"\\ud800"', '"\\uDC00"'],
    prefixes: ['"', '"abc', '"\\', '"\\u00', '"\xe9'.slice(0, 1)],
  },
  {
    name: 'string lengths (code points)',
    schema: { type: 'string', minLength: 2, maxLength: 4 },
    valid: ['"ab"', '"abcd"', '"é漢"', '"🎉🎉🎉🎉"', '"\\n\\n"', '"\\u0041b"'],
    invalid: ['""', '"a"', '"abcde"', '"🎉🎉🎉🎉🎉"', '"\\n\\n\\n\\n\\n"'],
    prefixes: ['"a', '"abcd'],
  },
  {
    name: 'pattern (anchored)',
    schema: { type: 'string', pattern: '^[A-Z]{2}-\\d{3,4}(?:x|y)?$' },
    valid: ['"AB-123"', '"ZZ-0000"', '"AB-123x"', '"A\\u0042-123"'],
    invalid: ['"ab-123"', '"AB-12"', '"AB-12345"', '"AB-123z"', '"xAB-123"', '"AB-123 "'],
    prefixes: ['"', '"A', '"AB-', '"AB-123'],
  },
  {
    name: 'pattern (unanchored, unicode, classes)',
    schema: { type: 'string', pattern: 'é+[^a-z\\s]' },
    valid: ['"éX"', '"xxéé9yy"', '"\\u00e9\\u00e9Z"', '"aéé🎉"'],
    invalid: ['"é"', '"éa"', '"e9"', '"é "'],
    prefixes: ['"abc', '"é'],
  },
  {
    name: 'pattern (alternation, dates)',
    schema: { type: 'string', pattern: '^(\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])|today)$' },
    valid: ['"2024-02-29"', '"1999-12-31"', '"today"'],
    invalid: ['"2024-13-01"', '"2024-00-10"', '"2024-1-1"', '"tomorrow"', '"2024-02-32"'],
    prefixes: ['"2024-1', '"to'],
  },
  {
    name: 'pattern with lengths',
    schema: { type: 'string', pattern: '^[a-z]+\\d*$', minLength: 3, maxLength: 5 },
    valid: ['"abc"', '"ab1"', '"a1234"', '"abcde"'],
    invalid: ['"ab"', '"a1"', '"abcdef"', '"abc123"', '"1abc"'],
    prefixes: ['"a', '"ab', '"a12'],
  },
  {
    name: 'unanchored pattern with maxLength',
    schema: { type: 'string', pattern: 'xyz', maxLength: 4 },
    valid: ['"xyz"', '"axyz"', '"xyza"'],
    invalid: ['"axy"', '"abxyz"', '"aaxy"', '"aa"'],
    prefixes: ['"a', '"ax'],
    policy: [],
  },
  {
    name: 'format date',
    schema: { type: 'string', format: 'date' },
    valid: ['"2024-02-29"', '"2000-02-29"', '"1999-12-31"', '"2023-04-30"', '"0000-02-29"'],
    invalid: ['"2023-02-29"', '"1900-02-29"', '"2023-04-31"', '"2023-13-01"', '"2023-1-01"', '"23-01-01"'],
    prefixes: ['"2023-02-2', '"2024-02-'],
  },
  {
    name: 'format date-time, time, uuid, email, ipv4',
    schema: { type: 'array', prefixItems: [{ format: 'date-time' }, { format: 'time' }, { format: 'uuid' }, { format: 'email' }, { format: 'ipv4' }], items: false, minItems: 5 },
    valid: ['["2024-01-02T03:04:05Z","23:59:59.5+01:00","123e4567-e89b-12d3-a456-426614174000","a.b-c@ex-ample.co.uk","192.168.0.255"]'],
    invalid: ['["2024-01-02T24:00:00Z","23:59:59Z","123e4567-e89b-12d3-a456-426614174000","a@b.co","1.2.3.4"]',
      '["2024-01-02T03:04:05Z","23:59:59Z","123e4567-e89b-12d3-a456-426614174000","a@b.co","1.2.3.256"]',
      '["2024-01-02T03:04:05Z","23:59:59Z","123e4567-e89b-12d3-a456-426614174000","a@@b.co","1.2.3.4"]'],
    policy: ['["2024-01-02T03:04:05Z","23:59:59Z","123E4567-E89B-12D3-A456-426614174000","a@b.co","1.2.3.4"]',
      '["2024-01-02T03:04:05Z","23:59:59","123e4567-e89b-12d3-a456-426614174000","a@b.co","1.2.3.4"]'],
  },
  {
    name: 'integer',
    schema: { type: 'integer' },
    valid: ['0', '-0', '7', '-12', '1234567890123456', '-9007199254740993', '100000000000000000000', '123456789012345678901'],
    invalid: ['01', '1.5', '1.0', '1e3', '+1', '-', '--1', '1234567890123456789012', '"1"', ' 1', '1 '],
    prefixes: ['-'],
    policy: ['1.0', '1e3', '1234567890123456789012'],
  },
  {
    name: 'integer bounds',
    schema: { type: 'integer', minimum: 10, maximum: 150 },
    valid: ['10', '99', '150', '123'],
    invalid: ['9', '151', '1000', '-10', '0', '160', '-', '2000'],
    prefixes: ['1'],
  },
  {
    name: 'integer exclusive bounds, negative range',
    schema: { type: 'integer', exclusiveMinimum: -5.5, exclusiveMaximum: -2 },
    valid: ['-5', '-3'],
    invalid: ['-6', '-2', '0', '-1', '3', '-55'],
    prefixes: ['-'],
  },
  {
    name: 'number',
    schema: { type: 'number' },
    valid: ['0', '-0.5', '3.14159', '1e5', '1E-7', '-2.5e+10', '0.0', '12e99', '1e100', '5e-324', '1.7976931348623157e+308',
      '0.0000012345678901234567', '0.30000000000000004'],
    invalid: ['.5', '1.', '1e', '1e+', '01.5', '1e309', '2e308', '1e1000', 'NaN', 'Infinity', '0x10', '1.2.3'],
    prefixes: ['1.', '1e', '1e-', '-'],
  },
  {
    name: 'number bounds',
    schema: { type: 'number', minimum: 0.5, exclusiveMaximum: 2 },
    valid: ['0.5', '1', '1.999', '0.75', '1.5'],
    invalid: ['0.4', '2', '2.0', '0', '-1', '1e0', '0.49'],
    prefixes: ['0', '0.', '1.'],
    policy: ['1e0'],
  },
  {
    name: 'boolean and null',
    schema: { type: ['boolean', 'null'] },
    valid: ['true', 'false', 'null'],
    invalid: ['True', 'nul', '0', '"true"', 'nulll'],
    prefixes: ['t', 'fal', 'n'],
  },
  {
    name: 'enum of mixed values',
    schema: { enum: ['red', 'green', 1, 12, null, { a: [1, 'x'] }, [true, 2]] },
    valid: ['"red"', '"green"', '1', '12', 'null', '{"a":[1,"x"]}', '{"a": [1, "x"]}', '[true,2]', '[true, 2]'],
    invalid: ['"blue"', '2', '120', '{"a":[1]}', '[true]', '{"a":[1,"x"],"b":1}', '"re"'],
    prefixes: ['"r', '{"a":', '{"a": [1,', '['],
    policy: ['[ true,2]', '{"a":[1, "x" ]}'],
  },
  {
    name: 'enum strings that need escapes',
    schema: { enum: ['a"b', 'c\\d', 'tab\t', 'é"'] },
    valid: ['"a\\"b"', '"c\\\\d"', '"tab\\t"', '"é\\""'],
    invalid: ['"a"b"', '"c\\d"', '"tab\t"', '"a\\u0022b"'],
    policy: ['"a\\u0022b"'],
  },
  {
    name: 'const',
    schema: { const: 'fixed' },
    valid: ['"fixed"'],
    invalid: ['"fixe"', '"fixedd"', 'null'],
  },
  {
    name: 'enum filtered by type',
    schema: { type: 'string', enum: ['a', 1, 'b'] },
    valid: ['"a"', '"b"'],
    invalid: ['1'],
  },
  {
    name: 'object with required and optional properties',
    schema: person,
    valid: ['{"name":"Bob","age":3}', '{"name": "Bob", "age": 3}', '{"age":3,"name":"x"}', '{"name":"","age":-1,"email":"a@b"}',
      '{"email":"e","age":0,"name":"n"}'],
    invalid: ['{"name":"Bob"}', '{}', '{"name":"Bob","age":3,"x":1}', '{"name":"Bob","age":3,"name":"B"}', '{"name":1,"age":1}',
      '{"name":"1234567890123","age":1}', '{"Name":"a","age":1}', '{"name":"a","age":1,}'],
    prefixes: ['{', '{"', '{"na', '{"name"', '{"name":', '{"name": ', '{"name":"Bob",', '{"name":"Bob", ', '{"name":"Bob","age":3'],
    policy: ['{ "name":"a","age":1}', '{"name" :"a","age":1}', '{"name":"a","age":1 }', '{"name":  "a","age":1}',
      '{"name":"a",\n"age":1}', '{"n\\u0061me":"a","age":1}', '{"name":"Bob","age":3,"name":"B"}'],
  },
  {
    name: 'keys that need escapes, non-ASCII and empty keys',
    schema: { type: 'object', properties: { 'a"b': { type: 'integer' }, 'é/漢': { type: 'integer' }, '': { type: 'integer' }, 'tab\t': { type: 'null' } } },
    valid: ['{"a\\"b":1}', '{"é/漢":2,"":3}', '{"":0}', '{"tab\\t":null}', '{}'],
    invalid: ['{"a"b":1}', '{"é":1}', '{"\\u00e9/漢":1}', '{"tab\t":null}', '{"":1,"":2}'],
    policy: ['{"\\u00e9/漢":1}', '{"":1,"":2}'],
  },
  {
    name: 'object with additionalProperties schema',
    schema: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'], additionalProperties: { type: 'boolean' } },
    valid: ['{"id":1}', '{"id":1,"x":true}', '{"x":false,"id":2,"y":true}', '{"id":1,"i":true}', '{"id":1,"idd":false}', '{"id":1,"\\u0078":true}'],
    invalid: ['{"id":1,"x":1}', '{"id":1,"id":2}', '{"x":true}', '{"id":1,"x":true,"x":false}', '{"id":1,"\\u0069d":true}'],
    policy: ['{"id":1,"id":2}', '{"id":1,"x":true,"x":false}'],
    prefixes: ['{"id":1,"i', '{"id":1,"x"'],
  },
  {
    name: 'free-form object',
    schema: { type: 'object' },
    valid: ['{}', '{"a":1}', '{"a":{"b":[1,"2",null]},"c":"d"}'],
    invalid: ['[]', '{"a":1,"a":2}', '{"a"}', '{1:2}'],
    policy: ['{"a":1,"a":2}'],
  },
  {
    name: 'minProperties / maxProperties',
    schema: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' }, c: { type: 'integer' } }, required: ['c'], minProperties: 2, maxProperties: 2 },
    valid: ['{"a":1,"c":2}', '{"c":1,"b":2}'],
    invalid: ['{"c":1}', '{"a":1,"b":2}', '{"a":1,"b":2,"c":3}', '{}'],
    prefixes: ['{"a":1,', '{"c":1'],
  },
  {
    name: 'maxProperties with free-form keys',
    schema: { type: 'object', additionalProperties: { type: 'null' }, minProperties: 1, maxProperties: 2 },
    valid: ['{"x":null}', '{"x":null,"y":null}'],
    invalid: ['{}', '{"x":null,"y":null,"z":null}'],
  },
  {
    name: 'array bounds and items',
    schema: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 1, maxItems: 3 },
    valid: ['[0]', '[1,2]', '[1, 2, 3]', '[9,9,9]'],
    invalid: ['[]', '[1,2,3,4]', '[10]', '[-1]', '[1,]', '["1"]', '[1.5]'],
    prefixes: ['[', '[1', '[1,', '[1, '],
    policy: ['[ 1]', '[1 ]', '[1 ,2]'],
  },
  {
    name: 'prefixItems (tuple)',
    schema: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
    valid: ['[]', '["a"]', '["a",1]'],
    invalid: ['[1]', '["a","b"]', '["a",1,2]'],
  },
  {
    name: 'anyOf',
    schema: { anyOf: [{ type: 'string', maxLength: 2 }, { type: 'integer', minimum: 5 }, { type: 'object', properties: { k: { const: 1 } }, required: ['k'] }] },
    valid: ['"ab"', '5', '100', '{"k":1}'],
    invalid: ['"abc"', '4', '{"k":2}', '{}', 'null'],
    prefixes: ['"a', '{"k"'],
  },
  {
    name: 'oneOf of disjoint branches',
    schema: { oneOf: [{ type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number' } }, required: ['kind', 'r'] },
      { type: 'object', properties: { kind: { const: 'square' }, side: { type: 'number' } }, required: ['kind', 'side'] }] },
    valid: ['{"kind":"circle","r":1.5}', '{"kind":"square","side":2}', '{"side":2,"kind":"square"}'],
    invalid: ['{"kind":"circle","side":2}', '{"kind":"square"}', '{"kind":"tri"}'],
  },
  {
    name: '$ref to $defs',
    schema: { $defs: { pt: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } },
      type: 'object', properties: { a: { $ref: '#/$defs/pt' }, b: { $ref: '#/$defs/pt' } }, required: ['a'] },
    valid: ['{"a":{"x":1,"y":2}}', '{"a":{"y":1,"x":2},"b":{"x":0,"y":0}}'],
    invalid: ['{"a":{"x":1}}', '{"b":{"x":1,"y":2}}'],
  },
  {
    name: 'recursive $ref',
    schema: { $defs: { node: { type: 'object', properties: { v: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } }, required: ['v', 'next'] } },
      $ref: '#/$defs/node' },
    valid: ['{"v":1,"next":null}', '{"v":1,"next":{"v":2,"next":{"v":3,"next":null}}}'],
    invalid: ['{"v":1,"next":{"v":2}}', '{"v":1}'],
  },
  {
    name: 'any value ({})',
    schema: {},
    valid: ['1', '"x"', 'null', 'true', '[]', '{}', '[1,[2,[3,{"a":[]}]]]', '{"a": {"b": {"c": null}}}', '-1.5e-3'],
    invalid: ['', 'x', '[1,]', '{"a":}', '[', 'tru', "'a'"],
    prefixes: ['[1,[2', '{"a":{"b"'],
  },
  {
    name: 'type without type-specific keywords (no type given)',
    schema: { minLength: 2 },
    valid: ['"ab"', '1', 'null', '[]'],
    invalid: ['"a"'],
  },
];

describe('JSON matcher', () => {
  for (const c of cases) {
    it(c.name, () => {
      const compiled = compileSchema(c.schema);
      for (const doc of c.valid) {
        expect(matchesCompletely(compiled, doc), `valid: ${doc}`).toBe(true);
        const v = JSON.parse(doc);
        expect(validate(c.schema, v), `test validator: ${doc}`).toBe(true);
        expect(compiled.validate(v), `compiled validate: ${doc}`).toBe(true);
      }
      for (const doc of c.invalid) {
        expect(matchesCompletely(compiled, doc), `invalid: ${doc}`).toBe(false);
        let parsed: { v: unknown } | null = null;
        try { parsed = { v: JSON.parse(doc) }; } catch { /* not JSON */ }
        if (parsed && !(c.policy ?? []).includes(doc) && doc.trim() === doc) {
          expect(validate(c.schema, parsed.v), `test validator rejects: ${doc}`).toBe(false);
          expect(compiled.validate(parsed.v), `compiled validate rejects: ${doc}`).toBe(false);
        }
      }
      for (const p of c.prefixes ?? []) {
        const m = new JsonMatcher(compiled);
        expect(m.advance(p), `prefix: ${p}`).toBe(true);
        expect(m.isComplete(), `prefix complete: ${p}`).toBe(false);
      }
      for (const doc of c.policy ?? []) {
        expect(matchesCompletely(compiled, doc), `policy: ${doc}`).toBe(false);
        expect(validate(c.schema, JSON.parse(doc)), `policy doc valid: ${doc}`).toBe(true);
      }
    });
  }

  it('soundness: single-character edits of valid documents are accepted only when they parse and validate', () => {
    const alphabet = [...'{}[]",: 0123456789-.eE+tfnulabcxyzé\\/'];
    let accepted = 0;
    let checked = 0;
    for (const c of cases) {
      const compiled = compileSchema(c.schema);
      for (const doc of c.valid) {
        const chars = [...doc];
        const edits = new Set<string>();
        for (let i = 0; i <= chars.length; i++) {
          if (i < chars.length) edits.add([...chars.slice(0, i), ...chars.slice(i + 1)].join(''));
          for (const ch of alphabet) {
            edits.add([...chars.slice(0, i), ch, ...chars.slice(i)].join(''));
            if (i < chars.length) edits.add([...chars.slice(0, i), ch, ...chars.slice(i + 1)].join(''));
          }
        }
        for (const e of edits) {
          checked++;
          if (!matchesCompletely(compiled, e)) continue;
          accepted++;
          let v: unknown;
          expect(() => { v = JSON.parse(e); }, `${c.name}: ${e}`).not.toThrow();
          expect(validate(c.schema, v), `${c.name}: ${e}`).toBe(true);
          expect(compiled.validate(v), `${c.name}: ${e}`).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(50000);
    expect(accepted).toBeGreaterThan(1000);
  });

  it('completeness: JSON.stringify of random values matches {} and a schema describing the value', () => {
    const r = rng(99);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    const randString = (): string => {
      let out = '';
      const n = Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        out += pick([() => 'a', () => '"', () => '\\', () => '\n', () => '\u0001', () => 'é', () => '漢', () => '🎉', () => '/', () => ' ', () => '\u2028',
          () => String.fromCharCode(32 + Math.floor(r() * 95))])();
      }
      return out;
    };
    const randNumber = (): number => pick([
      () => Math.floor(r() * 1000) - 500, () => (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20), () => r(), () => 1e21 * r(),
      () => Number.MAX_VALUE, () => 5e-324, () => -0, () => 0.1 + 0.2, () => 2 ** 53 + 2,
    ])();
    const randValue = (depth: number): unknown => {
      const k = Math.floor(r() * (depth > 3 ? 4 : 6));
      if (k === 0) return null;
      if (k === 1) return r() < 0.5;
      if (k === 2) return randNumber();
      if (k === 3) return randString();
      if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => randValue(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[randString()] = randValue(depth + 1);
      return o;
    };
    const describe = (v: unknown): JsonSchema => {
      if (v === null) return { type: 'null' };
      if (typeof v === 'boolean') return { type: 'boolean' };
      if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? { type: 'integer' } : { type: 'number' };
      if (typeof v === 'string') return { type: 'string', maxLength: [...v].length };
      if (Array.isArray(v)) return { type: 'array', items: { anyOf: v.length ? v.map(describe) : [{}] }, maxItems: v.length };
      const o = v as Record<string, unknown>;
      return { type: 'object', properties: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, describe(x)])), required: Object.keys(o) };
    };
    for (let i = 0; i < 400; i++) {
      const v = randValue(0);
      const text = JSON.stringify(v);
      expect(matchesCompletely({}, text), text).toBe(true);
      const schema = describe(v);
      expect(matchesCompletely(schema, text), `${text} against ${JSON.stringify(schema)}`).toBe(true);
      expect(matchesCompletely({ enum: [v] }, text), text).toBe(true);
      expect(matchesCompletely({ const: v }, JSON.stringify(v, null, 0).replace(/([:,])/g, '$1')), text).toBe(true);
    }
  });

  it('every accepted prefix of a valid document is continuable and the matcher state is persistent', () => {
    const compiled = compileSchema(person);
    const doc = '{"name": "Bob", "email":"\\u00e9x", "age": 42}';
    const m = new JsonMatcher(compiled);
    const snapshots: JsonMatcher[] = [];
    for (const ch of doc) {
      snapshots.push(m.clone());
      expect(m.advance(ch)).toBe(true);
    }
    expect(m.isComplete()).toBe(true);
    expect(m.canContinue()).toBe(false);
    // a clone taken earlier is unaffected by later bytes
    expect(snapshots[1].accepts('"name"')).toBe(true);
    expect(snapshots[1].isComplete()).toBe(false);
  });

  it('a complete number at the root can continue', () => {
    const m = new JsonMatcher({ type: 'integer', maximum: 500 });
    expect(m.advance('4')).toBe(true);
    expect(m.isComplete()).toBe(true);
    expect(m.canContinue()).toBe(true);
    expect(m.accepts('9')).toBe(true);
    expect(m.accepts('99')).toBe(true);
    expect(m.accepts('999')).toBe(false);
    expect(m.advance('999')).toBe(false);
    expect(m.advance('0')).toBe(true);
    expect(m.isComplete()).toBe(true);
    expect(m.canContinue()).toBe(true); // "40" → 400
    expect(m.accepts('0')).toBe(true);
    expect(m.accepts('00')).toBe(false);
    expect(m.advance('0')).toBe(true);
    expect(m.isComplete()).toBe(true);
    expect(m.canContinue()).toBe(false); // 4000 > 500
  });

  it('UTF-8 is validated byte by byte', () => {
    const m = new JsonMatcher({ type: 'string' });
    expect(m.advanceBytes([0x22, 0xe6])).toBe(true); // lead byte of a 3-byte sequence
    expect(m.clone().advanceBytes([0x22])).toBe(false); // cannot close mid-sequence
    expect(m.clone().advanceBytes([0x41])).toBe(false);
    expect(m.advanceBytes([0xbc, 0xa2, 0x22])).toBe(true);
    expect(m.isComplete()).toBe(true);
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xff]]) {
      expect(new JsonMatcher({ type: 'string' }).advanceBytes([0x22, ...bad]), bad.join(',')).toBe(false);
    }
  });
});

describe('schema compiler', () => {
  it.each([
    [{ type: 'string', pattern: '(a)\\1' }, 'pattern'],
    [{ type: 'string', pattern: 'a(?=b)' }, 'pattern'],
    [{ type: 'string', pattern: '\\bword' }, 'pattern'],
    [{ type: 'string', pattern: 'a^b' }, 'pattern'],
    [{ type: 'string', pattern: '^a|b$' }, 'pattern'],
    [{ type: 'string', pattern: '(' }, 'pattern'],
    [{ type: 'string', format: 'hostname' }, 'format'],
    [{ type: 'string', format: 'date', pattern: '^2' }, 'format'],
    [{ type: 'number', multipleOf: 2 }, 'multipleOf'],
    [{ type: 'array', uniqueItems: true }, 'uniqueItems'],
    [{ type: 'object', patternProperties: { a: {} } }, 'patternProperties'],
    [{ allOf: [{ type: 'string' }, { maxLength: 3 }] }, 'allOf'],
    [{ properties: { a: { not: { type: 'string' } } } }, 'not'],
    [{ $ref: 'http://example.com/s.json' }, '$ref'],
    [{ type: 'array', items: [{ type: 'string' }] }, 'items'],
    [{ anyOf: [{ type: 'string' }], type: 'string' }, 'type'],
  ])('rejects %j naming "%s"', (schema, keyword) => {
    let err: unknown;
    try { compileSchema(schema as JsonSchema); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedSchemaError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as UnsupportedSchemaError).keyword).toBe(keyword);
    expect((err as Error).message).toContain(keyword);
  });

  it.each([
    [false],
    [{ type: 'string', minLength: 3, maxLength: 2 }],
    [{ enum: [] }],
    [{ type: 'integer', minimum: 1.5, maximum: 1.9 }],
    [{ type: 'string', pattern: '^a{1,3}$', minLength: 4 }],
    [{ type: 'string', pattern: '^[]$' }],
    [{ type: 'array', items: false, minItems: 1 }],
    [{ type: 'object', properties: { a: false }, required: ['a'] }],
    [{ type: 'object', properties: {}, required: ['a'] }],
    [{ type: 'object', properties: { a: {} }, minProperties: 2 }],
    [{ type: 'object', properties: { a: {}, b: {} }, required: ['a', 'b'], maxProperties: 1 }],
    [{ $defs: { a: { type: 'object', properties: { a: { $ref: '#/$defs/a' } }, required: ['a'] } }, $ref: '#/$defs/a' }],
  ])('unsatisfiable schema %j is an InvalidArgumentError', (schema) => {
    expect(() => compileSchema(schema as JsonSchema)).toThrow(InvalidArgumentError);
  });

  it('prunes unsatisfiable branches and optional properties', () => {
    const c = compileSchema({ type: 'object', properties: { a: false, b: { type: 'integer' } }, additionalProperties: false });
    expect(matchesCompletely(c, '{"b":1}')).toBe(true);
    expect(new JsonMatcher(c).accepts('{"a"')).toBe(false);
    const d = compileSchema({ anyOf: [{ enum: [] }, { type: 'null' }] });
    expect(matchesCompletely(d, 'null')).toBe(true);
  });

  it('annotations are ignored; allOf with one subschema and pure $ref chains work', () => {
    const c = compileSchema({
      title: 'T', description: 'd', $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: { A: { $ref: '#/definitions/B' } },
      definitions: { B: { type: 'string', examples: ['x'], default: 'y' }, L: { type: 'array', uniqueItems: false } },
      type: 'object', properties: { s: { allOf: [{ $ref: '#/$defs/A' }], description: 'x' }, l: { $ref: '#/definitions/L' } }, required: ['s'],
    });
    expect(matchesCompletely(c, '{"s":"v"}')).toBe(true);
    expect(matchesCompletely(c, '{"s":"v","l":[1,1]}')).toBe(true);
    expect(matchesCompletely(c, '{"s":1}')).toBe(false);
  });
});
