// The float64 reference forward pass (test/reference/forward.ts): llama.cpp's greedy text on
// stories260K, agreement with the C engine on real and synthetic llama files, qwen2's NeoX RoPE +
// biases against llama with llama.cpp's Q/K permutation, and BitNet's numerics.
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { parseGGUF, byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { GGUFWriter } from '../../src/gguf/writer.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { loadLlamaModel } from '../../src/model/llama.ts';
import { quantize } from '../../src/quant/index.ts';
import { makeModel, parseArgs } from '../../scripts/make-model.ts';
import { loadReference, quantizeActivationsInt8, tensorF64 } from './forward.ts';
import { referenceLogits } from '../../scripts/reference-logits.ts';

const tmp = mkdtemp(path.join(os.tmpdir(), 'lutra-ref-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

async function load(file: string) {
  const bytes = new Uint8Array(await readFile(file));
  return { bytes, gguf: parseGGUF(bytes) };
}

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (a[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return Math.sqrt(num / den);
}

async function synth(argv: string[]) {
  const out = path.join(await tmp, argv.join('_').replace(/[^\w.-]/g, '') + '.gguf');
  await makeModel(parseArgs([...argv, '-o', out, '-q']));
  return load(out);
}

// llama.cpp's greedy continuation (DESIGN.md §5)
const STORIES = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it,';

describe('reference forward on stories260K (F32, llama)', () => {
  it('greedy from BOS + "Once upon a time" continues as llama.cpp does', async () => {
    const { bytes, gguf } = await load(path.join(testdata, 'models', 'stories260K.gguf'));
    const tok = createTokenizer(gguf);
    const ref = loadReference(gguf, bytes);
    expect(ref.config).toMatchObject({ arch: 'llama', nVocab: 512, nEmbd: 64, nLayer: 5, nHead: 8, nHeadKv: 4, ropeNeox: false, tiedOutput: false });
    const ids = ref.greedy([tok.bosId, ...tok.encode('Once upon a time', { addSpecial: false })], 48);
    const text = tok.decode(ids);
    expect(text.startsWith(STORIES.slice(0, Math.min(text.length, STORIES.length))), text).toBe(true);
    expect(text.length).toBeGreaterThanOrEqual(STORIES.length);
  });

  it('npm run reference-logits gives the same greedy tokens and the prompt\'s last logits', async () => {
    const file = path.join(testdata, 'models', 'stories260K.gguf');
    const r = await referenceLogits(file, { steps: 8 });
    const { bytes, gguf } = await load(file);
    const tok = createTokenizer(gguf);
    expect(r.prompt).toEqual([tok.bosId, ...tok.encode('Once upon a time', { addSpecial: false })]);
    expect(STORIES.startsWith(tok.decode(r.greedy))).toBe(true);
    const ref = loadReference(gguf, bytes);
    expect(r.lastLogits).toEqual(Array.from(ref.forward(r.prompt)[r.prompt.length - 1]));
  });

  it('logits agree with the C engine to 1e-4 relative at every position', async () => {
    const { bytes, gguf } = await load(path.join(testdata, 'models', 'stories260K.gguf'));
    const tok = createTokenizer(gguf);
    const ref = loadReference(gguf, bytes);
    const model = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { contextLength: 64 });
    const ids = [tok.bosId, ...tok.encode('Once upon a time, there was a dog named Max who loved to run.', { addSpecial: false })];
    const logits = ref.forward(ids);
    let worst = 0;
    ids.forEach((id, pos) => { worst = Math.max(worst, relErr(model.forward(id, pos), logits[pos])); });
    expect(worst).toBeLessThanOrEqual(1e-4);
    model.dispose();
  });
});

describe('reference forward on synthetic llama models (make-model) against the C engine', () => {
  it.each([
    // llama-3.2-1b shape, narrowed: GQA 4:1, tied output, rope_freqs (Llama 3 RoPE scaling)
    [['llama-3.2-1b', '--type', 'F32', '--layers', '2', '--embd', '256', '--ff', '512'], 1e-4],
    [['llama-3.2-1b', '--type', 'F16', '--layers', '2', '--embd', '256', '--ff', '512'], 1e-4],
    // the C engine quantizes activations to int8 for Q8_0 weights (as llama.cpp does): looser
    [['llama-3.2-1b', '--type', 'Q8_0', '--layers', '2', '--embd', '256', '--ff', '512'], 2e-2],
    // llama-7b shape, narrowed: MHA, separate output head
    [['llama-7b', '--type', 'F32', '--layers', '3', '--embd', '256', '--ff', '512', '--head-dim', '128'], 1e-4],
  ] as [string[], number][])('%j', async (argv, tol) => {
    const { bytes, gguf } = await synth(argv);
    const ref = loadReference(gguf, bytes);
    const model = await loadLlamaModel(gguf, byteSourceFromBuffer(bytes), { contextLength: 32 });
    const ids = [1, 450, 2501, 29871, 13, 3118, 2462, 263, 931];
    const logits = ref.forward(ids);
    ids.forEach((id, pos) => expect(relErr(model.forward(id, pos), logits[pos]), `pos ${pos}`).toBeLessThanOrEqual(tol));
    // random weights of std 0.02 keep the activations sane: logits neither vanish nor blow up
    const last = logits[logits.length - 1];
    const rms = Math.sqrt(last.reduce((s, v) => s + v * v, 0) / last.length);
    expect(rms).toBeGreaterThan(0.05);
    expect(rms).toBeLessThan(5);
    model.dispose();
  });
});

/** llama.cpp's HF→GGUF Q/K permutation for llama: row (h, 2i + j) ← row (h, j·d/2 + i). */
function permuteRows(w: Float64Array, rowLen: number, nHead: number, headDim: number): Float64Array {
  const out = new Float64Array(w.length);
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < headDim / 2; i++) {
      for (let j = 0; j < 2; j++) {
        const dst = h * headDim + 2 * i + j, src = h * headDim + j * (headDim / 2) + i;
        out.set(w.subarray(src * rowLen, (src + 1) * rowLen), dst * rowLen);
      }
    }
  }
  return out;
}

describe('reference forward: qwen2 and bitnet', () => {
  it('qwen2 (NeoX RoPE, QKV biases) equals llama on the same weights with Q/K rows permuted as llama.cpp converts them', async () => {
    const { bytes, gguf } = await synth(['qwen2.5-0.5b', '--type', 'F32', '--layers', '2', '--embd', '256', '--ff', '512']);
    const qwen = loadReference(gguf, bytes);
    const c = qwen.config;
    expect(c).toMatchObject({ arch: 'qwen2', ropeNeox: true, tiedOutput: true, nHead: 4, nHeadKv: 1 });
    // rewrite as a llama file: every tensor as F32, attn_q/attn_k (weights and biases) permuted
    const w = new GGUFWriter();
    for (const [k, v] of gguf.metadata) {
      if (k === 'general.architecture') w.string(k, 'llama');
      else if (!k.startsWith('tokenizer.')) w.setParsed(k.replace(/^qwen2\./, 'llama.'), v);
    }
    const data = new Map<string, Float64Array>();
    for (const t of gguf.tensors) {
      let x = tensorF64(gguf, bytes, t.name);
      const m = /attn_(q|k)\.(weight|bias)$/.exec(t.name);
      if (m) x = permuteRows(x, m[2] === 'weight' ? t.dims[0] : 1, m[1] === 'q' ? c.nHead : c.nHeadKv, c.headDim);
      data.set(t.name, x);
      w.addTensor(t.name, GGMLType.F32, t.dims);
    }
    const llamaBytes = await w.toBytes((t) => quantize(GGMLType.F32, data.get(t.name)!));
    const llama = loadReference(parseGGUF(llamaBytes), llamaBytes);
    expect(llama.config.ropeNeox).toBe(false);
    const ids = [5, 17, 300, 42, 9000, 11];
    const a = qwen.forward(ids), b = llama.forward(ids);
    for (let p = 0; p < ids.length; p++) expect(relErr(b[p], a[p])).toBeLessThan(1e-12);
    // the comparison exercises the biases: they are not zero
    expect(tensorF64(gguf, bytes, 'blk.0.attn_q.bias').some((v) => v !== 0)).toBe(true);
  });

  it('bitnet: int8 per-token activations stay close to float, ternary types give identical logits', async () => {
    const common = ['--layers', '2', '--embd', '256', '--ff', '768'];
    const files = await Promise.all(['TQ2_0', 'TQ1_0', 'I2_S', 'F16'].map((t) => synth(['bitnet-b1.58-2b', '--type', t, ...common])));
    const ids = [1, 100, 2000, 31999, 7];
    const refs = files.map(({ gguf, bytes }) => loadReference(gguf, bytes));
    expect(refs[0].config).toMatchObject({ arch: 'bitnet', ropeNeox: true, tiedOutput: true });
    const logits = refs.map((r) => r.forward(ids));
    // the same ternary weights in every type (the token embedding is F16 in all of them)
    for (const l of logits.slice(1)) for (let p = 0; p < ids.length; p++) expect(relErr(l[p], logits[0][p])).toBe(0);
    const float = loadReference(files[0].gguf, files[0].bytes, { bitnetActivations: 'float' }).forward(ids);
    for (let p = 0; p < ids.length; p++) {
      const e = relErr(logits[0][p], float[p]);
      expect(e).toBeGreaterThan(0); // int8 activations do change the numbers ...
      expect(e).toBeLessThan(0.05); // ... by about what 8-bit rounding costs
    }
    expect(refs[0].greedy([1, 100], 4)).toEqual(refs[2].greedy([1, 100], 4));
    // I2_S files carry BitNet's fork's architecture name; the graph is the same
    expect(files[2].gguf.metadata.get('general.architecture')).toBe('bitnet-b1.58');
    expect(refs[2].config.arch).toBe('bitnet');
    // upstream llama.cpp's default FFN for `bitnet` (SiLU) is a different function
    const silu = loadReference(files[0].gguf, files[0].bytes, { bitnetFfn: 'silu' }).forward(ids);
    expect(relErr(silu[ids.length - 1], logits[0][ids.length - 1])).toBeGreaterThan(1e-3);
  });

  it('int8 activation quantization: 127 levels of the row maximum, round half away from zero', () => {
    const x = Float64Array.from([1.27, -0.005, 0.015, -1.0]);
    const q = quantizeActivationsInt8(x);
    expect(Array.from(q).map((v) => Math.round(v * 100) / 100)).toEqual([1.27, -0.01, 0.02, -1]);
  });
});
