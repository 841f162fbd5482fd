/**
 * Tokenizer entry point: picks the implementation from `tokenizer.ggml.model`.
 */
import { UnsupportedModelError } from '../errors.ts';
import type { GGUFFile } from '../gguf/types.ts';
import { bpeTokenizerFromGGUF } from './bpe.ts';
import type { DecodeOptions, EncodeOptions, TokenBytesOptions } from './base.ts';
import { SpmTokenizer } from './spm.ts';
import { WpmTokenizer } from './wpm.ts';
import { vocabFromGGUF, type Vocab } from './vocab.ts';

export interface Tokenizer {
  readonly vocab: Vocab;
  /** -1 when the model has none. */
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** The bytes a token contributes to decoded output (control tokens: none unless `special`). */
  tokenBytes(id: number, opts?: TokenBytesOptions): Uint8Array;
  /** Does this token end generation? */
  isEog(id: number): boolean;
}

export function createTokenizer(file: GGUFFile): Tokenizer {
  const model = file.metadata.get('tokenizer.ggml.model');
  if (typeof model !== 'string') {
    throw new UnsupportedModelError('The GGUF file has no tokenizer (tokenizer.ggml.model is missing)');
  }
  switch (model) {
    case 'llama':
      return new SpmTokenizer(vocabFromGGUF(file));
    case 'gpt2':
      return bpeTokenizerFromGGUF(file);
    case 'bert':
      return new WpmTokenizer(vocabFromGGUF(file));
    default:
      throw new UnsupportedModelError(`Tokenizer model "${model}" is not supported (supported: "llama", "gpt2", "bert")`);
  }
}

export { SpmTokenizer } from './spm.ts';
export { BpeTokenizer, bpeTokenizerFromGGUF } from './bpe.ts';
export type { BpeDecodeOptions } from './bpe.ts';
export { WpmTokenizer } from './wpm.ts';
export { PreTokenizer, preTokenizerSpec, KNOWN_PRE_TOKENIZERS } from './pretokenize.ts';
export type { PreTokenizerSpec } from './pretokenize.ts';
export type { DecodeOptions, EncodeOptions, TokenBytesOptions } from './base.ts';
export { StreamingDetokenizer } from './stream.ts';
export type { StreamOptions } from './stream.ts';
export { createVocab, vocabFromGGUF, TokenType } from './vocab.ts';
export type { Vocab, VocabInit } from './vocab.ts';
