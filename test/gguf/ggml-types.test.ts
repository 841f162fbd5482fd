import { describe, expect, it } from 'vitest';
import { GGMLType, ggmlTypeInfo, ggmlTypeName, ggmlTypes, tensorByteSize } from '../../src/gguf/ggml-types.ts';
import { GGUFFormatError, UnsupportedModelError } from '../../src/errors.ts';

// [id, name, elements per block, bytes per block], from the static_asserts in ggml's ggml-common.h.
const EXPECTED: [number, string, number, number][] = [
  [0, 'F32', 1, 4], [1, 'F16', 1, 2], [2, 'Q4_0', 32, 18], [3, 'Q4_1', 32, 20],
  [6, 'Q5_0', 32, 22], [7, 'Q5_1', 32, 24], [8, 'Q8_0', 32, 34], [9, 'Q8_1', 32, 36],
  [10, 'Q2_K', 256, 84], [11, 'Q3_K', 256, 110], [12, 'Q4_K', 256, 144], [13, 'Q5_K', 256, 176],
  [14, 'Q6_K', 256, 210], [15, 'Q8_K', 256, 292], [16, 'IQ2_XXS', 256, 66], [17, 'IQ2_XS', 256, 74],
  [18, 'IQ3_XXS', 256, 98], [19, 'IQ1_S', 256, 50], [20, 'IQ4_NL', 32, 18], [21, 'IQ3_S', 256, 110],
  [22, 'IQ2_S', 256, 82], [23, 'IQ4_XS', 256, 136], [24, 'I8', 1, 1], [25, 'I16', 1, 2],
  [26, 'I32', 1, 4], [27, 'I64', 1, 8], [28, 'F64', 1, 8], [29, 'IQ1_M', 256, 56], [30, 'BF16', 1, 2],
  [34, 'TQ1_0', 256, 54], [35, 'TQ2_0', 256, 66], [36, 'I2_S', 4, 1], [39, 'MXFP4', 32, 17],
];

describe('ggml type table', () => {
  it('matches ggml-common.h block sizes', () => {
    expect(ggmlTypes.map((t) => [t.id, t.name, t.blockSize, t.typeSize])).toEqual(EXPECTED);
    for (const [id, name] of EXPECTED) {
      expect(GGMLType[name as keyof typeof GGMLType]).toBe(id);
      expect(ggmlTypeName(id)).toBe(name);
    }
  });

  it('unknown ids', () => {
    for (const id of [-1, 4, 5, 31, 32, 33, 37, 38, 40, 1000, 1.5, NaN]) {
      expect(ggmlTypeInfo(id)).toBeUndefined();
    }
    expect(ggmlTypeName(31)).toBe('type#31');
  });

  it('tensorByteSize', () => {
    expect(tensorByteSize(GGMLType.F32, 10)).toBe(40);
    expect(tensorByteSize(GGMLType.Q4_0, 64)).toBe(36);
    expect(tensorByteSize(GGMLType.Q6_K, 512)).toBe(420);
    expect(tensorByteSize(GGMLType.TQ1_0, 256)).toBe(54);
    // BitNet I2_S: 2 bits per weight plus a 32-byte scale block per tensor.
    expect(tensorByteSize(GGMLType.I2_S, 2560 * 6912)).toBe((2560 * 6912) / 4 + 32);
    expect(tensorByteSize(GGMLType.I2_S, 0)).toBe(0);
    expect(tensorByteSize(GGMLType.Q8_0, 0)).toBe(0);
  });

  it('tensorByteSize errors', () => {
    expect(() => tensorByteSize(GGMLType.Q4_0, 33)).toThrow(GGUFFormatError);
    expect(() => tensorByteSize(GGMLType.Q4_0, 33)).toThrow(/33 elements is not a multiple of the Q4_0 block size 32/);
    expect(() => tensorByteSize(GGMLType.F32, -1)).toThrow(GGUFFormatError);
    expect(() => tensorByteSize(GGMLType.F32, 2 ** 53)).toThrow(GGUFFormatError);
    expect(() => tensorByteSize(GGMLType.F64, 2 ** 52)).toThrow(/exceed 2\^53 bytes/);
    expect(() => tensorByteSize(31, 32)).toThrow(UnsupportedModelError);
  });
});
