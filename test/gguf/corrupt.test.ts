import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { testdata } from '../paths.ts';
import { GGUFNeedMoreDataError, parseGGUF, readGGUF, byteSourceFromBuffer } from '../../src/gguf/reader.ts';
import { GGMLType } from '../../src/gguf/ggml-types.ts';
import { GGUFValueType as T } from '../../src/gguf/types.ts';
import { GGUFFormatError, LutraError, UnsupportedModelError } from '../../src/errors.ts';
import { ByteWriter, buildGGUF, everyTypeKV, type WFile, type WKV, type WTensor } from './writer.ts';

/** Assert that parsing throws exactly `cls` with a message matching `msg`. */
function expectError(bytes: Uint8Array, cls: abstract new (...args: never[]) => LutraError, msg: RegExp, fileSize?: number) {
  let err: unknown;
  try {
    parseGGUF(bytes, fileSize);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected parseGGUF to throw').toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(msg);
  return err as LutraError;
}

const build = (spec: WFile) => buildGGUF(spec).bytes;
const tensor = (name: string, type: number = GGMLType.F32, dims: (number | bigint)[] = [8], offset?: number | bigint): WTensor =>
  ({ name, type, dims, offset });
const arch: WKV = { key: 'general.architecture', type: T.STRING, value: 'llama' };

/** A fixed header (magic, version, counts) followed by hand-written bytes. */
function raw(nTensors: number | bigint, nKv: number | bigint, body: (w: ByteWriter) => void, version = 3): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF')).u32(version).u64(nTensors).u64(nKv);
  body(w);
  return w.toBytes();
}

describe('magic and version', () => {
  it('wrong magic', () => {
    expectError(build({ magic: 'GGML', kv: [arch] }), GGUFFormatError, /not a GGUF file.*47 47 4d 4c/);
    expectError(new TextEncoder().encode('{"safetensors": 1}'), GGUFFormatError, /not a GGUF file/);
    expectError(new Uint8Array(0), GGUFFormatError, /not a GGUF file: only 0 bytes/);
  });

  it('version 1 is rejected with a clear message', () => {
    expectError(build({ version: 1, kv: [arch] }), GGUFFormatError, /GGUF version 1 is not supported/);
  });

  it('unknown versions 0 and 4', () => {
    expectError(build({ version: 4, kv: [arch] }), GGUFFormatError, /unsupported GGUF version 4/);
    expectError(build({ version: 0, kv: [arch] }), GGUFFormatError, /unsupported GGUF version 0/);
  });

  it('big-endian files are named as such', () => {
    expectError(build({ version: 0x03000000, kv: [arch] }), GGUFFormatError, /big-endian/);
  });
});

describe('counts and lengths larger than the file', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['n_tensors 2^60', raw(1n << 60n, 0, () => {}), /n_tensors 1152921504606846976 .*not below 2\^53/],
    ['n_kv 2^40', raw(0, 1n << 40n, () => {}), /claims 0 tensors and 1099511627776 metadata entries/],
    ['n_tensors 2^50', raw(1n << 50n, 0, () => {}), /claims 1125899906842624 tensors/],
    ['key length 2^62', raw(0, 1, (w) => w.u64(1n << 62n).zeros(20)), /metadata entry 0: key length .* not below 2\^53/],
    ['key length 2^40', raw(0, 1, (w) => w.u64(1n << 40n).zeros(20)), /key length 1099511627776 at offset 24 exceeds the 20 bytes left/],
    ['string value length 2^52', raw(0, 1, (w) => w.str('k').u32(T.STRING).u64(1n << 52n).zeros(4)), /metadata key 'k': string length 4503599627370496 .* exceeds the 4 bytes left/],
    ['array count 2^60', raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.UINT8).u64(1n << 60n)), /metadata key 'k': array count .* not below 2\^53/],
    ['u8 array count 2^45', raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.UINT8).u64(1n << 45n).zeros(8)), /array of 35184372088832 UINT8 .* only 8 are left/],
    ['f64 array count 10', raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.FLOAT64).u64(10).zeros(79)), /array of 10 FLOAT64 .*needs at least 80 bytes but only 79/],
    ['string array count 2^40', raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.STRING).u64(1n << 40n).zeros(100)), /array of 1099511627776 STRING/],
    ['nested array count 9', raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.ARRAY).u64(9).zeros(100)), /array of 9 ARRAY .* needs at least 108 bytes/],
    ['tensor name length 2^40', raw(1, 0, (w) => w.u64(1n << 40n).zeros(30)), /tensor info 0: name length 1099511627776/],
  ];
  for (const [name, bytes, msg] of cases) {
    it(name, () => {
      const t0 = performance.now();
      expectError(bytes, GGUFFormatError, msg);
      // As a prefix of a huge file, limits are against the file size, and no allocation happens first.
      expect(performance.now() - t0).toBeLessThan(50);
    });
  }

  it('a count that fits a huge file but not the prefix asks for more data instead of allocating', () => {
    const bytes = raw(0, 1, (w) => w.str('k').u32(T.ARRAY).u32(T.FLOAT32).u64(1e9).zeros(16));
    const err = expectError(bytes, GGUFNeedMoreDataError, /needs at least/, 8e9) as GGUFNeedMoreDataError;
    expect(err.needed).toBe(bytes.length - 16 + 4e9);
  });
});

describe('metadata errors', () => {
  it('unknown value type', () => {
    expectError(raw(0, 1, (w) => w.str('my.key').u32(13).u32(0)), GGUFFormatError, /metadata key 'my.key': unknown value type 13 at offset 38/);
    expectError(raw(0, 1, (w) => w.str('k').u32(0xffffffff)), GGUFFormatError, /unknown value type 4294967295/);
  });

  it('unknown array element type', () => {
    expectError(raw(0, 1, (w) => w.str('arr').u32(T.ARRAY).u32(99).u64(0)), GGUFFormatError, /metadata key 'arr': unknown array element type 99/);
    // inside a nested array
    expectError(
      raw(0, 1, (w) => w.str('arr').u32(T.ARRAY).u32(T.ARRAY).u64(1).u32(13).u64(0)),
      GGUFFormatError, /metadata key 'arr': unknown array element type 13/,
    );
  });

  it('duplicate keys', () => {
    expectError(
      build({ kv: [arch, { key: 'x', type: T.UINT8, value: 1 }, { key: 'x', type: T.UINT8, value: 2 }] }),
      GGUFFormatError, /duplicate metadata key 'x' \(entry 2 at offset/,
    );
  });

  it('bool that is not 0 or 1', () => {
    expectError(build({ kv: [{ key: 'b', type: T.BOOL, value: 2 }] }), GGUFFormatError, /metadata key 'b': bool value 2/);
    expectError(build({ kv: [{ key: 'b', type: T.ARRAY, value: { elemType: T.BOOL, items: [1, 7] } }] }), GGUFFormatError, /bool value 7/);
  });

  it('nesting depth is bounded (no stack overflow)', () => {
    const depth = 200_000;
    const bytes = raw(0, 1, (w) => {
      w.str('deep').u32(T.ARRAY);
      for (let i = 0; i < depth; i++) w.u32(T.ARRAY).u64(1);
      w.u32(T.UINT8).u64(0);
    });
    expectError(bytes, GGUFFormatError, /metadata key 'deep': arrays nested deeper than 16 levels/);
  });

  it('general.alignment must be a nonzero power of two stored as UINT32', () => {
    for (const a of [0, 3, 48, 0x80000001]) {
      expectError(
        build({ kv: [{ key: 'general.alignment', type: T.UINT32, value: a }], alignment: 32 }),
        GGUFFormatError, new RegExp(`'general.alignment' is ${a}, expected a nonzero power of two`),
      );
    }
    expectError(
      build({ kv: [{ key: 'general.alignment', type: T.UINT64, value: 32n }] }),
      GGUFFormatError, /'general.alignment' has type UINT64, expected UINT32/,
    );
    expectError(
      build({ kv: [{ key: 'general.alignment', type: T.INT32, value: 32 }] }),
      GGUFFormatError, /'general.alignment' has type INT32/,
    );
  });
});

describe('tensor info errors', () => {
  it('unknown tensor type is an UnsupportedModelError naming tensor and type', () => {
    for (const id of [4, 31, 37, 99, 0x7fffffff]) {
      const err = expectError(build({ kv: [arch], tensors: [tensor('blk.0.w', id, [32])], writeData: false }), UnsupportedModelError,
        new RegExp(`unsupported tensor type id ${id} in tensor 'blk.0.w'`));
      expect(err.code).toBe('UNSUPPORTED_MODEL');
    }
  });

  it('too many dimensions', () => {
    expectError(build({ tensors: [tensor('t', GGMLType.F32, [1, 1, 1, 1, 1])] }), GGUFFormatError, /tensor 't' has 5 dimensions \(at most 4/);
  });

  it('dims whose product overflows 2^53', () => {
    expectError(
      build({ tensors: [tensor('big', GGMLType.F32, [1 << 30, 1 << 30, 1 << 30], 0)], writeData: false }),
      GGUFFormatError, /tensor 'big' has dimensions \[1073741824, 1073741824\] whose product overflows 2\^53/,
    );
    expectError(
      build({ tensors: [tensor('huge', GGMLType.F32, [1n << 63n], 0)], writeData: false }),
      GGUFFormatError, /tensor 'huge': dimension 0 9223372036854775808 .* not below 2\^53/,
    );
  });

  it('bytes of a tensor over 2^53', () => {
    expectError(
      build({ tensors: [tensor('wide', GGMLType.F64, [2 ** 52], 0)], writeData: false }),
      GGUFFormatError, /tensor 'wide' is .* bytes, more than 2\^53/,
    );
  });

  it('rows that are not a multiple of the block size', () => {
    expectError(
      build({ tensors: [tensor('q', GGMLType.Q4_0, [48, 2], 0)], writeData: false }),
      GGUFFormatError, /tensor 'q' of type Q4_0 has rows of 48 elements, not a multiple of the block size 32/,
    );
    expectError(
      build({ tensors: [tensor('k', GGMLType.Q4_K, [128], 0)], writeData: false }),
      GGUFFormatError, /tensor 'k' of type Q4_K has rows of 128 elements, not a multiple of the block size 256/,
    );
  });

  it('duplicate tensor names', () => {
    expectError(build({ tensors: [tensor('w'), tensor('w')] }), GGUFFormatError, /duplicate tensor name 'w' \(tensor 1 at offset/);
  });

  it('tensor offset not aligned', () => {
    expectError(build({ tensors: [tensor('a', GGMLType.F32, [8], 0), tensor('b', GGMLType.F32, [8], 40)] }),
      GGUFFormatError, /tensor 'b' data offset 40 is not a multiple of the alignment 32/);
  });

  it('tensor data outside the file', () => {
    const { bytes, dataOffset } = buildGGUF({ tensors: [tensor('a', GGMLType.F32, [8])] });
    expectError(bytes.subarray(0, bytes.length - 1), GGUFFormatError,
      new RegExp(`tensor 'a' \\(F32, 32 bytes\\) data \\[${dataOffset}, ${dataOffset + 32}\\) extends past the end of the file \\(${bytes.length - 1} bytes\\)`));
    expectError(build({ tensors: [tensor('far', GGMLType.F32, [8], 1 << 20)], writeData: false }), GGUFFormatError, /tensor 'far'.*extends past the end/);
    expectError(build({ tensors: [tensor('far', GGMLType.F32, [8], 2 ** 53 - 32)], writeData: false }), GGUFFormatError, /tensor 'far'.*extends past the end/);
    // When fileSize is given, the range is checked against it, not the prefix.
    const g = parseGGUF(bytes.subarray(0, dataOffset), bytes.length);
    expect(g.tensors[0].offset).toBe(dataOffset);
    expectError(bytes, GGUFFormatError, /extends past the end of the file \(90 bytes\)/, 90);
  });

  it('overlapping tensors', () => {
    expectError(
      build({ tensors: [tensor('a', GGMLType.F32, [16], 0), tensor('b', GGMLType.F32, [8], 32)] }),
      GGUFFormatError, /tensors 'a' \[\d+, \d+\) and 'b' \[\d+, \d+\) overlap/,
    );
    expectError(
      build({ tensors: [tensor('b', GGMLType.F32, [8], 64), tensor('a', GGMLType.F32, [8], 64)] }),
      GGUFFormatError, /overlap/,
    );
    // Empty tensors may share an offset with anything.
    const ok = parseGGUF(build({ tensors: [tensor('a', GGMLType.F32, [8], 0), tensor('e', GGMLType.F32, [0], 0)] }));
    expect(ok.tensors[1].byteSize).toBe(0);
  });
});

describe('truncation', () => {
  const small = buildGGUF({
    kv: everyTypeKV(),
    tensors: [tensor('tok', GGMLType.Q8_0, [32, 2]), tensor('norm', GGMLType.F32, [4])],
  });

  it('the full small file parses', () => {
    expect(parseGGUF(small.bytes).tensors.length).toBe(2);
  });

  it('every byte prefix gives a typed error, never a RangeError', () => {
    const b = small.bytes;
    for (let len = 0; len < b.length; len++) {
      let err: unknown;
      try {
        parseGGUF(b.subarray(0, len));
      } catch (e) {
        err = e;
      }
      if (!(err instanceof GGUFFormatError) || err instanceof GGUFNeedMoreDataError) {
        throw new Error(`prefix ${len}: expected GGUFFormatError, got ${String(err)}`);
      }
      if (len >= 4 && len < small.headerEnd) expect(err.message).toMatch(/truncated GGUF header|left in the file|needs at least|claims/);
      if (len >= small.headerEnd) expect(err.message).toMatch(/extends past the end of the file/);
    }
  });

  it('every byte prefix with the real fileSize asks for more data or parses', () => {
    const b = small.bytes;
    for (let len = 0; len < b.length; len++) {
      try {
        parseGGUF(b.subarray(0, len), b.length);
        expect(len).toBeGreaterThanOrEqual(small.headerEnd);
      } catch (e) {
        if (!(e instanceof GGUFNeedMoreDataError)) throw new Error(`prefix ${len}: ${String(e)}`);
        expect(e.needed).toBeGreaterThan(len);
        expect(e.needed).toBeLessThanOrEqual(small.headerEnd);
      }
    }
  });

  it('truncated message names what was being read', () => {
    const { bytes, headerEnd } = buildGGUF({ kv: [arch, { key: 'num', type: T.UINT32, value: 7 }] });
    // Cut in the middle of the u32 value (the last 4 bytes of the header).
    const at = headerEnd - 4;
    expectError(bytes.subarray(0, at + 2), GGUFFormatError,
      new RegExp(`truncated GGUF header: metadata key 'num' needs 4 bytes at offset ${at}, but the file ends at ${at + 2}`));
    // Cut inside the tensor infos.
    const t = buildGGUF({ kv: [arch], tensors: [tensor('w1'), tensor('w2', GGMLType.F32, [4, 4])] });
    expectError(t.bytes.subarray(0, t.headerEnd - 3), GGUFFormatError, /truncated GGUF header: tensor 'w2' needs 8 bytes/);
  });

  it('readGGUF rejects a truncated source with a format error', async () => {
    const b = small.bytes.subarray(0, 200);
    await expect(readGGUF(byteSourceFromBuffer(b))).rejects.toThrow(GGUFFormatError);
  });
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(orig: Uint8Array, limit: number, rand: () => number): Uint8Array {
  const b = orig.slice();
  limit = Math.min(limit, orig.length);
  const flips = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < flips; k++) {
    const i = Math.floor(rand() * limit);
    const r = rand();
    if (r < 0.5) b[i] ^= 1 << Math.floor(rand() * 8);
    else if (r < 0.8) b[i] = Math.floor(rand() * 256);
    else b[i] = rand() < 0.5 ? 0xff : 0;
  }
  return b;
}

function fuzz(orig: Uint8Array, headerEnd: number, iterations: number, seed: number) {
  const rand = rng(seed);
  let ok = 0;
  let failed = 0;
  for (let it = 0; it < iterations; it++) {
    const b = mutate(orig, rand() < 0.9 ? headerEnd : orig.length, rand);
    try {
      parseGGUF(b);
      ok++;
    } catch (e) {
      if (!(e instanceof LutraError)) throw new Error(`iteration ${it}: non-Lutra error ${String(e)}`);
      if (e instanceof GGUFNeedMoreDataError) throw new Error(`iteration ${it}: need-more-data on a whole file`);
      failed++;
    }
  }
  return { ok, failed };
}

describe('random mutations', () => {
  it('stories260K: each parse succeeds or throws a LutraError', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(testdata, 'models/stories260K.gguf')));
    const headerEnd = parseGGUF(bytes).dataOffset;
    const { ok, failed } = fuzz(bytes, headerEnd, 500, 1234);
    expect(ok + failed).toBe(500);
    expect(failed).toBeGreaterThan(0);
  });

  it('hand-built file with every value type', () => {
    const { ok, failed } = fuzz(small(), 10_000, 2000, 99);
    expect(ok + failed).toBe(2000);
    expect(failed).toBeGreaterThan(100);
  });

  function small(): Uint8Array {
    return buildGGUF({
      kv: everyTypeKV(),
      tensors: [tensor('tok', GGMLType.Q8_0, [32, 2]), tensor('norm', GGMLType.F32, [4])],
    }).bytes;
  }
});
