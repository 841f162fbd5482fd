/**
 * Unquantized types: F32, F16, BF16 (little-endian element arrays).
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import { bf16BitsToNumber, f16Table, f32ToBF16Bits, f32ToF16Bits } from './half.ts';
import { checkBytes, checkLength, type QuantCodec } from './types.ts';

export const F32: QuantCodec = {
  type: GGMLType.F32, name: 'F32', blockSize: 1, typeSize: 4, granule: 1,
  quantize(x) {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i];
    return new Uint8Array(out.buffer);
  },
  dequantize(b, n, out = new Float32Array(n)) {
    checkBytes('F32', b, 4 * n);
    const dv = new DataView(b.buffer, b.byteOffset, 4 * n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  },
};

export const F16: QuantCodec = {
  type: GGMLType.F16, name: 'F16', blockSize: 1, typeSize: 2, granule: 1,
  quantize(x) {
    const out = new Uint8Array(2 * x.length);
    for (let i = 0; i < x.length; i++) {
      const h = f32ToF16Bits(x[i]);
      out[2 * i] = h & 255;
      out[2 * i + 1] = h >> 8;
    }
    return out;
  },
  dequantize(b, n, out = new Float32Array(n)) {
    checkLength('F16', n, 1);
    checkBytes('F16', b, 2 * n);
    const t = f16Table();
    for (let i = 0; i < n; i++) out[i] = t[b[2 * i] | (b[2 * i + 1] << 8)];
    return out;
  },
};

export const BF16: QuantCodec = {
  type: GGMLType.BF16, name: 'BF16', blockSize: 1, typeSize: 2, granule: 1,
  quantize(x) {
    const out = new Uint8Array(2 * x.length);
    for (let i = 0; i < x.length; i++) {
      const h = f32ToBF16Bits(x[i]);
      out[2 * i] = h & 255;
      out[2 * i + 1] = h >> 8;
    }
    return out;
  },
  dequantize(b, n, out = new Float32Array(n)) {
    checkBytes('BF16', b, 2 * n);
    for (let i = 0; i < n; i++) out[i] = bf16BitsToNumber(b[2 * i] | (b[2 * i + 1] << 8));
    return out;
  },
};
