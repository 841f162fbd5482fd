/**
 * Quantizers and dequantizers for GGUF tensor types, keyed by ggml type id.
 * One file per family: float.ts (F32/F16/BF16), legacy.ts (Q4_0/Q4_1/Q5_0/Q5_1/Q8_0),
 * iq4.ts (IQ4_NL), kquants.ts (Q2_K..Q6_K), ternary.ts (TQ1_0/TQ2_0/I2_S).
 * Dequantizers are exact to ggml's definitions; quantizers are simple
 * round-to-nearest with each block's scale (not llama.cpp's error-minimising
 * search), with identical block layouts.
 */
import { UnsupportedModelError } from '../errors.ts';
import { ggmlTypeName } from '../gguf/ggml-types.ts';
import { BF16, F16, F32 } from './float.ts';
import { IQ4_NL } from './iq4.ts';
import { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K } from './kquants.ts';
import { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 } from './legacy.ts';
import { I2_S, TQ1_0, TQ2_0 } from './ternary.ts';
import type { QuantCodec } from './types.ts';

export type { QuantCodec } from './types.ts';
export { f32ToF16Bits, f16BitsToNumber, f32ToBF16Bits, bf16BitsToNumber, roundF16 } from './half.ts';
export { quantizeI2SBody, i2sTrailer, QK_I2_S, I2_S_TRAILER } from './ternary.ts';
export { IQ4_NL_VALUES } from './iq4.ts';

const ALL: QuantCodec[] = [F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, TQ1_0, TQ2_0, I2_S];

/** Every supported type, keyed by ggml type id. */
export const QUANT_CODECS: ReadonlyMap<number, QuantCodec> = new Map(ALL.map((c) => [c.type, c]));

export function quantCodec(type: number): QuantCodec {
  const c = QUANT_CODECS.get(type);
  if (!c) throw new UnsupportedModelError(`no quantizer/dequantizer for tensor type ${ggmlTypeName(type)}`);
  return c;
}

/** Quantize to `type`: the tensor's GGUF bytes. */
export function quantize(type: number, x: ArrayLike<number>): Uint8Array {
  return quantCodec(type).quantize(x);
}

/** Dequantize `n` elements of `type` from `bytes`. */
export function dequantize(type: number, bytes: Uint8Array, n: number, out?: Float32Array): Float32Array {
  return quantCodec(type).dequantize(bytes, n, out);
}
