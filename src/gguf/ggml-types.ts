/**
 * ggml's table of tensor types: id → name, elements per block, bytes per block.
 *
 * Block layouts follow ggml's `ggml-common.h` (QK_K = 256 for the K-quants,
 * IQ*_XXS/XS/S/M, IQ4_XS and the TQ ternary types; 32 for the legacy quants,
 * IQ4_NL and MXFP4). Names are the upper-case enum spellings
 * (GGML_TYPE_Q4_K → "Q4_K"), as llama.cpp's gguf-py prints them.
 *
 * BitNet's I2_S (id 36 in microsoft/BitNet's llama.cpp fork; upstream ggml
 * left 36 unused after removing IQ4_NL_4_4) packs 4 ternary weights per byte
 * and appends one 32-byte block holding the per-tensor scale: the fork's
 * `ggml_nbytes` computes `n / 4 + 32`. It is described here as 4 elements per
 * 1-byte block plus `tensorExtraBytes = 32`.
 */
import { GGUFFormatError, UnsupportedModelError } from '../errors.ts';

export interface GGMLTypeInfo {
  /** ggml type id as stored in GGUF tensor infos. */
  readonly id: number;
  /** Upper-case name, e.g. "Q4_K". */
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Bytes added once per (non-empty) tensor after the blocks: 32 for I2_S, else 0. */
  readonly tensorExtraBytes: number;
  /** True for block-quantized types (blockSize > 1 or I2_S). */
  readonly quantized: boolean;
}

/** ggml type ids, as a plain object (usable with isolatedModules and in JS). */
export const GGMLType = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9,
  Q2_K: 10, Q3_K: 11, Q4_K: 12, Q5_K: 13, Q6_K: 14, Q8_K: 15,
  IQ2_XXS: 16, IQ2_XS: 17, IQ3_XXS: 18, IQ1_S: 19, IQ4_NL: 20, IQ3_S: 21, IQ2_S: 22, IQ4_XS: 23,
  I8: 24, I16: 25, I32: 26, I64: 27, F64: 28, IQ1_M: 29, BF16: 30,
  TQ1_0: 34, TQ2_0: 35, I2_S: 36, MXFP4: 39,
} as const;
export type GGMLTypeId = (typeof GGMLType)[keyof typeof GGMLType];

const QK_K = 256;

// [id, name, blockSize, typeSize, tensorExtraBytes?]
const TABLE: ReadonlyArray<readonly [number, string, number, number, number?]> = [
  [0, 'F32', 1, 4],
  [1, 'F16', 1, 2],
  [2, 'Q4_0', 32, 2 + 16],                 // d, qs[16]
  [3, 'Q4_1', 32, 2 + 2 + 16],             // d, m, qs[16]
  [6, 'Q5_0', 32, 2 + 4 + 16],             // d, qh[4], qs[16]
  [7, 'Q5_1', 32, 2 + 2 + 4 + 16],         // d, m, qh[4], qs[16]
  [8, 'Q8_0', 32, 2 + 32],                 // d, qs[32]
  [9, 'Q8_1', 32, 2 + 2 + 32],             // d, s, qs[32]
  [10, 'Q2_K', QK_K, QK_K / 16 + QK_K / 4 + 2 + 2],           // 84
  [11, 'Q3_K', QK_K, QK_K / 8 + QK_K / 4 + 12 + 2],           // 110
  [12, 'Q4_K', QK_K, 2 + 2 + 12 + QK_K / 2],                  // 144
  [13, 'Q5_K', QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2],       // 176
  [14, 'Q6_K', QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2],    // 210
  [15, 'Q8_K', QK_K, 4 + QK_K + (QK_K / 16) * 2],             // 292
  [16, 'IQ2_XXS', QK_K, 2 + (QK_K / 8) * 2],                  // 66
  [17, 'IQ2_XS', QK_K, 2 + (QK_K / 8) * 2 + QK_K / 32],       // 74
  [18, 'IQ3_XXS', QK_K, 2 + 3 * (QK_K / 8)],                  // 98
  [19, 'IQ1_S', QK_K, 2 + QK_K / 8 + QK_K / 16],              // 50
  [20, 'IQ4_NL', 32, 2 + 16],                                 // 18
  [21, 'IQ3_S', QK_K, 2 + 13 * (QK_K / 32) + QK_K / 64],      // 110
  [22, 'IQ2_S', QK_K, 2 + QK_K / 4 + QK_K / 16],              // 82
  [23, 'IQ4_XS', QK_K, 2 + 2 + QK_K / 64 + QK_K / 2],         // 136
  [24, 'I8', 1, 1],
  [25, 'I16', 1, 2],
  [26, 'I32', 1, 4],
  [27, 'I64', 1, 8],
  [28, 'F64', 1, 8],
  [29, 'IQ1_M', QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],      // 56
  [30, 'BF16', 1, 2],
  [34, 'TQ1_0', QK_K, (QK_K - (4 * QK_K) / 64) / 5 + QK_K / 64 + 2], // 54
  [35, 'TQ2_0', QK_K, QK_K / 4 + 2],                          // 66
  [36, 'I2_S', 4, 1, 32],
  [39, 'MXFP4', 32, 1 + 16],                                  // 17
];

const INFO: (GGMLTypeInfo | undefined)[] = [];
for (const [id, name, blockSize, typeSize, extra] of TABLE) {
  INFO[id] = Object.freeze({
    id, name, blockSize, typeSize,
    tensorExtraBytes: extra ?? 0,
    quantized: blockSize > 1,
  });
}

/** All known types, by ascending id. */
export const ggmlTypes: readonly GGMLTypeInfo[] = Object.freeze(
  INFO.filter((x): x is GGMLTypeInfo => x !== undefined),
);

/** Info for a ggml type id, or undefined when lutra does not know the id. */
export function ggmlTypeInfo(id: number): GGMLTypeInfo | undefined {
  return Number.isInteger(id) && id >= 0 ? INFO[id] : undefined;
}

/** Name of a ggml type id ("Q4_K"), or "type#<id>" when unknown. */
export function ggmlTypeName(id: number): string {
  return ggmlTypeInfo(id)?.name ?? `type#${id}`;
}

/**
 * Bytes of data for `nElements` elements of `type`.
 * Throws UnsupportedModelError for an unknown type id, GGUFFormatError when
 * nElements is negative, not an integer, not a multiple of the block size, or
 * the size exceeds 2^53.
 */
export function tensorByteSize(type: number, nElements: number): number {
  const info = ggmlTypeInfo(type);
  if (!info) throw new UnsupportedModelError(`unsupported ggml tensor type id ${type}`);
  if (!Number.isSafeInteger(nElements) || nElements < 0) {
    throw new GGUFFormatError(`invalid element count ${nElements} for tensor type ${info.name}`);
  }
  if (nElements % info.blockSize !== 0) {
    throw new GGUFFormatError(
      `${nElements} elements is not a multiple of the ${info.name} block size ${info.blockSize}`,
    );
  }
  if (nElements === 0) return 0;
  const bytes = (nElements / info.blockSize) * info.typeSize + info.tensorExtraBytes;
  if (!Number.isSafeInteger(bytes)) {
    throw new GGUFFormatError(`${nElements} elements of ${info.name} exceed 2^53 bytes`);
  }
  return bytes;
}
