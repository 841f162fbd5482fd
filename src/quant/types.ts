/** What every tensor type in src/quant provides. */
export interface QuantCodec {
  /** ggml type id (src/gguf/ggml-types.ts). */
  readonly type: number;
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /**
   * Element counts must be a multiple of this (the block size, except I2_S:
   * its x86 layout interleaves 128 elements per 32 bytes).
   */
  readonly granule: number;
  /**
   * Quantize `x` (length a multiple of `granule`) into the type's blocks,
   * including any per-tensor trailer (I2_S's 32 bytes): the bytes of a GGUF tensor.
   */
  quantize(x: ArrayLike<number>): Uint8Array;
  /**
   * Dequantize `n` elements from `bytes` (starting at offset 0) exactly as ggml's
   * `dequantize_row_*` defines them: each float operation rounded to f32.
   */
  dequantize(bytes: Uint8Array, n: number, out?: Float32Array): Float32Array;
}

export function checkLength(name: string, n: number, granule: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n % granule !== 0) {
    throw new RangeError(`${name}: ${n} elements is not a multiple of ${granule}`);
  }
}

export function checkBytes(name: string, bytes: Uint8Array, need: number): void {
  if (bytes.length < need) throw new RangeError(`${name}: ${need} bytes needed, ${bytes.length} given`);
}

/** Round half away from zero, like C's roundf/lroundf. */
export function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export const fr = Math.fround;
