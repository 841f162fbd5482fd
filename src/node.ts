/**
 * lutra for Node (20+): the engine runs in the calling thread.
 *
 *   import { LocalEngine } from 'lutra';
 *   const engine = new LocalEngine();
 *   await engine.load({ blob: await fs.openAsBlob('model.gguf') });
 *   const { text } = await engine.generate('Once upon a time', { maxTokens: 32 });
 */
export * from './api-common.ts';
export { createTokenizer, type Tokenizer } from './tokenizer/index.ts';
export { parseGGUF, readGGUF, byteSourceFromBuffer, byteSourceFromBlob, type ByteSource } from './gguf/reader.ts';
