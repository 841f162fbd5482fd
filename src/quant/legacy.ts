/**
 * ggml's original 32-element block types (ggml-common.h):
 *
 *   Q4_0  { f16 d; u8 qs[16]; }               x = d·(q − 8),  q 4-bit
 *   Q4_1  { f16 d; f16 m; u8 qs[16]; }        x = d·q + m
 *   Q5_0  { f16 d; u8 qh[4]; u8 qs[16]; }     x = d·(q − 16), q 5-bit
 *   Q5_1  { f16 d; f16 m; u8 qh[4]; u8 qs[16]; }  x = d·q + m
 *   Q8_0  { f16 d; i8 qs[32]; }               x = d·q
 *
 * 4-bit codes: element j (0..15) in the low nibble of qs[j], element j+16 in the
 * high nibble. 5-bit: the fifth bit of element j is bit j of the little-endian
 * u32 qh (j = 0..31), so qh bit j+16 belongs to element j+16.
 *
 * Quantizers are the plain round-to-nearest with the block's scale that ggml's
 * reference quantizers (`quantize_row_*_ref`) use; the dequantizers follow
 * `dequantize_row_*` operation by operation in f32.
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import { blockCodec, h16, putF16, type DequantBlock, type QuantBlock } from './block.ts';
import { fr, roundAway, type QuantCodec } from './types.ts';

const QK = 32;

/** The value with the largest magnitude (signed), and the min and max, of x[o..o+n). */
function stats(x: ArrayLike<number>, o: number, n: number): { amax: number; max: number; lo: number; hi: number } {
  let amax = 0, max = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[o + i];
    if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { amax, max, lo, hi };
}

function codec(type: number, name: string, typeSize: number, quantBlock: QuantBlock, deqBlock: DequantBlock): QuantCodec {
  return blockCodec(type, name, QK, typeSize, quantBlock, deqBlock);
}

const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

export const Q4_0 = codec(GGMLType.Q4_0, 'Q4_0', 18, (x, o, b, bo) => {
  const { max } = stats(x, o, QK);
  const d = max / -8, id = d ? 1 / d : 0;
  putF16(b, bo, d);
  for (let j = 0; j < 16; j++) {
    const a = Math.min(15, Math.trunc(x[o + j] * id + 8.5));
    const c = Math.min(15, Math.trunc(x[o + j + 16] * id + 8.5));
    b[bo + 2 + j] = a | (c << 4);
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)];
  for (let j = 0; j < 16; j++) {
    const q = b[bo + 2 + j];
    y[yo + j] = fr(((q & 15) - 8) * d);
    y[yo + j + 16] = fr(((q >> 4) - 8) * d);
  }
});

export const Q4_1 = codec(GGMLType.Q4_1, 'Q4_1', 20, (x, o, b, bo) => {
  const { lo, hi } = stats(x, o, QK);
  const d = (hi - lo) / 15, id = d ? 1 / d : 0;
  putF16(b, bo, d);
  putF16(b, bo + 2, lo);
  for (let j = 0; j < 16; j++) {
    const a = Math.min(15, Math.trunc((x[o + j] - lo) * id + 0.5));
    const c = Math.min(15, Math.trunc((x[o + j + 16] - lo) * id + 0.5));
    b[bo + 4 + j] = a | (c << 4);
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)], m = t[h16(b, bo + 2)];
  for (let j = 0; j < 16; j++) {
    const q = b[bo + 4 + j];
    y[yo + j] = fr(fr((q & 15) * d) + m);
    y[yo + j + 16] = fr(fr((q >> 4) * d) + m);
  }
});

function putQh(b: Uint8Array, o: number, qh: number): void {
  b[o] = qh & 255; b[o + 1] = (qh >>> 8) & 255; b[o + 2] = (qh >>> 16) & 255; b[o + 3] = qh >>> 24;
}

export const Q5_0 = codec(GGMLType.Q5_0, 'Q5_0', 22, (x, o, b, bo) => {
  const { max } = stats(x, o, QK);
  const d = max / -16, id = d ? 1 / d : 0;
  putF16(b, bo, d);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const a = Math.min(31, Math.trunc(x[o + j] * id + 16.5));
    const c = Math.min(31, Math.trunc(x[o + j + 16] * id + 16.5));
    b[bo + 6 + j] = (a & 15) | ((c & 15) << 4);
    qh |= ((a >> 4) << j) | ((c >> 4) << (j + 16));
  }
  putQh(b, bo + 2, qh >>> 0);
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)], qh = u32(b, bo + 2);
  for (let j = 0; j < 16; j++) {
    const q = b[bo + 6 + j];
    const a = (q & 15) | (((qh >>> j) & 1) << 4), c = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
    y[yo + j] = fr((a - 16) * d);
    y[yo + j + 16] = fr((c - 16) * d);
  }
});

export const Q5_1 = codec(GGMLType.Q5_1, 'Q5_1', 24, (x, o, b, bo) => {
  const { lo, hi } = stats(x, o, QK);
  const d = (hi - lo) / 31, id = d ? 1 / d : 0;
  putF16(b, bo, d);
  putF16(b, bo + 2, lo);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const a = Math.min(31, Math.trunc((x[o + j] - lo) * id + 0.5));
    const c = Math.min(31, Math.trunc((x[o + j + 16] - lo) * id + 0.5));
    b[bo + 8 + j] = (a & 15) | ((c & 15) << 4);
    qh |= ((a >> 4) << j) | ((c >> 4) << (j + 16));
  }
  putQh(b, bo + 4, qh >>> 0);
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)], m = t[h16(b, bo + 2)], qh = u32(b, bo + 4);
  for (let j = 0; j < 16; j++) {
    const q = b[bo + 8 + j];
    const a = (q & 15) | (((qh >>> j) & 1) << 4), c = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
    y[yo + j] = fr(fr(a * d) + m);
    y[yo + j + 16] = fr(fr(c * d) + m);
  }
});

export const Q8_0 = codec(GGMLType.Q8_0, 'Q8_0', 34, (x, o, b, bo) => {
  const { amax } = stats(x, o, QK);
  const d = amax / 127, id = d ? 1 / d : 0;
  putF16(b, bo, d);
  for (let j = 0; j < QK; j++) b[bo + 2 + j] = roundAway(x[o + j] * id) & 255;
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)];
  for (let j = 0; j < QK; j++) y[yo + j] = fr(((b[bo + 2 + j] << 24) >> 24) * d);
});

/** Shared by IQ4_NL (iq4.ts): the same 32-element block helpers. */
export { codec as legacyCodec, stats };
