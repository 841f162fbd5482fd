import { describe, expect, it } from 'vitest';
import { parseGGUF, readGGUF, byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { GGMLType, tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { GGUFValueType as T } from '../../src/gguf/types.ts';
import { buildGGUF, everyTypeKV } from './writer.ts';

describe('round trip through the test writer', () => {
  it('decodes every value type', () => {
    const { bytes } = buildGGUF({ kv: everyTypeKV() });
    const g = parseGGUF(bytes);
    const m = g.metadata;
    expect(g.version).toBe(3);
    expect(g.tensors).toEqual([]);
    expect(m.size).toBe(everyTypeKV().length);
    expect(m.get('u8')).toBe(255);
    expect(m.get('i8')).toBe(-128);
    expect(m.get('u16')).toBe(65535);
    expect(m.get('i16')).toBe(-32768);
    expect(m.get('u32')).toBe(0xffffffff);
    expect(m.get('i32')).toBe(-0x80000000);
    expect(m.get('f32')).toBe(1.5);
    expect(m.get('f32.nan')).toBeNaN();
    expect(Object.is(m.get('f32.neg0'), -0)).toBe(true);
    expect(m.get('f32.inf')).toBe(-Infinity);
    expect(m.get('bool.t')).toBe(true);
    expect(m.get('bool.f')).toBe(false);
    expect(m.get('str')).toBe('héllo ▁wörld 🦦');
    expect(m.get('str.empty')).toBe('');
    expect(m.get('str.bom')).toBe('\uFEFF');
    expect(m.get('str.nul')).toBe('a\u0000b');
    expect(m.get('str.long')).toBe('x'.repeat(1000) + 'é');
    expect(m.get('u64')).toBe(0xffff_ffff_ffff_ffffn);
    expect(m.get('i64')).toBe(-0x8000_0000_0000_0000n);
    expect(m.get('f64')).toBe(Math.PI);
    expect(m.get('arr.u8')).toEqual(new Uint8Array([0, 1, 255]));
    expect(m.get('arr.i8')).toEqual(new Int8Array([-1, 127]));
    expect(m.get('arr.u16')).toEqual(new Uint16Array([1, 65535]));
    expect(m.get('arr.i16')).toEqual(new Int16Array([-2, 3]));
    expect(m.get('arr.u32')).toEqual(new Uint32Array([7, 0xffffffff, 9]));
    expect(m.get('arr.i32')).toEqual(new Int32Array([-5, 6]));
    expect(m.get('arr.f32')).toEqual(new Float32Array([0.25, -1e30, 3]));
    expect(m.get('arr.bool')).toEqual([true, false, true]);
    expect(m.get('arr.str')).toEqual(['a', '', '<0x0A>', '日本語', '\uFEFFx']);
    expect(m.get('arr.u64')).toEqual(new BigUint64Array([1n, 0xffff_ffff_ffff_ffffn]));
    expect(m.get('arr.i64')).toEqual(new BigInt64Array([-1n, 2n]));
    expect(m.get('arr.f64')).toEqual(new Float64Array([1e300, -0.5]));
    expect(m.get('arr.empty.str')).toEqual([]);
    expect(m.get('arr.empty.f32')).toEqual(new Float32Array(0));
    expect(m.get('arr.nested')).toEqual([
      new Int32Array([1, 2]),
      ['x', 'y'],
      [[false], new Uint8Array(0)],
      new Float64Array(0),
    ]);
  });

  it('numeric arrays are aligned copies, not views of the input', () => {
    // Put the f32 array at an odd offset in the file.
    const { bytes } = buildGGUF({
      kv: [
        { key: 'pad', type: T.UINT8, value: 1 },
        { key: 'arr', type: T.ARRAY, value: { elemType: T.FLOAT32, items: [1, 2, 3] } },
      ],
    });
    const g = parseGGUF(bytes);
    const a = g.metadata.get('arr') as Float32Array;
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.buffer).not.toBe(bytes.buffer);
    bytes.fill(0);
    expect(Array.from(a)).toEqual([1, 2, 3]);
  });

  it('invalid UTF-8 decodes to U+FFFD without throwing', () => {
    const { bytes } = buildGGUF({
      kv: [
        { key: 'bad', type: T.STRING, value: new Uint8Array([0x61, 0xff, 0xc3]) },
        { key: 'arr', type: T.ARRAY, value: { elemType: T.STRING, items: [new Uint8Array([0x80]), 'ok'] } },
        { key: new Uint8Array([0xfe, 0x6b]), type: T.UINT8, value: 1 },
      ],
    });
    const g = parseGGUF(bytes);
    expect(g.metadata.get('bad')).toBe('a\uFFFD\uFFFD');
    expect(g.metadata.get('arr')).toEqual(['\uFFFD', 'ok']);
    expect(g.metadata.get('\uFFFDk')).toBe(1);
  });

  it('parses from a SharedArrayBuffer', () => {
    const { bytes } = buildGGUF({ kv: everyTypeKV() });
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length + 3), 3);
    shared.set(bytes);
    expect(parseGGUF(shared)).toEqual(parseGGUF(bytes));
  });

  it('tensor infos, custom alignment, version 2', async () => {
    const tensors = [
      { name: 'a', type: GGMLType.F32, dims: [3] },
      { name: 'b', type: GGMLType.Q4_0, dims: [64, 2] },
      { name: 'c', type: GGMLType.Q4_K, dims: [256, 1, 2, 1] },
      { name: 'd', type: GGMLType.F16, dims: [] },
      { name: 'e', type: GGMLType.I2_S, dims: [128, 2] },
      { name: 'f', type: GGMLType.TQ2_0, dims: [256] },
    ];
    const { bytes, dataOffset, offsets, headerEnd } = buildGGUF({
      version: 2,
      kv: [{ key: 'general.alignment', type: T.UINT32, value: 64 }],
      tensors,
    });
    const g = parseGGUF(bytes);
    expect(g.version).toBe(2);
    expect(g.alignment).toBe(64);
    expect(g.dataOffset).toBe(dataOffset);
    expect(dataOffset % 64).toBe(0);
    expect(dataOffset - headerEnd).toBeLessThan(64);
    expect(g.tensors.map((t) => t.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(g.tensors.map((t) => t.byteSize)).toEqual([12, 4 * 18, 2 * 144, 2, 256 / 4 + 32, 66]);
    expect(g.tensors.map((t) => t.nElements)).toEqual([3, 128, 512, 1, 256, 256]);
    expect(g.tensors.map((t) => t.relativeOffset)).toEqual(offsets);
    expect(g.tensors.map((t) => t.offset)).toEqual(offsets.map((o) => o + dataOffset));
    expect(g.tensors[2].dims).toEqual([256, 1, 2, 1]);
    expect(g.tensors[3].dims).toEqual([]);
    for (const t of g.tensors) expect(t.byteSize).toBe(tensorByteSize(t.type, t.nElements));
    expect(await readGGUF(byteSourceFromBuffer(bytes), { initialBytes: 1 })).toEqual(g);
  });

  it('a prefix with fileSize asks for more data, then succeeds', () => {
    const { bytes, headerEnd } = buildGGUF({
      kv: everyTypeKV(),
      tensors: [{ name: 'w', type: GGMLType.Q8_0, dims: [32, 4] }],
    });
    let len = 10;
    let rounds = 0;
    for (;;) {
      try {
        const g = parseGGUF(bytes.subarray(0, len), bytes.length);
        expect(g.tensors[0].byteSize).toBe(4 * 34);
        break;
      } catch (e: any) {
        expect(e.name).toBe('GGUFNeedMoreDataError');
        expect(e.needed).toBeGreaterThan(len);
        expect(e.needed).toBeLessThanOrEqual(headerEnd);
        len = e.needed;
        rounds++;
      }
    }
    expect(len).toBe(headerEnd);
    expect(rounds).toBeGreaterThan(10);
  });
});
