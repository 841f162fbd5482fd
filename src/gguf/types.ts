/** GGUF metadata value types (gguf.h's enum gguf_type). */
export enum GGUFValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/**
 * A metadata value. Scalars become JS numbers (64-bit integers become bigint),
 * numeric arrays become typed arrays (no per-element objects for 150k-entry
 * vocab tables), string arrays become string[], nested arrays become arrays of
 * these values.
 */
export type GGUFScalar = number | bigint | boolean | string;
export type GGUFArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigUint64Array | BigInt64Array
  | boolean[] | string[] | GGUFArray[];
export type GGUFValue = GGUFScalar | GGUFArray;

export interface GGUFTensorInfo {
  name: string;
  /** ggml type id (see src/gguf/ggml-types.ts). */
  type: number;
  /** Dimensions, innermost first, as ggml's ne[]: ne[0] is the contiguous row length. */
  dims: number[];
  nElements: number;
  /** Bytes of data, from the type's block size. */
  byteSize: number;
  /** Offset relative to the start of the data section (as stored in the file). */
  relativeOffset: number;
  /** Absolute byte offset in the file. */
  offset: number;
}

export interface GGUFFile {
  version: 2 | 3;
  metadata: Map<string, GGUFValue>;
  tensors: GGUFTensorInfo[];
  alignment: number;
  /** Absolute offset where tensor data starts (header end rounded up to alignment). */
  dataOffset: number;
  /** Total file size in bytes, when known. */
  fileSize: number;
}
