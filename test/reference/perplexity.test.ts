// The float64 reference on llama.cpp's real model files, every quantization in the test data:
// its greedy text starts as llama.cpp's does and its perplexity (DESIGN.md §5 protocol) is within
// 0.5 % of llama.cpp's (testdata SOURCES.md §5). This checks src/quant's dequantizers on real
// llama.cpp-quantized tensors end to end (llama.cpp also rounds activations to 8 bits for
// quantized weights, which the reference does not: hence "within", not "equal").
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { perplexityOfTokens } from '../../src/eval/perplexity.ts';
import { loadReference } from './forward.ts';

// [file, llama.cpp's greedy start, llama.cpp's PPL] (SOURCES.md §5). Not repeated here: the F32
// stories260K (forward.test.ts) and the 656K Q8_0 file (same types as stories260K.Q8_0): both pass
// too (4.3566 vs 4.3568 for the F32 file).
const CASES: [string, string, number][] = [
  ['derived/stories260K.F16.gguf', ', there was a little girl named Lily. She loved to', 4.3565],
  ['derived/stories260K.Q8_0.gguf', ', there was a little girl named Lily. She loved to', 4.3584],
  ['derived/stories260K.Q4_0.gguf', ', there was a little girl named Lily. She loved to', 4.7366],
  ['TinyStories-656K.f16.gguf', 'there was a little girl named Lily. She loved to e', 121.2026],
  ['derived/TinyStories-656K.Q5_1.gguf', 'there was a little girl named Lily. She had a toy ', 121.4148],
  ['derived/TinyStories-656K.Q5_0.gguf', 'there was a little girl named Lily. She loved to e', 120.4696],
  ['derived/TinyStories-656K.Q4_1.gguf', 'there was a little girl named Lily. She loved to e', 123.3875],
  ['derived/TinyStories-656K.Q4_0.gguf', 'there was a little girl named Mia. She loved to ea', 127.2170],
  ['derived/TinyStories-656K.IQ4_NL.gguf', 'there was a little girl named Lily. She loved to e', 128.3923],
  ['derived/TinyStories-656K.Q4_K_M.gguf', 'there was a little girl named Lily. She loved to e', 120.3287],
];

const corpus = readFile(path.join(testdata, 'corpus', 'tinystories_val.txt'), 'utf8');
const tokenCache = new Map<string, number[]>();

describe('reference forward vs llama.cpp on real files', () => {
  it.each(CASES)('%s: greedy start and perplexity', async (file, start, ppl) => {
    const bytes = new Uint8Array(await readFile(path.join(testdata, 'models', file)));
    const gguf = parseGGUF(bytes);
    const tok = createTokenizer(gguf);
    const ref = loadReference(gguf, bytes);
    const family = file.toLowerCase().includes('656k') ? '656K' : '260K';
    const prompt = family === '656K' ? 'Once upon a time, ' : 'Once upon a time';
    const text = tok.decode(ref.greedy([tok.bosId, ...tok.encode(prompt, { addSpecial: false })], 24));
    expect(text.slice(0, start.length)).toBe(start);
    let tokens = tokenCache.get(family);
    if (!tokens) tokenCache.set(family, (tokens = tok.encode((await corpus).slice(0, 200_000), { addSpecial: false })));
    const r = perplexityOfTokens({ forward: (t, p) => ref.step(t, p) as unknown as Float32Array }, tokens, tok.bosId);
    expect(r.predictions).toBe(2040);
    expect(Math.abs(r.ppl / ppl - 1), `PPL ${r.ppl} vs llama.cpp ${ppl}`).toBeLessThan(0.005);
  });
});
