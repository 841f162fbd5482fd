import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { byteSourceFromFile } from '../../src/gguf/node-source.ts';
import { readGGUF } from '../../src/gguf/reader.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { negLogLikelihood, perplexity, perplexityOfTokens } from '../../src/eval/perplexity.ts';
import { FLAVORS } from '../wasm/harness.ts';

const corpus = path.join(testdata, 'corpus', 'tinystories_val.txt');

// llama.cpp's perplexities with this protocol (testdata SOURCES.md §5)
const REFERENCE: Array<[string, number]> = [
  ['stories260K.gguf', 4.3568],
  ['derived/stories260K.F16.gguf', 4.3565],
  ['derived/stories260K.Q8_0.gguf', 4.3584],
  ['TinyStories-656K.f16.gguf', 121.2026],
  ['tinystories-656k-q8_0.gguf', 121.209],
  // quantized: repacked to the LUT / multiply-add layouts, or dequantized at load (Q5_x, IQ4_NL)
  ['derived/stories260K.Q4_0.gguf', 4.7366],
  ['derived/TinyStories-656K.Q4_0.gguf', 127.217],
  ['derived/TinyStories-656K.Q4_1.gguf', 123.3875],
  ['derived/TinyStories-656K.Q5_0.gguf', 120.4696],
  ['derived/TinyStories-656K.Q5_1.gguf', 121.4148],
  ['derived/TinyStories-656K.IQ4_NL.gguf', 128.3923],
  ['derived/TinyStories-656K.Q4_K_M.gguf', 120.3287],
];

describe.each(FLAVORS)('perplexity over TinyStories validation text (%s)', (flavor) => {
  it.each(REFERENCE)('%s is within 0.5 percent of llama.cpp (%s)', async (file, want) => {
    const src = await byteSourceFromFile(path.join(testdata, 'models', file));
    try {
      const gguf = await readGGUF(src);
      const model = await loadLlamaModel(gguf, src, { flavor, contextLength: 256 });
      const r = perplexity(model, createTokenizer(gguf), await readFile(corpus, 'utf8'));
      expect(r.predictions).toBe(2040);
      expect(r.chunks).toBe(8);
      expect(Math.abs(r.ppl / want - 1), `PPL ${r.ppl}`).toBeLessThanOrEqual(0.005);
    } finally {
      await src.close();
    }
  });
});

describe('perplexity protocol', () => {
  it('computes -log softmax in float64', () => {
    const logits = Float32Array.from([1000, 1001, 999.5]);
    const z = Math.exp(0) + Math.exp(1) + Math.exp(-0.5);
    expect(negLogLikelihood(logits, 1)).toBeCloseTo(Math.log(z) - 1, 12);
    expect(negLogLikelihood(logits, 0)).toBeCloseTo(Math.log(z), 12);
  });

  it('runs each chunk as BOS + the next nCtx-1 tokens from position 0 and scores every position', () => {
    const calls: Array<[number, number]> = [];
    const vocab = 10;
    const model = {
      forward(token: number, pos: number) {
        calls.push([token, pos]);
        return new Float32Array(vocab); // uniform: NLL = log(vocab) everywhere
      },
    };
    const tokens = Array.from({ length: 20 }, (_, i) => 2 + (i % 8));
    const r = perplexityOfTokens(model, tokens, 1, { nCtx: 4, nChunks: 3 });
    expect(r.predictions).toBe(9);
    expect(r.ppl).toBeCloseTo(vocab, 10);
    expect(calls).toEqual([
      [1, 0], [2, 1], [3, 2],
      [1, 0], [5, 1], [6, 2],
      [1, 0], [8, 1], [9, 2],
    ]);
    expect(() => perplexityOfTokens(model, [1, 2], 1, { nCtx: 4 })).toThrow(RangeError);
  });
});
