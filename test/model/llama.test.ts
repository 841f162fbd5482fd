import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { byteSourceFromFile, type FileByteSource } from '../../src/gguf/node-source.ts';
import { readGGUF } from '../../src/gguf/reader.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';
import { createTokenizer, type Tokenizer } from '../../src/tokenizer/index.ts';
import { loadLlamaModel, type LlamaModel } from '../../src/model/llama.ts';
import { GGUFFormatError, InvalidArgumentError, UnsupportedModelError } from '../../src/errors.ts';
import { FLAVORS, relErr } from '../wasm/harness.ts';
import { referenceModel, type RefConfig, type RefLayer } from '../wasm/model/reference.ts';

const models = path.join(testdata, 'models');

const opened: FileByteSource[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

async function open(file: string): Promise<{ src: FileByteSource; gguf: GGUFFile; tok: Tokenizer }> {
  const src = await byteSourceFromFile(path.join(models, file));
  opened.push(src);
  const gguf = await readGGUF(src);
  return { src, gguf, tok: createTokenizer(gguf) };
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Greedy decoding: BOS + prompt, then `n` argmax tokens. */
function greedy(model: LlamaModel, tok: Tokenizer, prompt: string, n: number): number[] {
  const ids = [tok.bosId, ...tok.encode(prompt, { addSpecial: false })];
  let logits = model.forward(ids[0], 0);
  for (let i = 1; i < ids.length; i++) logits = model.forward(ids[i], i);
  const out: number[] = [];
  for (let pos = ids.length; out.length < n; pos++) {
    const next = argmax(logits);
    out.push(next);
    logits = model.forward(next, pos);
  }
  return out;
}

// llama.cpp's greedy continuations (docs: DESIGN.md §5, testdata SOURCES.md §5-6)
const STORIES_LONG = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it,';
const STORIES_32 = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw';
const TINY_656K = 'there was a little girl named Lily. She loved to e';

describe.each(FLAVORS)('llama models from GGUF (%s)', (flavor) => {
  it.each([
    ['stories260K.gguf', STORIES_LONG],
    ['derived/stories260K.F16.gguf', STORIES_32],
    ['derived/stories260K.Q8_0.gguf', STORIES_32],
  ])('%s continues "Once upon a time" as llama.cpp does for >= 32 tokens', async (file, expected) => {
    const { src, gguf, tok } = await open(file);
    const model = await loadLlamaModel(gguf, src, { flavor, contextLength: 256 });
    expect(model.tiedOutput).toBe(false);
    expect(model.config).toMatchObject({
      vocabSize: 512, embeddingLength: 64, blockCount: 5, feedForwardLength: 172, headCount: 8, headCountKv: 4,
      headDim: 8, ropeDim: 8, ropeNeox: false, ropeBase: 10000, contextLength: 256, trainedContextLength: 2048,
    });
    const ids = greedy(model, tok, 'Once upon a time', 48);
    const text = tok.decode(ids);
    // exactly 32 tokens make up the brief's reference text; the F32 file also matches the longer one
    expect(tok.decode(ids.slice(0, 32))).toBe(STORIES_32);
    const n = Math.min(text.length, expected.length);
    expect(text.slice(0, n)).toBe(expected.slice(0, n));
    expect(text.length).toBeGreaterThanOrEqual(STORIES_32.length);
  });

  it.each(['TinyStories-656K.f16.gguf', 'tinystories-656k-q8_0.gguf'])(
    '%s (tied output head) continues "Once upon a time, " as llama.cpp does', async (file) => {
      const { src, gguf, tok } = await open(file);
      const model = await loadLlamaModel(gguf, src, { flavor });
      expect(model.tiedOutput).toBe(true);
      expect(model.config).toMatchObject({ vocabSize: 2048, embeddingLength: 128, blockCount: 2, headDim: 16, contextLength: 512 });
      const text = tok.decode(greedy(model, tok, 'Once upon a time, ', 24));
      expect(text.startsWith(TINY_656K), text).toBe(true);
    });

  // 4-bit weights run on LUT or MAD as timed at load (kernel-calibration.ts): both must give llama.cpp's text
  it.each(['lut', 'mad'] as const)('stories260K.Q4_0 (repacked weights on %s, F16 ffn_down, Q4_0 gate/up of 172 rows on the fallback) continues as llama.cpp does', async (matmul) => {
    const { src, gguf, tok } = await open('derived/stories260K.Q4_0.gguf');
    const model = await loadLlamaModel(gguf, src, { flavor, contextLength: 256, matmul });
    const kinds = new Set(Object.values(model.kernelChoice));
    expect(kinds.has(matmul)).toBe(true);
    expect(model.kernelChoice['blk.0.ffn_gate.weight']).toBe('dequant-f32'); // 172 rows: no 16/32-row blocks
    const text = tok.decode(greedy(model, tok, 'Once upon a time', 32));
    const expected = ', there was a little girl named Lily. She loved to';
    expect(text.startsWith(expected), text).toBe(true);
  });

  it.each([
    ['derived/TinyStories-656K.Q4_0.gguf', 'there was a little girl named Mia. She loved to ea'],
    ['derived/TinyStories-656K.Q4_1.gguf', 'there was a little girl named Lily. She loved to e'],
    ['derived/TinyStories-656K.Q5_0.gguf', 'there was a little girl named Lily. She loved to e'],
    ['derived/TinyStories-656K.Q5_1.gguf', 'there was a little girl named Lily. She had a toy '],
    ['derived/TinyStories-656K.IQ4_NL.gguf', 'there was a little girl named Lily. She loved to e'],
    ['derived/TinyStories-656K.Q4_K_M.gguf', 'there was a little girl named Lily. She loved to e'],
  ])('%s continues "Once upon a time, " as llama.cpp does (on LUT and on MAD for the repacked types)', async (file, expected) => {
    const { src, gguf, tok } = await open(file);
    for (const matmul of ['lut', 'mad'] as const) {
      const model = await loadLlamaModel(gguf, src, { flavor, matmul });
      const text = tok.decode(greedy(model, tok, 'Once upon a time, ', 24));
      expect(text.startsWith(expected), `${matmul}: ${text}`).toBe(true);
      model.dispose();
    }
  });

  it('refuses a type it cannot run (IQ2_XXS) with an error naming the tensor and its type', async () => {
    const { src, gguf } = await open('derived/stories260K.Q4_0.gguf');
    const retyped = { ...gguf, tensors: gguf.tensors.map((t) => (t.name === 'blk.1.attn_k.weight' ? { ...t, type: 16 } : t)) };
    const err = await loadLlamaModel(retyped, src, { flavor }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect((err as Error).message).toMatch(/tensor 'blk\.1\.attn_k\.weight' has type IQ2_XXS/);
  });
});

/** The F32 stories260K weights as float arrays, for the float64 reference. */
async function referenceFor(gguf: GGUFFile, src: FileByteSource, model: LlamaModel, extra: Partial<RefConfig> = {}) {
  const c = model.config;
  const get = async (name: string) => {
    const t = gguf.tensors.find((x) => x.name === name)!;
    return new Float32Array((await src.read(t.offset, t.byteSize)).slice().buffer);
  };
  const layers: RefLayer[] = [];
  for (let l = 0; l < c.blockCount; l++) {
    const w = (n: string) => get(`blk.${l}.${n}.weight`);
    layers.push({
      attnNorm: await w('attn_norm'), wq: await w('attn_q'), wk: await w('attn_k'), wv: await w('attn_v'),
      wo: await w('attn_output'), ffnNorm: await w('ffn_norm'), wGate: await w('ffn_gate'), wUp: await w('ffn_up'),
      wDown: await w('ffn_down'),
    });
  }
  return referenceModel(
    { nVocab: c.vocabSize, nEmbd: c.embeddingLength, nLayer: c.blockCount, nHead: c.headCount, nHeadKv: c.headCountKv,
      headDim: c.headDim, nFf: c.feedForwardLength, ropeDim: c.ropeDim, ropeNeox: c.ropeNeox, ropeBase: c.ropeBase,
      rmsEps: c.rmsEps, ...extra },
    { tokenEmbd: await get('token_embd.weight'), outputNorm: await get('output_norm.weight'), output: await get('output.weight'), layers },
  );
}

describe('stories260K F32 against a float64 forward pass', () => {
  const PROMPT = 'Once upon a time, there was a dog named Max who loved to run.';

  it('logits agree to 1e-5 relative at every position of a prompt', async () => {
    const { src, gguf, tok } = await open('stories260K.gguf');
    const model = await loadLlamaModel(gguf, src, { contextLength: 64 });
    const ref = await referenceFor(gguf, src, model);
    const ids = [tok.bosId, ...tok.encode(PROMPT, { addSpecial: false })];
    ids.forEach((id, pos) => {
      expect(relErr(model.forward(id, pos), ref.forward(id, pos)), `pos ${pos}`).toBeLessThanOrEqual(1e-5);
    });
  });

  it('applies linear RoPE scaling and per-dimension frequency factors (rope_freqs.weight)', async () => {
    const { src, gguf, tok } = await open('stories260K.gguf');
    // a rope_freqs.weight tensor served from just past the end of the file
    const factors = Float32Array.from([1, 1.5, 4, 8]);
    const extraBytes = new Uint8Array(factors.buffer);
    const source = {
      size: src.size + extraBytes.length,
      read: async (o: number, n: number) => (o >= src.size ? extraBytes.slice(o - src.size, o - src.size + n) : src.read(o, n)),
    };
    const ropeFreqs = { name: 'rope_freqs.weight', type: 0, dims: [4], nElements: 4, byteSize: 16, relativeOffset: 0, offset: src.size };
    const file: GGUFFile = {
      ...gguf,
      tensors: [...gguf.tensors, ropeFreqs],
      metadata: new Map([...gguf.metadata, ['llama.rope.scaling.type', 'linear'], ['llama.rope.scaling.factor', 2]]),
    };
    const model = await loadLlamaModel(file, source, { contextLength: 64 });
    expect(model.config.ropeFreqScale).toBe(0.5);
    const ref = await referenceFor(gguf, src, model, { ropeFreqScale: 0.5, ropeFactors: factors });
    const plain = await referenceFor(gguf, src, model);
    const ids = [tok.bosId, ...tok.encode(PROMPT, { addSpecial: false })];
    let differs = 0;
    ids.forEach((id, pos) => {
      const got = model.forward(id, pos);
      expect(relErr(got, ref.forward(id, pos)), `pos ${pos}`).toBeLessThanOrEqual(1e-5);
      differs = Math.max(differs, relErr(got, plain.forward(id, pos)));
    });
    expect(differs).toBeGreaterThan(1e-2); // the scaling really changed the result
    await expect(loadLlamaModel({ ...file, tensors: [...gguf.tensors, { ...ropeFreqs, dims: [3], nElements: 3 }] }, source))
      .rejects.toThrow(/rope_freqs\.weight/);
  });
});

describe('loader checks', () => {
  it('takes a smaller context, refuses a larger one or a bad value, and bounds forward() arguments', async () => {
    const { src, gguf } = await open('stories260K.gguf');
    await expect(loadLlamaModel(gguf, src, { contextLength: 4096 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(loadLlamaModel(gguf, src, { contextLength: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const model = await loadLlamaModel(gguf, src, { contextLength: 8 });
    expect(model.config.contextLength).toBe(8);
    expect(() => model.forward(512, 0)).toThrow(InvalidArgumentError);
    expect(() => model.forward(1, 8)).toThrow(InvalidArgumentError);
    expect(model.forward(1, 7)).toHaveLength(512);
    const def = await loadLlamaModel(gguf, src);
    expect(def.config.contextLength).toBe(2048);
    def.dispose();
    expect(() => def.forward(1, 0)).toThrow(/disposed/);
  });

  it('reports progress over all weight bytes, and never holds the whole file', async () => {
    const { src, gguf } = await open('stories260K.gguf');
    let biggestRead = 0;
    const spy = { size: src.size, read: (o: number, n: number) => { biggestRead = Math.max(biggestRead, n); return src.read(o, n); } };
    const seen: Array<[number, number]> = [];
    await loadLlamaModel(gguf, spy, { onProgress: (a, b) => seen.push([a, b]) });
    const total = seen[0][1];
    expect(seen.at(-1)).toEqual([total, total]);
    expect(total).toBeGreaterThan(1_000_000);
    const largest = Math.max(...gguf.tensors.map((t) => t.byteSize));
    expect(biggestRead).toBe(largest);
  });

  it('names what it cannot run: architecture, extra tensors, missing tensors, wrong shapes', async () => {
    const { src, gguf } = await open('stories260K.gguf');
    const withMeta = (k: string, v: unknown): GGUFFile => ({ ...gguf, metadata: new Map([...gguf.metadata, [k, v as never]]) });
    await expect(loadLlamaModel(withMeta('general.architecture', 'gpt2'), src)).rejects.toThrow(/Architecture 'gpt2' is not supported/);
    await expect(loadLlamaModel(withMeta('llama.rope.scaling.type', 'yarn'), src)).rejects.toThrow(UnsupportedModelError);

    const extra = { ...gguf.tensors[3], name: 'blk.0.attn_q.bias' };
    await expect(loadLlamaModel({ ...gguf, tensors: [...gguf.tensors, extra] }, src)).rejects.toThrow(/'blk\.0\.attn_q\.bias'.*not part of the llama graph/);

    const missing = gguf.tensors.filter((t) => t.name !== 'blk.4.ffn_up.weight');
    await expect(loadLlamaModel({ ...gguf, tensors: missing }, src)).rejects.toThrow(GGUFFormatError);
    await expect(loadLlamaModel({ ...gguf, tensors: missing }, src)).rejects.toThrow(/blk\.4\.ffn_up\.weight/);

    const wrongShape = withMeta('llama.feed_forward_length', 128);
    await expect(loadLlamaModel(wrongShape, src)).rejects.toThrow(/has dimensions \[64, 172\].*implies \[64, 128\]/);
  });
});
