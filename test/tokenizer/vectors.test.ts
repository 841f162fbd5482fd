/**
 * llama.cpp's test-tokenizer-0 vectors: every input must give exactly llama.cpp's ids
 * (add_special = false, parse_special = false).
 */
import { describe, expect, it } from 'vitest';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { formatIds, loadGGUF, parseIds, readOutputs, readText, splitInputs } from './helpers.ts';

const FILES: [string, number][] = [
  ['vocab/ggml-vocab-llama-spm.gguf', 46],
  ['vocab/ggml-vocab-phi-3.gguf', 46],
  ['vocab/ggml-vocab-gpt-2.gguf', 46],
  ['vocab/ggml-vocab-falcon.gguf', 46],
  ['vocab/ggml-vocab-deepseek-llm.gguf', 46],
  ['vocab/ggml-vocab-bert-bge.gguf', 46],
  ['models/stories260K.gguf', 46],
  ['models/TinyStories-656K.f16.gguf', 33],
  ['models/tinystories-656k-q8_0.gguf', 33],
];

describe('splitInputs', () => {
  it('follows test-tokenizer-0: leading separator → empty first input, trailing separator → nothing', () => {
    const sep = '\n__ggml_vocab_test__\n';
    expect(splitInputs(`a${sep}b${sep}`)).toEqual(['a', 'b']);
    expect(splitInputs(`${sep}b${sep}`)).toEqual(['', 'b']);
    expect(splitInputs(`a${sep}${sep}c`)).toEqual(['a', '', 'c']);
    expect(splitInputs('')).toEqual([]);
  });
});

describe.each(FILES)('tokenizer vectors: %s', (file, count) => {
  const inputs = splitInputs(readText(`${file}.inp`));
  const outputs = readOutputs(readText(`${file}.out`));
  const tok = createTokenizer(loadGGUF(file));

  it(`has ${count} inputs, one output line each`, () => {
    expect(inputs.length).toBe(count);
    expect(outputs.length).toBe(count);
  });

  it('encodes every input to llama.cpp\'s ids', () => {
    const got = inputs.map((s) => formatIds(tok.encode(s, { addSpecial: false, parseSpecial: false })));
    expect(got).toEqual(outputs.map((l) => formatIds(parseIds(l))));
  });
});

describe('TinyStories-656K inputs llama.cpp aborts on', () => {
  // 0-based indices into ggml-vocab-llama-spm.gguf.inp (SOURCES.md §1)
  const CRASHING = [0, 1, 6, 10, 18, 20, 21, 22, 29, 30, 32, 43, 45];
  const all = splitInputs(readText('vocab/ggml-vocab-llama-spm.gguf.inp'));

  it('the 656K .inp is the llama-spm .inp without exactly those inputs', () => {
    expect(splitInputs(readText('models/TinyStories-656K.f16.gguf.inp'))).toEqual(all.filter((_, i) => !CRASHING.includes(i)));
  });

  for (const file of ['models/TinyStories-656K.f16.gguf', 'models/tinystories-656k-q8_0.gguf']) {
    it(`${file}: encode without throwing, unknown characters → <unk>`, () => {
      const tok = createTokenizer(loadGGUF(file));
      const n = tok.vocab.tokens.length;
      for (const i of CRASHING) {
        const ids = tok.encode(all[i], { addSpecial: false });
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) expect(id >= 0 && id < n).toBe(true);
        expect(ids).toContain(tok.vocab.unkId);
      }
      // a tab and an emoji are one unknown token each, not one per byte
      expect(tok.encode('\t', { addSpecial: false })).toEqual([80, 0]);
      expect(tok.encode('🦙', { addSpecial: false })).toEqual([80, 0]);
      expect(tok.encode('a🦙', { addSpecial: false })).toEqual([...tok.encode('a', { addSpecial: false }), 0]);
    });
  }
});
