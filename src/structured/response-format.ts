/**
 * OpenAI-style `response_format` → the JSON schema to constrain with.
 *
 *   { type: 'text' } or absent                          → null (no constraint)
 *   { type: 'json_object' }                             → any JSON object
 *   { type: 'json_schema', json_schema: { schema } }    → that schema
 *
 * (`name`, `description` and `strict` are accepted and ignored: the
 * constraint is always strict.)
 */
import { InvalidArgumentError } from '../errors.ts';
import type { JsonSchema } from './schema.ts';

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name?: string; description?: string; schema?: JsonSchema; strict?: boolean | null } };

export function schemaFromResponseFormat(rf: unknown): JsonSchema | null {
  if (rf === undefined || rf === null) return null;
  if (typeof rf !== 'object' || Array.isArray(rf)) throw new InvalidArgumentError('response_format must be an object');
  const type = (rf as { type?: unknown }).type;
  switch (type) {
    case 'text':
      return null;
    case 'json_object':
      return { type: 'object' };
    case 'json_schema': {
      const js = (rf as { json_schema?: unknown }).json_schema;
      if (typeof js !== 'object' || js === null || Array.isArray(js)) {
        throw new InvalidArgumentError('response_format.json_schema must be an object with a "schema"');
      }
      const schema = (js as { schema?: unknown }).schema;
      if (schema === undefined) return { type: 'object' };
      if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
        throw new InvalidArgumentError('response_format.json_schema.schema must be a JSON schema (object or boolean)');
      }
      return schema as JsonSchema;
    }
    default:
      throw new InvalidArgumentError(`response_format.type must be "text", "json_object" or "json_schema", got ${JSON.stringify(type)}`);
  }
}
