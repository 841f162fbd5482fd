/**
 * What both entry points export (src/index.ts for browsers, src/node.ts for Node): the engine
 * interface and its types, the in-thread engine, typed errors and the helpers around loading.
 */
export type * from './engine/types.ts';
export type { SamplerOptions } from './sampler/options.ts';
export type { JsonSchema } from './structured/schema.ts';
export type { ChatMessage } from './chat/template.ts';
export type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from './api/openai.ts';
export { LocalEngine } from './engine/local-engine.ts';
export * from './errors.ts';
export { huggingFaceUrl, type HuggingFaceFile } from './huggingface.ts';
export { detectFlavor, supportsRelaxedSimd, supportsSimd128, type SimdFlavor } from './wasm/flavor.ts';
