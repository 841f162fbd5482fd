import { describe, expect, it } from 'vitest';
import { schemaFromResponseFormat } from '../../src/structured/response-format.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { matchesCompletely } from '../../src/structured/matcher.ts';

describe('schemaFromResponseFormat', () => {
  it('maps the OpenAI forms', () => {
    expect(schemaFromResponseFormat(undefined)).toBeNull();
    expect(schemaFromResponseFormat({ type: 'text' })).toBeNull();
    const obj = schemaFromResponseFormat({ type: 'json_object' })!;
    expect(matchesCompletely(obj, '{"a": [1, {"b": null}]}')).toBe(true);
    expect(matchesCompletely(obj, '[1]')).toBe(false);
    const schema = { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] };
    expect(schemaFromResponseFormat({ type: 'json_schema', json_schema: { name: 'n', strict: true, schema } })).toBe(schema);
  });

  it.each([[{ type: 'xml' }], [{ type: 'json_schema' }], [{ type: 'json_schema', json_schema: { schema: 3 } }], ['json']])('rejects %j', (rf) => {
    expect(() => schemaFromResponseFormat(rf)).toThrow(InvalidArgumentError);
  });
});
