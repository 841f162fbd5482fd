/**
 * Typed access to GGUF metadata. `getX` returns undefined when the key is
 * absent; `requireX` throws GGUFFormatError("missing metadata key ...").
 * Both throw GGUFFormatError when the key holds a value of the wrong kind.
 */
import { GGUFFormatError } from '../errors.ts';
import type { GGUFArray, GGUFFile, GGUFValue } from './types.ts';

function kindOf(v: GGUFValue): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return 'empty array';
    return `array of ${Array.isArray(v[0]) || ArrayBuffer.isView(v[0]) ? 'arrays' : typeof v[0]}`;
  }
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}`;
  return typeof v;
}

function wrongType(key: string, v: GGUFValue, expected: string): never {
  throw new GGUFFormatError(`metadata key '${key}' is ${kindOf(v)}, expected ${expected}`);
}

function missing(key: string): never {
  throw new GGUFFormatError(`missing metadata key '${key}'`);
}

export function hasKey(file: GGUFFile, key: string): boolean {
  return file.metadata.has(key);
}

export function getString(file: GGUFFile, key: string): string | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') wrongType(key, v, 'a string');
  return v;
}

export function requireString(file: GGUFFile, key: string): string {
  return getString(file, key) ?? missing(key);
}

/**
 * Any numeric scalar (integer or float types). 64-bit integers (stored as
 * bigint) are converted when they are safe integers, else rejected.
 */
export function getNumber(file: GGUFFile, key: string): number | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new GGUFFormatError(`metadata key '${key}' value ${v} does not fit a safe integer`);
    }
    return Number(v);
  }
  return wrongType(key, v, 'a number');
}

export function requireNumber(file: GGUFFile, key: string): number {
  return getNumber(file, key) ?? missing(key);
}

/** Like getNumber, but the value must be an integer. */
export function getInteger(file: GGUFFile, key: string): number | undefined {
  const v = getNumber(file, key);
  if (v !== undefined && !Number.isInteger(v)) {
    throw new GGUFFormatError(`metadata key '${key}' is ${v}, expected an integer`);
  }
  return v;
}

export function requireInteger(file: GGUFFile, key: string): number {
  return getInteger(file, key) ?? missing(key);
}

export function getBool(file: GGUFFile, key: string): boolean | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') wrongType(key, v, 'a bool');
  return v;
}

export function requireBool(file: GGUFFile, key: string): boolean {
  return getBool(file, key) ?? missing(key);
}

/** Any array value (typed array, string[], boolean[] or nested). */
export function getArray(file: GGUFFile, key: string): GGUFArray | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) wrongType(key, v, 'an array');
  return v as GGUFArray;
}

export function requireArray(file: GGUFFile, key: string): GGUFArray {
  return getArray(file, key) ?? missing(key);
}

/** An array of strings (an empty array counts). */
export function getStringArray(file: GGUFFile, key: string): string[] | undefined {
  const v = getArray(file, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || (v.length > 0 && typeof v[0] !== 'string')) wrongType(key, v, 'an array of strings');
  return v as string[];
}

export function requireStringArray(file: GGUFFile, key: string): string[] {
  return getStringArray(file, key) ?? missing(key);
}

/** `general.architecture` (required). */
export function architecture(file: GGUFFile): string {
  return requireString(file, 'general.architecture');
}
