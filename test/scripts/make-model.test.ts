// make-model: every architecture × every weight type gives a header llama.cpp's loader would
// accept (names, shapes, types, metadata keys); a subset is written in full and read back.
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../paths.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { readGGUFFile } from '../../src/gguf/node-source.ts';
import { GGMLType, ggmlTypeName } from '../../src/gguf/ggml-types.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';
import { dequantize } from '../../src/quant/index.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { PRESETS, WEIGHT_TYPES, llama3RopeFactors, planModel } from '../../scripts/lib/synth-model.ts';
import { makeModel, parseArgs } from '../../scripts/make-model.ts';

const tmp = mkdtemp(path.join(os.tmpdir(), 'lutra-make-model-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

const vocabs = new Map<string, GGUFFile>();
beforeAll(async () => {
  for (const f of ['ggml-vocab-llama-spm.gguf', 'ggml-vocab-gpt-2.gguf']) vocabs.set(f, await readGGUFFile(path.join(testdata, 'vocab', f)));
});

/** Narrow test variants: 2 layers, widths that are multiples of 256 (K-quant rows). */
const NARROW: Record<string, { embd: number; ff: number }> = {
  'llama-3.2-1b': { embd: 256, ff: 512 },
  'qwen2.5-0.5b': { embd: 320, ff: 512 }, // 320: not a multiple of 256, like Qwen's 896 → K-quant fallbacks
  'bitnet-b1.58-2b': { embd: 256, ff: 768 },
  'llama-7b': { embd: 256, ff: 512 },
};

function expectedTensors(arch: string, L: number, tied: boolean, bias: boolean, rope: boolean): string[] {
  const names = ['token_embd.weight', ...(rope ? ['rope_freqs.weight'] : []), 'output_norm.weight', ...(tied ? [] : ['output.weight'])];
  for (let i = 0; i < L; i++) {
    const b = `blk.${i}.`;
    names.push(b + 'attn_norm.weight', b + 'attn_q.weight', ...(bias ? [b + 'attn_q.bias'] : []), b + 'attn_k.weight',
      ...(bias ? [b + 'attn_k.bias'] : []), b + 'attn_v.weight', ...(bias ? [b + 'attn_v.bias'] : []),
      ...(arch === 'bitnet' ? [b + 'attn_sub_norm.weight'] : []), b + 'attn_output.weight', b + 'ffn_norm.weight',
      b + 'ffn_gate.weight', b + 'ffn_up.weight', ...(arch === 'bitnet' ? [b + 'ffn_sub_norm.weight'] : []), b + 'ffn_down.weight');
  }
  return names;
}

describe.each(Object.keys(PRESETS))('make-model %s', (preset) => {
  const p = PRESETS[preset];
  it.each(WEIGHT_TYPES)('%s: header has llama.cpp’s names, shapes, types and keys', (type) => {
    const vocab = vocabs.get(p.vocab)!;
    const plan = planModel({ preset, type, layers: 2, ...NARROW[preset], vocab });
    const g = parseGGUF(plan.writer.header(), plan.writer.header().length + plan.writer.dataSize);
    const s = plan.shape, a = p.arch, name = plan.archName, k = (x: string) => g.metadata.get(`${name}.${x}`);
    expect(g.metadata.get('general.architecture')).toBe(a === 'bitnet' && type === 'I2_S' ? 'bitnet-b1.58' : a);
    expect(k('block_count')).toBe(2);
    expect(k('embedding_length')).toBe(NARROW[preset].embd);
    expect(k('feed_forward_length')).toBe(NARROW[preset].ff);
    expect(k('attention.head_count')).toBe(s.nHead);
    expect(k('attention.head_count_kv')).toBe(s.nHeadKv);
    expect(s.nHead % s.nHeadKv).toBe(0);
    expect(k('rope.dimension_count')).toBe(s.headDim);
    expect(k('rope.freq_base')).toBe(p.ropeBase);
    expect(k('attention.layer_norm_rms_epsilon')).toBe(Math.fround(p.rmsEps));
    expect(k('context_length')).toBe(p.contextLength);
    expect(g.metadata.get('general.quantization_version')).toBe(2);
    expect(k('hidden_activation')).toBe(a === 'bitnet' ? 'relu2' : undefined);
    expect(g.metadata.get('tokenizer.ggml.model')).toBe(vocab.metadata.get('tokenizer.ggml.model'));
    const nVocab = (vocab.metadata.get('tokenizer.ggml.tokens') as string[]).length;
    expect(g.tensors.map((t) => t.name)).toEqual(expectedTensors(a, 2, p.tiedOutput, p.qkvBias, !!p.llama3Rope));
    const E = s.nEmbd, q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim, F = s.nFf;
    const shape: Record<string, number[]> = {
      token_embd: [E, nVocab], output: [E, nVocab], output_norm: [E], rope_freqs: [s.headDim / 2], attn_norm: [E], ffn_norm: [E],
      attn_q: [E, q], attn_k: [E, kv], attn_v: [E, kv], attn_output: [q, E], ffn_gate: [E, F], ffn_up: [E, F], ffn_down: [F, E],
      attn_sub_norm: [E], ffn_sub_norm: [F], 'attn_q.bias': [q], 'attn_k.bias': [kv], 'attn_v.bias': [kv],
    };
    for (const t of g.tensors) {
      const base = t.name.replace(/^blk\.\d+\./, '').replace(/\.weight$/, '');
      expect(t.dims, t.name).toEqual(shape[base]);
      const isMatrix = /attn_(q|k|v|output)\.weight|ffn_(gate|up|down)\.weight/.test(t.name);
      if (t.dims.length === 1) expect(t.type, t.name).toBe(GGMLType.F32);
      else if (isMatrix) {
        const planned = plan.tensors.find((x) => x.name === t.name)!;
        // the asked-for type, or llama.cpp's fallback when the row length does not fit its block
        expect(ggmlTypeName(planned.requestedType ?? t.type)).toBe(type);
        if (planned.requestedType === undefined) expect(t.dims[0] % (type === 'I2_S' ? 128 : 1)).toBe(0);
      }
      expect(t.offset % 32).toBe(0);
    }
  });
});

describe('make-model writes files', () => {
  it.each([
    ['llama-3.2-1b', 'Q4_0'], ['llama-3.2-1b', 'Q4_K'], ['llama-7b', 'Q2_K'], ['qwen2.5-0.5b', 'Q8_0'], ['qwen2.5-0.5b', 'Q4_K'],
    ['bitnet-b1.58-2b', 'TQ2_0'], ['bitnet-b1.58-2b', 'TQ1_0'], ['bitnet-b1.58-2b', 'I2_S'], ['llama-7b', 'F16'],
  ])('%s %s: every tensor reads back and dequantizes to the seeded weights', async (preset, type) => {
    const out = path.join(await tmp, `${preset}-${type}.gguf`);
    const argv = [preset, '--type', type, '--layers', '2', '--embd', String(NARROW[preset].embd), '--ff', String(NARROW[preset].ff), '-o', out, '-q'];
    const res = await makeModel(parseArgs(argv));
    expect((await stat(out)).size).toBe(res.bytes);
    const bytes = new Uint8Array(await readFile(out));
    const g = parseGGUF(bytes);
    expect(createTokenizer(g).encode('Once upon a time').length).toBeGreaterThan(2);
    // the same plan regenerates the same float weights; compare with what the file holds
    const again = planModel({ preset, type, layers: 2, ...NARROW[preset], vocab: vocabs.get(PRESETS[preset].vocab)! });
    for (const t of g.tensors) {
      const y = dequantize(t.type, bytes.subarray(t.offset, t.offset + t.byteSize), t.nElements);
      let s = 0, m = 0;
      for (const v of y) { s += v * v; m = Math.max(m, Math.abs(v)); }
      const rms = Math.sqrt(s / y.length);
      expect(Number.isFinite(rms), t.name).toBe(true);
      if (/norm/.test(t.name)) expect(Math.abs(rms - 1)).toBeLessThan(0.1);
      else if (t.name === 'rope_freqs.weight') expect(Array.from(y)).toEqual(Array.from(llama3RopeFactors(64, 500000, PRESETS[preset].llama3Rope!)));
      else expect(rms, t.name).toBeGreaterThan(0.012), expect(rms, t.name).toBeLessThan(0.03);
      expect(again.tensors.find((x) => x.name === t.name)!.type).toBe(t.type);
    }
  });

  it('ternary types hold the generated ternary weights exactly', async () => {
    const files = ['TQ2_0', 'TQ1_0', 'I2_S'].map(async (type) => {
      const bytes = new Uint8Array(await readFile(path.join(await tmp, `bitnet-b1.58-2b-${type}.gguf`)));
      const g = parseGGUF(bytes);
      const t = g.tensors.find((x) => x.name === 'blk.1.ffn_down.weight')!;
      return Array.from(dequantize(t.type, bytes.subarray(t.offset, t.offset + t.byteSize), t.nElements));
    });
    const [a, b, c] = await Promise.all(files);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(new Set(a.map(Math.abs)).size).toBe(2);
  });

  it('rejects unknown models and types', () => {
    expect(() => parseArgs(['llama-3.2-1b'])).toThrow(/output/);
    expect(() => planModel({ preset: 'nope', type: 'Q4_0', vocab: vocabs.get('ggml-vocab-gpt-2.gguf')! })).toThrow(/unknown model/);
    expect(() => planModel({ preset: 'llama-7b', type: 'IQ2_XXS', vocab: vocabs.get('ggml-vocab-gpt-2.gguf')! })).toThrow(/unsupported/);
  });
});
