import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { testdata } from '../paths.ts';
import {
  byteSourceFromBlob,
  byteSourceFromBuffer,
  parseGGUF,
  readGGUF,
  type ByteSource,
} from '../../src/gguf/reader.ts';
import { byteSourceFromFile, readGGUFFile } from '../../src/gguf/node-source.ts';
import { GGMLType, ggmlTypeName } from '../../src/gguf/ggml-types.ts';
import { architecture, requireNumber, requireString, getNumber, requireStringArray } from '../../src/gguf/metadata.ts';
import type { GGUFFile } from '../../src/gguf/types.ts';

function findGGUF(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findGGUF(p));
    else if (e.name.endsWith('.gguf')) out.push(p);
  }
  return out.sort();
}

const allFiles = findGGUF(testdata);
const load = (rel: string): GGUFFile => parseGGUF(new Uint8Array(fs.readFileSync(path.join(testdata, rel))));

function typeCounts(f: GGUFFile): Record<string, number> {
  const c: Record<string, number> = {};
  for (const t of f.tensors) c[ggmlTypeName(t.type)] = (c[ggmlTypeName(t.type)] ?? 0) + 1;
  return c;
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

describe('parseGGUF on every test file', () => {
  it('finds the test files', () => {
    expect(allFiles.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of allFiles) {
    const rel = path.relative(testdata, file);
    it(`parses ${rel}`, async () => {
      const bytes = new Uint8Array(fs.readFileSync(file));
      const g = parseGGUF(bytes);
      expect(g.version).toBe(3);
      expect(g.fileSize).toBe(bytes.length);
      expect(g.alignment).toBe(32);
      expect(g.dataOffset % g.alignment).toBe(0);
      expect(typeof architecture(g)).toBe('string');
      if (rel.startsWith('vocab')) {
        expect(g.tensors.length).toBe(0);
        // Vocab-only files: the header ends exactly at EOF.
        expect(g.dataOffset).toBe(alignUp(bytes.length, g.alignment));
        expect(requireStringArray(g, 'tokenizer.ggml.tokens').length).toBeGreaterThan(1000);
      } else {
        expect(g.tensors.length).toBeGreaterThan(0);
        // Tensor data ends at EOF, allowing only alignment padding after the last tensor.
        const end = Math.max(...g.tensors.map((t) => t.offset + t.byteSize));
        expect(alignUp(end, g.alignment)).toBe(bytes.length);
        for (const t of g.tensors) {
          expect(t.offset).toBe(g.dataOffset + t.relativeOffset);
          expect(t.nElements).toBe(t.dims.reduce((a, b) => a * b, 1));
        }
      }
      // Same result through the async prefix reader, starting tiny so it must grow.
      const viaBuffer = await readGGUF(byteSourceFromBuffer(bytes), { initialBytes: 100 });
      expect(viaBuffer).toEqual(g);
      const viaFile = await readGGUFFile(file);
      expect(viaFile).toEqual(g);
    });
  }
});

describe('known facts (SOURCES.md)', () => {
  it('stories260K.gguf', () => {
    const g = load('models/stories260K.gguf');
    expect(architecture(g)).toBe('llama');
    expect(g.tensors.length).toBe(48);
    expect(g.tensors.every((t) => t.type === GGMLType.F32)).toBe(true);
    expect(g.metadata.has('general.file_type')).toBe(false);
    expect(requireNumber(g, 'llama.embedding_length')).toBe(64);
    expect(requireNumber(g, 'llama.block_count')).toBe(5);
    expect(requireNumber(g, 'llama.feed_forward_length')).toBe(172);
    expect(requireNumber(g, 'llama.attention.head_count')).toBe(8);
    expect(requireNumber(g, 'llama.attention.head_count_kv')).toBe(4);
    expect(requireNumber(g, 'llama.context_length')).toBe(2048);
    expect(requireNumber(g, 'llama.attention.layer_norm_rms_epsilon')).toBeCloseTo(1e-5, 10);
    expect(requireString(g, 'tokenizer.ggml.model')).toBe('llama');
    const tokens = requireStringArray(g, 'tokenizer.ggml.tokens');
    expect(tokens.length).toBe(512);
    expect(tokens.filter((t) => /^<0x[0-9A-F]{2}>$/.test(t)).length).toBe(256);
    expect(g.metadata.get('tokenizer.ggml.scores')).toBeInstanceOf(Float32Array);
    expect((g.metadata.get('tokenizer.ggml.scores') as Float32Array).length).toBe(512);
    expect(g.metadata.get('tokenizer.ggml.token_type')).toBeInstanceOf(Int32Array);
    expect(requireNumber(g, 'tokenizer.ggml.bos_token_id')).toBe(1);
    expect(requireNumber(g, 'tokenizer.ggml.eos_token_id')).toBe(2);
    expect(requireNumber(g, 'tokenizer.ggml.unknown_token_id')).toBe(0);
    const byName = new Map(g.tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')!.dims).toEqual([64, 512]);
    expect(byName.has('output.weight')).toBe(true);
    expect(byName.get('blk.0.ffn_down.weight')!.dims).toEqual([172, 64]);
    // F32 data ends exactly at the file end.
    const end = Math.max(...g.tensors.map((t) => t.offset + t.byteSize));
    expect(end).toBe(1_185_376);
  });

  it('TinyStories-656K f16 and q8_0', () => {
    const f16 = load('models/TinyStories-656K.f16.gguf');
    expect(getNumber(f16, 'general.file_type')).toBe(1);
    expect(typeCounts(f16)).toEqual({ F16: 15, F32: 5 });
    expect(f16.tensors.some((t) => t.name === 'output.weight')).toBe(false);
    expect(requireNumber(f16, 'llama.embedding_length')).toBe(128);
    expect(requireStringArray(f16, 'tokenizer.ggml.tokens').length).toBe(2048);

    const q8 = load('models/tinystories-656k-q8_0.gguf');
    expect(getNumber(q8, 'general.file_type')).toBe(7);
    expect(typeCounts(q8)).toEqual({ Q8_0: 15, F32: 5 });
    expect(requireStringArray(q8, 'tokenizer.ggml.tokens')).toEqual(requireStringArray(f16, 'tokenizer.ggml.tokens'));
    for (const t of q8.tensors) {
      if (t.type === GGMLType.Q8_0) expect(t.byteSize).toBe((t.nElements / 32) * 34);
    }
  });

  it('derived quantizations have the documented tensor types', () => {
    const expected: Record<string, Record<string, number>> = {
      'TinyStories-656K.Q4_0.gguf': { Q4_0: 14, Q8_0: 1, F32: 5 },
      'TinyStories-656K.Q4_1.gguf': { Q4_1: 14, Q8_0: 1, F32: 5 },
      'TinyStories-656K.Q5_0.gguf': { Q5_0: 14, Q8_0: 1, F32: 5 },
      'TinyStories-656K.Q5_1.gguf': { Q5_1: 14, Q8_0: 1, F32: 5 },
      'TinyStories-656K.IQ4_NL.gguf': { IQ4_NL: 14, Q8_0: 1, F32: 5 },
      'TinyStories-656K.Q4_K_M.gguf': { Q5_0: 12, Q8_0: 3, F32: 5 },
      'stories260K.F16.gguf': { F16: 37, F32: 11 },
      'stories260K.Q8_0.gguf': { Q8_0: 32, F16: 5, F32: 11 },
      'stories260K.Q4_0.gguf': { Q4_0: 31, Q8_0: 1, F16: 5, F32: 11 },
    };
    for (const [name, counts] of Object.entries(expected)) {
      const g = load(`models/derived/${name}`);
      expect(typeCounts(g), name).toEqual(counts);
    }
    const q4 = load('models/derived/TinyStories-656K.Q4_0.gguf');
    expect(ggmlTypeName(q4.tensors.find((t) => t.name === 'token_embd.weight')!.type)).toBe('Q8_0');
  });

  it('vocab files', () => {
    const expected: Record<string, [string | null, number]> = {
      'ggml-vocab-baichuan.gguf': ['baichuan', 64000],
      'ggml-vocab-bert-bge.gguf': ['bert', 30522],
      'ggml-vocab-deepseek-llm.gguf': [null, 102400],
      'ggml-vocab-falcon.gguf': [null, 65024],
      'ggml-vocab-gpt-2.gguf': [null, 50257],
      'ggml-vocab-gpt-neox.gguf': [null, 50432],
      'ggml-vocab-llama-spm.gguf': [null, 32000],
      'ggml-vocab-phi-3.gguf': [null, 32064],
    };
    for (const [name, [arch, n]] of Object.entries(expected)) {
      const g = load(`vocab/${name}`);
      expect(g.tensors.length, name).toBe(0);
      if (arch) expect(architecture(g), name).toBe(arch);
      expect(requireStringArray(g, 'tokenizer.ggml.tokens').length, name).toBe(n);
    }
  });

  it('parses the largest vocab quickly', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(testdata, 'vocab/ggml-vocab-deepseek-llm.gguf')));
    parseGGUF(bytes); // warm up
    const t0 = performance.now();
    const g = parseGGUF(bytes);
    const ms = performance.now() - t0;
    expect(requireStringArray(g, 'tokenizer.ggml.merges').length).toBeGreaterThan(90_000);
    expect(ms).toBeLessThan(500);
  });
});

describe('byte sources', () => {
  const file = path.join(testdata, 'models/stories260K.gguf');

  it('reads only a prefix of a large file', async () => {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const reads: [number, number][] = [];
    const inner = byteSourceFromBuffer(bytes);
    const src: ByteSource = { size: inner.size, read: (o, l) => { reads.push([o, l]); return inner.read(o, l); } };
    const g = await readGGUF(src, { initialBytes: 1024 });
    expect(g.tensors.length).toBe(48);
    const total = reads.reduce((s, [, l]) => s + l, 0);
    expect(total).toBeLessThan(64 * 1024); // header is ~14 KB; the 1.1 MB of data is never read
    // Reads are contiguous and geometric.
    let at = 0;
    for (const [o, l] of reads) { expect(o).toBe(at); at += l; }
    expect(reads.length).toBeLessThanOrEqual(6);
  });

  it('byteSourceFromBlob', async () => {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const g = await readGGUF(byteSourceFromBlob(new Blob([bytes])));
    expect(g).toEqual(parseGGUF(bytes));
  });

  it('byteSourceFromFile reads ranges and rejects out-of-range reads', async () => {
    const src = await byteSourceFromFile(file);
    try {
      expect(src.size).toBe(1_185_376);
      const head = await src.read(0, 4);
      expect(new TextDecoder().decode(head)).toBe('GGUF');
      await expect(src.read(src.size - 2, 4)).rejects.toThrow(/outside the file/);
    } finally {
      await src.close();
    }
  });

  it('a source that returns short reads gives a GGUFFormatError', async () => {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const src: ByteSource = { size: bytes.length, read: async (o, l) => bytes.subarray(o, o + l - 1) };
    await expect(readGGUF(src)).rejects.toThrow(/short read/);
  });
});
