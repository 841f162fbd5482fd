// The product GGUF writer (src/gguf/writer.ts, node-writer.ts): byte-identical headers to the
// test-only builder, every value type through parseGGUF, streaming data, alignment, errors,
// a tokenizer copied from a real vocab file, and a file on disk.
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { GGUFWriter, inferValue, type GGUFWriterTensor, type GGUFWriteArray } from '../../src/gguf/writer.ts';
import { writeGGUFFile } from '../../src/gguf/node-writer.ts';
import { parseGGUF } from '../../src/gguf/reader.ts';
import { readGGUFFile } from '../../src/gguf/node-source.ts';
import { GGUFValueType } from '../../src/gguf/types.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { GGUFFormatError } from '../../src/errors.ts';
import { createTokenizer } from '../../src/tokenizer/index.ts';
import { buildGGUF, everyTypeKV } from './writer.ts';
import { testdata } from '../paths.ts';

const tmp = mkdtemp(path.join(os.tmpdir(), 'lutra-gguf-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

const TENSORS = [
  { name: 'a', type: GGMLType.F32, dims: [3, 2] },
  { name: 'b', type: GGMLType.Q4_0, dims: [64, 3] },
  { name: 'c', type: GGMLType.I2_S, dims: [128, 2] },
  { name: 'd', type: GGMLType.F16, dims: [5] },
];

function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 255;
  return b;
}

function writerWithEveryType(alignment?: number): GGUFWriter {
  const w = new GGUFWriter({ alignment });
  for (const e of everyTypeKV()) w.set(e.key as string, e.type, e.value as unknown as GGUFWriteArray);
  for (const t of TENSORS) w.addTensor(t.name, t.type, t.dims);
  return w;
}

describe('GGUFWriter', () => {
  it('writes the same bytes as the test builder, and every value type parses back', async () => {
    const w = writerWithEveryType();
    const bytes = await w.toBytes((t, i) => fill(t.byteSize, i));
    const ref = buildGGUF({
      kv: everyTypeKV(),
      tensors: TENSORS.map((t, i) => ({ ...t, data: fill(w.tensors[i].byteSize, i) })),
    });
    // the builder stops after the last tensor; the writer pads it to the alignment
    expect(bytes.length % 32).toBe(0);
    expect(Buffer.from(bytes.subarray(0, ref.bytes.length))).toEqual(Buffer.from(ref.bytes));
    expect(bytes.subarray(ref.bytes.length).every((b) => b === 0)).toBe(true);
    const g = parseGGUF(bytes);
    const r = parseGGUF(ref.bytes);
    expect(g.metadata).toEqual(r.metadata);
    expect(g.tensors.map((t) => [t.name, t.type, t.dims, t.offset])).toEqual(r.tensors.map((t) => [t.name, t.type, t.dims, t.offset]));
    expect(Array.from(bytes.subarray(g.tensors[2].offset, g.tensors[2].offset + g.tensors[2].byteSize))).toEqual(Array.from(fill(128 * 2 / 4 + 32, 2)));
  });

  it('honours a non-default alignment and records it as general.alignment (UINT32)', async () => {
    const w = writerWithEveryType(64);
    const g = parseGGUF(await w.toBytes((t) => new Uint8Array(t.byteSize)));
    expect(g.alignment).toBe(64);
    expect(g.dataOffset % 64).toBe(0);
    for (const t of g.tensors) expect(t.relativeOffset % 64).toBe(0);
    expect(() => new GGUFWriter({ alignment: 48 })).toThrow(GGUFFormatError);
  });

  it('streams tensor data in chunks (sync or async iterables) and checks sizes', async () => {
    const w = new GGUFWriter();
    w.string('general.architecture', 'llama');
    w.addTensor('x', GGMLType.F32, [10]);
    w.addTensor('y', GGMLType.Q8_0, [64]);
    const data = fill(40, 1), q = fill(68, 2);
    const a = await w.toBytes((t) => (t.name === 'x' ? data : q));
    const b = await w.toBytes(async function* (t: GGUFWriterTensor) {
      const src = t.name === 'x' ? data : q;
      for (let i = 0; i < src.length; i += 7) yield src.subarray(i, i + 7);
    } as never);
    const c = await w.toBytes((t) => (function* () { const s = t.name === 'x' ? data : q; yield s.subarray(0, 3); yield s.subarray(3); })());
    expect(Buffer.from(b)).toEqual(Buffer.from(a));
    expect(Buffer.from(c)).toEqual(Buffer.from(a));
    await expect(w.toBytes((t) => new Uint8Array(t.byteSize - 1))).rejects.toThrow(/bytes of data given/);
    await expect(w.toBytes((t) => new Uint8Array(t.byteSize + 1))).rejects.toThrow(/more than/);
  });

  it('rejects bad tensors and out-of-range values', () => {
    const w = new GGUFWriter();
    w.addTensor('t', GGMLType.F32, [4]);
    expect(() => w.addTensor('t', GGMLType.F32, [4])).toThrow(/duplicate/);
    expect(() => w.addTensor('q', GGMLType.Q4_0, [33])).toThrow(GGUFFormatError);
    expect(() => w.addTensor('z', GGMLType.F32, [0])).toThrow(GGUFFormatError);
    w.set('u8', GGUFValueType.UINT8, 256);
    expect(() => w.header()).toThrow(/does not fit/);
  });

  it('infers value types of parsed metadata', () => {
    expect(inferValue(3).type).toBe(GGUFValueType.UINT32);
    expect(inferValue(-3).type).toBe(GGUFValueType.INT32);
    expect(inferValue(0.5).type).toBe(GGUFValueType.FLOAT32);
    expect(inferValue(5n).type).toBe(GGUFValueType.UINT64);
    expect(inferValue(new Float32Array(2)).value).toMatchObject({ elemType: GGUFValueType.FLOAT32 });
    expect(inferValue(['a']).value).toMatchObject({ elemType: GGUFValueType.STRING });
  });

  it('copies a real tokenizer section; the copy tokenizes identically', async () => {
    for (const f of ['ggml-vocab-llama-spm.gguf', 'ggml-vocab-gpt-2.gguf']) {
      const src = await readGGUFFile(path.join(testdata, 'vocab', f));
      const w = new GGUFWriter();
      w.string('general.architecture', 'llama');
      w.copyMetadata(src, (k) => k.startsWith('tokenizer.'));
      const g = parseGGUF(await w.toBytes(() => new Uint8Array(0)));
      for (const [k, v] of src.metadata) if (k.startsWith('tokenizer.')) expect(g.metadata.get(k), k).toEqual(v);
      const text = 'Hello world, once upon a time 123 — ünïcödé!';
      expect(createTokenizer(g).encode(text)).toEqual(createTokenizer(src).encode(text));
    }
  });

  it('writes a file with writeGGUFFile that readGGUFFile reads', async () => {
    const file = path.join(await tmp, 'w.gguf');
    const w = writerWithEveryType();
    const n = await writeGGUFFile(file, w, (t, i) => fill(t.byteSize, i));
    expect((await stat(file)).size).toBe(n);
    const g = await readGGUFFile(file);
    expect(g.tensors.map((t) => t.name)).toEqual(TENSORS.map((t) => t.name));
    const bytes = new Uint8Array(await readFile(file));
    expect(Buffer.from(bytes)).toEqual(Buffer.from(await w.toBytes((t, i) => fill(t.byteSize, i))));
  });
});
