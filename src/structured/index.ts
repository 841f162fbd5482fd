/**
 * Structured output: JSON-schema-constrained decoding.
 * See schema.ts (supported subset), matcher.ts (formatting policy) and constraint.ts (the logits mask).
 */
export { JsonSchemaConstraint, StructuredOutputError } from './constraint.ts';
export { JsonMatcher, matchesCompletely } from './matcher.ts';
export { compileSchema, UnsupportedSchemaError, validateNode } from './schema.ts';
export type { CompiledSchema, JsonSchema, JsonValue } from './schema.ts';
export { tokenTrieFor } from './token-trie.ts';
export type { TokenTrie } from './token-trie.ts';
export { schemaFromResponseFormat } from './response-format.ts';
export type { ResponseFormat } from './response-format.ts';
