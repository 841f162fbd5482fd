/**
 * lutra for Node (20+): the engine runs in the calling thread.
 *
 *   import { LocalEngine } from 'lutra';
 *   const engine = new LocalEngine();
 *   await engine.load({ blob: await fs.openAsBlob('model.gguf') });
 *   const { text } = await engine.generate('Once upon a time', { maxTokens: 32 });
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
export { createTokenizer, type Tokenizer } from './tokenizer/index.ts';
export { parseGGUF, readGGUF, byteSourceFromBuffer, byteSourceFromBlob, type ByteSource } from './gguf/reader.ts';
