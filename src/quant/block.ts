/**
 * What the block-quantized types share: f16 fields inside block bytes, and a codec
 * that runs a per-block quantizer / dequantizer over a row of fixed-size blocks.
 */
import { f16Table, f32ToF16Bits } from './half.ts';
import { checkBytes, checkLength, type QuantCodec } from './types.ts';

/** The f16 bits at b[o], b[o + 1] (little-endian). */
export const h16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);

/** Writes x as f16 at b[o], b[o + 1]; returns the value the f16 holds. */
export function putF16(b: Uint8Array, o: number, x: number): number {
  const h = f32ToF16Bits(x);
  b[o] = h & 255;
  b[o + 1] = h >> 8;
  return f16Table()[h];
}

/** Writes the block of x at o to b at bo. */
export type QuantBlock = (x: ArrayLike<number>, o: number, b: Uint8Array, bo: number) => void;
/** Reads the block at b[bo] into y at yo (`t`: the f16 table). */
export type DequantBlock = (b: Uint8Array, bo: number, t: Float32Array, y: Float32Array, yo: number) => void;

/**
 * A codec over blocks of `blockSize` elements stored in `typeSize` bytes each:
 * `quantBlock` writes the block of x at o to b at bo; `deqBlock` reads the block at bo
 * into y at yo (`t`: the f16 table).
 */
export function blockCodec(type: number, name: string, blockSize: number, typeSize: number,
  quantBlock: QuantBlock, deqBlock: DequantBlock): QuantCodec {
  return {
    type, name, blockSize, typeSize, granule: blockSize,
    quantize(x) {
      checkLength(name, x.length, blockSize);
      const nb = x.length / blockSize, out = new Uint8Array(nb * typeSize);
      for (let i = 0; i < nb; i++) quantBlock(x, i * blockSize, out, i * typeSize);
      return out;
    },
    dequantize(b, n, out = new Float32Array(n)) {
      checkLength(name, n, blockSize);
      const nb = n / blockSize;
      checkBytes(name, b, nb * typeSize);
      const t = f16Table();
      for (let i = 0; i < nb; i++) deqBlock(b, i * typeSize, t, out, i * blockSize);
      return out;
    },
  };
}
