/**
 * Ternary types: ggml's TQ1_0 and TQ2_0 (256-element blocks, one f16 scale each)
 * and BitNet's I2_S (2-bit codes, one f32 scale per tensor).
 *
 *   TQ2_0 { u8 qs[64]; f16 d; }  x = d·(q − 1), q in 0..2 (2 bits).
 *     For j in {0, 32}, m in 0..31: bits 2n..2n+1 of qs[j + m] hold element 4j + 32n + m.
 *   TQ1_0 { u8 qs[48]; u8 qh[4]; f16 d; }  x = d·(t − 1), t in 0..2 (base-3 digits).
 *     qs[m] (m < 32) packs elements 32n + m (n = 0..4, n = 0 the most significant
 *     trit); qs[32 + m] (m < 16) packs 160 + 16n + m; qh[j] packs 240 + 4n + j
 *     (n = 0..3) followed by a zero trit. A byte holding the base-3 number v stores
 *     ⌈v·256/243⌉, so trit n is ((byte·3ⁿ mod 256)·3) >> 8.
 *     Quantizers (both): d = max |x| of the block, t = round(x/d) + 1, as ggml's
 *     quantize_row_tq*_0_ref.
 *
 *   I2_S (BitNet, microsoft/BitNet's llama.cpp fork, type id 36), the x86 layout
 *   (QK_I2_S = 128, what the fork's quantize_i2_s writes on AVX2 builds; its ARM
 *   builds use 64-element groups instead and the files differ):
 *     n/4 bytes of codes, then a 32-byte trailer whose first 4 bytes are the f32
 *     scale of the whole tensor (the rest zero). For each 128-element group g,
 *     byte 32g + p (p = 0..31) holds element 128g + 32k + p in bits 6 − 2k..7 − 2k
 *     (k = 0..3), code 0 = −1, 1 = 0, 2 = +1 (3 also reads as 0). x = scale·(code − 1).
 *     Quantizer: scale = max |x| of the tensor and code = round(x/scale) + 1. The
 *     fork stores sign(x) (0 only for |x| < 1e-6), the same for weights that are
 *     already ternary; ours rounds instead, a closer fit for other data.
 *
 * The quantizers are exact for ternary inputs (scale·{−1, 0, 1}), which is what
 * make-model writes for these types.
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import { blockCodec, h16, putF16 } from './block.ts';
import { checkBytes, checkLength, fr, roundAway, type QuantCodec } from './types.ts';

const QK_K = 256;
function amax(x: ArrayLike<number>, o: number, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(x[o + i]));
  return m;
}
/** 0, 1, 2 for −1, 0, +1 (x/d rounded and clamped). */
function trit(v: number, id: number): number {
  const t = roundAway(v * id);
  return (t < -1 ? -1 : t > 1 ? 1 : t) + 1;
}

export const TQ2_0: QuantCodec = blockCodec(GGMLType.TQ2_0, 'TQ2_0', QK_K, 66, (x, o, out, bo) => {
  const d = amax(x, o, QK_K), id = d ? 1 / d : 0;
  for (let j = 0; j < 64; j += 32) {
    for (let m = 0; m < 32; m++) {
      let q = 0;
      for (let n = 0; n < 4; n++) q |= trit(x[o + 4 * j + 32 * n + m], id) << (2 * n);
      out[bo + j + m] = q;
    }
  }
  putF16(out, bo + 64, d);
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo + 64)];
  for (let j = 0; j < 64; j += 32) {
    for (let l = 0; l < 4; l++) {
      for (let m = 0; m < 32; m++) y[yo + 4 * j + 32 * l + m] = fr((((b[bo + j + m] >> (2 * l)) & 3) - 1) * d);
    }
  }
});

const POW3 = [1, 3, 9, 27, 81, 243];

/** Pack base-3 digits (most significant first, padded to 5) into ⌈v·256/243⌉. */
function packTrits(digits: number[]): number {
  let v = 0;
  for (let k = 0; k < 5; k++) v = v * 3 + (digits[k] ?? 0);
  return Math.floor((v * 256 + 242) / 243);
}
const unpackTrit = (byte: number, n: number) => ((((byte * POW3[n]) & 255) * 3) >> 8);

export const TQ1_0: QuantCodec = blockCodec(GGMLType.TQ1_0, 'TQ1_0', QK_K, 54, (x, o, out, bo) => {
  const d = amax(x, o, QK_K), id = d ? 1 / d : 0;
  const tr = (e: number) => trit(x[o + e], id);
  for (let m = 0; m < 32; m++) out[bo + m] = packTrits([0, 1, 2, 3, 4].map((n) => tr(32 * n + m)));
  for (let m = 0; m < 16; m++) out[bo + 32 + m] = packTrits([0, 1, 2, 3, 4].map((n) => tr(160 + 16 * n + m)));
  for (let j = 0; j < 4; j++) out[bo + 48 + j] = packTrits([0, 1, 2, 3].map((n) => tr(240 + 4 * n + j)));
  putF16(out, bo + 52, d);
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo + 52)];
  for (let k = 0; k < 5; k++) for (let m = 0; m < 32; m++) y[yo + 32 * k + m] = fr((unpackTrit(b[bo + m], k) - 1) * d);
  for (let k = 0; k < 5; k++) for (let m = 0; m < 16; m++) y[yo + 160 + 16 * k + m] = fr((unpackTrit(b[bo + 32 + m], k) - 1) * d);
  for (let k = 0; k < 4; k++) for (let j = 0; j < 4; j++) y[yo + 240 + 4 * k + j] = fr((unpackTrit(b[bo + 48 + j], k) - 1) * d);
});

/** I2_S group size (x86 layout). */
export const QK_I2_S = 128;
export const I2_S_TRAILER = 32;

/** I2_S code bytes (n/4) of `x` against a given per-tensor `scale`: for writing a tensor in pieces. */
export function quantizeI2SBody(x: ArrayLike<number>, scale: number): Uint8Array {
  checkLength('I2_S', x.length, QK_I2_S);
  const out = new Uint8Array(x.length / 4), id = scale ? 1 / scale : 0;
  for (let g = 0; g < x.length / QK_I2_S; g++) {
    for (let e = 0; e < QK_I2_S; e++) {
      out[32 * g + (e & 31)] |= trit(x[QK_I2_S * g + e], id) << (6 - 2 * (e >> 5));
    }
  }
  return out;
}

/** The 32-byte I2_S tensor trailer: f32 scale, then zeros. */
export function i2sTrailer(scale: number): Uint8Array {
  const t = new Uint8Array(I2_S_TRAILER);
  new DataView(t.buffer).setFloat32(0, scale, true);
  return t;
}

export const I2_S: QuantCodec = {
  type: GGMLType.I2_S, name: 'I2_S', blockSize: 4, typeSize: 1, granule: QK_I2_S,
  quantize(x) {
    const scale = fr(amax(x, 0, x.length));
    const body = quantizeI2SBody(x, scale), out = new Uint8Array(body.length + I2_S_TRAILER);
    out.set(body);
    out.set(i2sTrailer(scale), body.length);
    return out;
  },
  dequantize(b, n, y = new Float32Array(n)) {
    checkLength('I2_S', n, QK_I2_S);
    checkBytes('I2_S', b, n / 4 + 4);
    const scale = new DataView(b.buffer, b.byteOffset + n / 4, 4).getFloat32(0, true);
    const map = [-scale, 0, scale, 0];
    for (let g = 0; g < n / QK_I2_S; g++) {
      for (let e = 0; e < QK_I2_S; e++) y[QK_I2_S * g + e] = map[(b[32 * g + (e & 31)] >> (6 - 2 * (e >> 5))) & 3];
    }
    return y;
  },
};
