import { describe, expect, it } from 'vitest';
import { parseGGUF } from '../../src/gguf/reader.ts';
import {
  architecture, getArray, getBool, getInteger, getNumber, getString, getStringArray, hasKey,
  requireArray, requireBool, requireInteger, requireNumber, requireString, requireStringArray,
} from '../../src/gguf/metadata.ts';
import { GGUFValueType as T } from '../../src/gguf/types.ts';
import { GGUFFormatError } from '../../src/errors.ts';
import { buildGGUF } from './writer.ts';

const file = parseGGUF(buildGGUF({
  kv: [
    { key: 'general.architecture', type: T.STRING, value: 'llama' },
    { key: 'n', type: T.UINT32, value: 64 },
    { key: 'eps', type: T.FLOAT32, value: 0.5 },
    { key: 'big', type: T.UINT64, value: 1n << 40n },
    { key: 'huge', type: T.UINT64, value: 1n << 60n },
    { key: 'neg', type: T.INT64, value: -3n },
    { key: 'flag', type: T.BOOL, value: true },
    { key: 'toks', type: T.ARRAY, value: { elemType: T.STRING, items: ['a', 'b'] } },
    { key: 'scores', type: T.ARRAY, value: { elemType: T.FLOAT32, items: [1, 2] } },
    { key: 'empty', type: T.ARRAY, value: { elemType: T.STRING, items: [] } },
  ],
}).bytes);

describe('metadata getters', () => {
  it('present values', () => {
    expect(architecture(file)).toBe('llama');
    expect(getString(file, 'general.architecture')).toBe('llama');
    expect(requireNumber(file, 'n')).toBe(64);
    expect(getNumber(file, 'eps')).toBe(0.5);
    expect(requireNumber(file, 'big')).toBe(2 ** 40);
    expect(requireInteger(file, 'neg')).toBe(-3);
    expect(getBool(file, 'flag')).toBe(true);
    expect(requireBool(file, 'flag')).toBe(true);
    expect(requireStringArray(file, 'toks')).toEqual(['a', 'b']);
    expect(getStringArray(file, 'empty')).toEqual([]);
    expect(requireArray(file, 'scores')).toEqual(new Float32Array([1, 2]));
    expect(getArray(file, 'toks')).toEqual(['a', 'b']);
    expect(hasKey(file, 'n')).toBe(true);
  });

  it('missing keys', () => {
    expect(getString(file, 'nope')).toBeUndefined();
    expect(getNumber(file, 'nope')).toBeUndefined();
    expect(getBool(file, 'nope')).toBeUndefined();
    expect(getArray(file, 'nope')).toBeUndefined();
    for (const f of [requireString, requireNumber, requireInteger, requireBool, requireArray, requireStringArray]) {
      expect(() => f(file, 'llama.block_count')).toThrow(GGUFFormatError);
      expect(() => f(file, 'llama.block_count')).toThrow("missing metadata key 'llama.block_count'");
    }
  });

  it('wrong types', () => {
    expect(() => getString(file, 'n')).toThrow("metadata key 'n' is number, expected a string");
    expect(() => getNumber(file, 'toks')).toThrow("metadata key 'toks' is array of string, expected a number");
    expect(() => getBool(file, 'n')).toThrow(GGUFFormatError);
    expect(() => getArray(file, 'n')).toThrow(/expected an array/);
    expect(() => getStringArray(file, 'scores')).toThrow("metadata key 'scores' is Float32Array, expected an array of strings");
    expect(() => getInteger(file, 'eps')).toThrow("metadata key 'eps' is 0.5, expected an integer");
    expect(() => getNumber(file, 'huge')).toThrow(/does not fit a safe integer/);
  });
});
