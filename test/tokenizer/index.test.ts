import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../../src/errors.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';
import { BpeTokenizer, createTokenizer, SpmTokenizer, WpmTokenizer } from '../../src/tokenizer/index.ts';
import { createVocab, TokenType, vocabFromGGUF } from '../../src/tokenizer/vocab.ts';
import { loadGGUF } from './helpers.ts';

const fakeFile = (metadata: [string, unknown][]): GGUFFile =>
  ({ version: 3, metadata: new Map(metadata as never), tensors: [], alignment: 32, dataOffset: 0, fileSize: 0 }) as GGUFFile;

describe('createTokenizer', () => {
  it('builds an SpmTokenizer for tokenizer.ggml.model = "llama"', () => {
    const tok = createTokenizer(loadGGUF('models/stories260K.gguf'));
    expect(tok).toBeInstanceOf(SpmTokenizer);
    expect(tok.bosId).toBe(1);
    expect(tok.eosId).toBe(2);
    expect(tok.isEog(2)).toBe(true);
    expect(tok.isEog(1)).toBe(false);
  });

  it('builds a BpeTokenizer for "gpt2" and a WpmTokenizer for "bert"', () => {
    const gpt2 = createTokenizer(loadGGUF('vocab/ggml-vocab-gpt-2.gguf'));
    expect(gpt2).toBeInstanceOf(BpeTokenizer);
    expect(gpt2.vocab.pre).toBe('gpt-2');
    expect(gpt2.isEog(gpt2.eosId)).toBe(true);
    expect(createTokenizer(loadGGUF('vocab/ggml-vocab-bert-bge.gguf'))).toBeInstanceOf(WpmTokenizer);
  });

  it('UnsupportedModelError naming an unknown tokenizer model', () => {
    let err: unknown;
    try {
      createTokenizer(fakeFile([['tokenizer.ggml.model', 't5'], ['tokenizer.ggml.tokens', ['a', 'b']]]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect((err as UnsupportedModelError).code).toBe('UNSUPPORTED_MODEL');
    expect((err as Error).message).toContain('"t5"');
  });

  it('UnsupportedModelError for a BPE vocab without merges', () => {
    expect(() => createTokenizer(fakeFile([['tokenizer.ggml.model', 'gpt2'], ['tokenizer.ggml.tokens', ['a', 'b']]]))).toThrow(UnsupportedModelError);
  });

  it('UnsupportedModelError when there is no tokenizer at all', () => {
    expect(() => createTokenizer(fakeFile([['general.architecture', 'llama']]))).toThrow(UnsupportedModelError);
    expect(() => createTokenizer(fakeFile([['tokenizer.ggml.model', 'llama']]))).toThrow(UnsupportedModelError);
  });
});

describe('vocabFromGGUF', () => {
  it('stories260K: llama.cpp defaults for missing keys, out-of-range ids ignored', () => {
    const v = vocabFromGGUF(loadGGUF('models/stories260K.gguf'));
    expect(v.model).toBe('llama');
    expect(v.pre).toBe('default');
    expect(v.tokens.length).toBe(512);
    expect([v.bosId, v.eosId, v.unkId]).toEqual([1, 2, 0]);
    expect(v.padId).toBe(-1); // stored as 4294967295
    expect(v.sepId).toBe(-1);
    expect(v.addBos).toBe(true); // no add_bos_token key: SPM default
    expect(v.addEos).toBe(false);
    expect(v.addSpacePrefix).toBe(true);
    expect([...v.eogIds]).toEqual([2]);
    expect(v.types[0]).toBe(TokenType.UNKNOWN);
    expect(v.types[3]).toBe(TokenType.BYTE);
  });

  it('TinyStories-656K: named special tokens, no byte tokens', () => {
    const v = vocabFromGGUF(loadGGUF('models/TinyStories-656K.f16.gguf'));
    expect([v.bosId, v.eosId, v.unkId, v.padId]).toEqual([1, 2, 0, 0]);
    expect(v.tokens[1]).toBe('<|start_story|>');
    expect(v.addBos).toBe(true);
    expect(v.types.includes(TokenType.BYTE)).toBe(false);
    expect(new SpmTokenizer(v).hasByteFallback).toBe(false);
    expect(new SpmTokenizer(vocabFromGGUF(loadGGUF('models/stories260K.gguf'))).hasByteFallback).toBe(true);
  });

  it('Phi-3: EOG tokens found by text are forced to control; special tokens rstrip', () => {
    const v = vocabFromGGUF(loadGGUF('vocab/ggml-vocab-phi-3.gguf'));
    const id = (t: string) => v.tokens.indexOf(t);
    expect(v.eosId).toBe(32000);
    expect(v.eotId).toBe(id('<|end|>'));
    expect(v.eogIds.has(32000)).toBe(true);
    expect(v.eogIds.has(id('<|end|>'))).toBe(true);
    expect(v.eogIds.has(id('</s>'))).toBe(true);
    expect(v.types[id('</s>')]).toBe(TokenType.CONTROL); // user-defined in the file
    expect(v.rstripIds.has(id('<|user|>'))).toBe(true);
    expect(v.rstripIds.has(id('</s>'))).toBe(true);
    for (const t of ['<s>', '<unk>', '<|endoftext|>']) expect(v.rstripIds.has(id(t))).toBe(false);
    // parse_special: "<|user|>\nHi" → the newline after <|user|> is swallowed
    const tok = new SpmTokenizer(v);
    expect(tok.encode('<|user|>\nHi<|end|>', { addSpecial: false, parseSpecial: true })).toEqual([
      id('<|user|>'), ...tok.encode('Hi', { addSpecial: false }), id('<|end|>'),
    ]);
  });

  it('createVocab from plain data fills llama defaults and renames empty tokens', () => {
    const v = createVocab({ tokens: ['<unk>', '<s>', '</s>', '', 'a'], bosId: 99 });
    expect(v.bosId).toBe(1); // 99 is out of range: default
    expect(v.tokens[3]).toBe('[EMPTY_3]');
    expect(v.scores).toEqual(new Float32Array(5));
    expect([...v.types]).toEqual([1, 1, TokenType.CONTROL, 1, 1]); // "</s>" is an EOG text: forced to control
    expect([...v.eogIds].sort()).toEqual([2]);
    expect(v.addBos && v.addSpacePrefix && !v.addEos).toBe(true);
  });
});
