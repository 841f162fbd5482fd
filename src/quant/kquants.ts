/**
 * ggml's k-quants: 256-element super-blocks (QK_K = 256) with 6- or 4-bit
 * sub-block scales (ggml-common.h):
 *
 *   Q2_K { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin; }             84 bytes
 *        16 sub-blocks of 16: x = d·(sc&15)·q − dmin·(sc>>4), q 2-bit
 *   Q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d; }          110 bytes
 *        16 sub-blocks of 16: x = d·(s−32)·(q − 4·!hbit), q 2-bit + high bit, s 6-bit
 *   Q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }             144 bytes
 *        8 sub-blocks of 32: x = d·s·q − dmin·m, q 4-bit, s/m 6-bit
 *   Q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }  176 bytes
 *        as Q4_K with a fifth bit per element in qh
 *   Q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }            210 bytes
 *        16 sub-blocks of 16: x = d·sc·(q − 32), q 6-bit
 *
 * Bit placement (the part llama.cpp depends on), per 128 elements e = 32·j + l
 * (j = 0..3, l = 0..31) of a half super-block h:
 *   Q2_K/Q3_K: qs[32h + l] bits 2j..2j+1; Q3_K's high bit: hmask[l] bit 4h + j.
 *   Q4_K/Q5_K: per 64 elements (pair p): qs[32p + l] low nibble = element 64p + l,
 *              high nibble = element 64p + 32 + l; Q5_K's fifth bits are qh[l] bit 2p
 *              and bit 2p + 1.
 *   Q6_K: per 128 elements: ql[64h + l] low/high nibble = elements l / l + 64,
 *         ql[64h + 32 + l] = elements l + 32 / l + 96; qh[32h + l] bits 0-1, 2-3,
 *         4-5, 6-7 = high bits of elements l, l + 32, l + 64, l + 96.
 *   Q4_K/Q5_K 6-bit scales/mins in 12 bytes: sub-block j < 4: scales[j] & 63 and
 *   scales[j+4] & 63; j ≥ 4: low nibbles from scales[j+4], top 2 bits from the top
 *   bits of scales[j−4] (scale) and scales[j] (min) (ggml's get_scale_min_k4).
 *   Q3_K 6-bit scales in 12 bytes: low nibble of scales[i] (i < 8) or high nibble
 *   of scales[i−8] (i ≥ 8); top two bits in scales[8 + i%4] at bit 2·⌊i/4⌋.
 *
 * Quantizers: plain round-to-nearest. Each sub-block gets a scale (and min) from its
 * own range, those are quantized to the type's 4/6/8-bit sub-scales against the
 * super-block's f16 d/dmin, and every element is then rounded with the quantized
 * scale. ggml searches scales to minimise weighted error (make_qx_quants,
 * make_qkx2_quants); we do not, so our error is somewhat larger, the layout identical.
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import { blockCodec, h16, putF16, type DequantBlock, type QuantBlock } from './block.ts';
import { fr, roundAway, type QuantCodec } from './types.ts';

const QK_K = 256;

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

function codec(type: number, name: string, typeSize: number, quantBlock: QuantBlock, deqBlock: DequantBlock): QuantCodec {
  return blockCodec(type, name, QK_K, typeSize, quantBlock, deqBlock);
}

/**
 * Asymmetric sub-block ranges: for each sub-block of `len`, a scale
 * (max − min)/nmax and a min offset m = −min ≥ 0 (min clipped to ≤ 0, as ggml does).
 */
function asymRanges(x: ArrayLike<number>, o: number, nSub: number, len: number, nmax: number) {
  const sc = new Float64Array(nSub), mn = new Float64Array(nSub);
  for (let s = 0; s < nSub; s++) {
    let lo = 0, hi = -Infinity;
    for (let l = 0; l < len; l++) {
      const v = x[o + s * len + l];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    sc[s] = Math.max(0, (hi - lo) / nmax);
    mn[s] = -lo;
  }
  return { sc, mn };
}

/** The value with the largest magnitude (signed) in x[o..o+n). */
function signedMax(x: ArrayLike<number>, o: number, n: number): number {
  let amax = 0, max = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[o + i]);
    if (a > amax) { amax = a; max = x[o + i]; }
  }
  return max;
}

// ---------------------------------------------------------------- Q2_K

export const Q2_K = codec(GGMLType.Q2_K, 'Q2_K', 84, (x, o, b, bo) => {
  const { sc, mn } = asymRanges(x, o, 16, 16, 3);
  const d = putF16(b, bo + 80, Math.max(...sc) / 15);
  const dmin = putF16(b, bo + 82, Math.max(...mn) / 15);
  const L = new Uint8Array(QK_K);
  for (let s = 0; s < 16; s++) {
    const ls = d ? clamp(roundAway(sc[s] / d), 0, 15) : 0;
    const lm = dmin ? clamp(roundAway(mn[s] / dmin), 0, 15) : 0;
    b[bo + s] = ls | (lm << 4);
    const dl = fr(d * ls), ml = fr(dmin * lm);
    for (let l = 0; l < 16; l++) {
      const e = s * 16 + l;
      L[e] = dl ? clamp(roundAway((x[o + e] + ml) / dl), 0, 3) : 0;
    }
  }
  for (let h = 0; h < 2; h++) {
    for (let l = 0; l < 32; l++) {
      const e = 128 * h + l;
      b[bo + 16 + 32 * h + l] = L[e] | (L[e + 32] << 2) | (L[e + 64] << 4) | (L[e + 96] << 6);
    }
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo + 80)], dmin = t[h16(b, bo + 82)];
  for (let e = 0; e < QK_K; e++) {
    const sc = b[bo + (e >> 4)];
    const dl = fr(d * (sc & 15)), ml = fr(dmin * (sc >> 4));
    const h = e >> 7, j = (e >> 5) & 3, l = e & 31;
    const q = (b[bo + 16 + 32 * h + l] >> (2 * j)) & 3;
    y[yo + e] = fr(fr(dl * q) - ml);
  }
});

// ---------------------------------------------------------------- Q3_K

function q3Scales(b: Uint8Array, o: number): Int8Array {
  const s = new Int8Array(16);
  for (let i = 0; i < 16; i++) {
    const low = i < 8 ? b[o + i] & 15 : b[o + i - 8] >> 4;
    const high = (b[o + 8 + (i & 3)] >> (2 * (i >> 2))) & 3;
    s[i] = (low | (high << 4)) - 32;
  }
  return s;
}

export const Q3_K = codec(GGMLType.Q3_K, 'Q3_K', 110, (x, o, b, bo) => {
  // symmetric: x ≈ dl·(L − 4), L in 0..7; the sub-block's largest-magnitude value maps to −4
  const sc = new Float64Array(16);
  let maxScale = 0, amaxScale = 0;
  for (let s = 0; s < 16; s++) {
    sc[s] = signedMax(x, o + 16 * s, 16) / -4;
    if (Math.abs(sc[s]) > amaxScale) { amaxScale = Math.abs(sc[s]); maxScale = sc[s]; }
  }
  const d = putF16(b, bo + 108, maxScale / -32);
  for (let s = 0; s < 16; s++) {
    const l = (d ? clamp(roundAway(sc[s] / d), -32, 31) : 0) + 32;
    if (s < 8) b[bo + 96 + s] |= l & 15;
    else b[bo + 96 + s - 8] |= (l & 15) << 4;
    b[bo + 96 + 8 + (s & 3)] |= (l >> 4) << (2 * (s >> 2));
  }
  const ls = q3Scales(b, bo + 96);
  const L = new Uint8Array(QK_K);
  for (let e = 0; e < QK_K; e++) {
    const dl = fr(d * ls[e >> 4]);
    L[e] = dl ? clamp(roundAway(x[o + e] / dl), -4, 3) + 4 : 4;
  }
  for (let e = 0; e < QK_K; e++) {
    if (L[e] > 3) { b[bo + (e & 31)] |= 1 << (e >> 5); L[e] -= 4; }
  }
  for (let h = 0; h < 2; h++) {
    for (let l = 0; l < 32; l++) {
      const e = 128 * h + l;
      b[bo + 32 + 32 * h + l] = L[e] | (L[e + 32] << 2) | (L[e + 64] << 4) | (L[e + 96] << 6);
    }
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo + 108)];
  const ls = q3Scales(b, bo + 96);
  for (let e = 0; e < QK_K; e++) {
    const dl = fr(d * ls[e >> 4]);
    const h = e >> 7, j = (e >> 5) & 3, l = e & 31;
    const q = (b[bo + 32 + 32 * h + l] >> (2 * j)) & 3;
    const hbit = (b[bo + l] >> (e >> 5)) & 1;
    y[yo + e] = fr(dl * (q - (hbit ? 0 : 4)));
  }
});

// ---------------------------------------------------------------- Q4_K / Q5_K

/** ggml's get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 bytes at o. */
function scaleMinK4(b: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [b[o + j] & 63, b[o + j + 4] & 63];
  return [(b[o + j + 4] & 15) | ((b[o + j - 4] >> 6) << 4), (b[o + j + 4] >> 4) | ((b[o + j] >> 6) << 4)];
}

function putScaleMinK4(b: Uint8Array, o: number, ls: ArrayLike<number>, lm: ArrayLike<number>): void {
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      b[o + j] = ls[j];
      b[o + j + 4] = lm[j];
    } else {
      b[o + j + 4] = (ls[j] & 15) | ((lm[j] & 15) << 4);
      b[o + j - 4] |= (ls[j] >> 4) << 6;
      b[o + j] |= (lm[j] >> 4) << 6;
    }
  }
}

/** Shared Q4_K/Q5_K quantization: 8 sub-blocks of 32, codes 0..nmax. Returns the codes. */
function quantK45(x: ArrayLike<number>, o: number, b: Uint8Array, bo: number, nmax: number): Uint8Array {
  const { sc, mn } = asymRanges(x, o, 8, 32, nmax);
  const d = putF16(b, bo, Math.max(...sc) / 63);
  const dmin = putF16(b, bo + 2, Math.max(...mn) / 63);
  const ls = new Uint8Array(8), lm = new Uint8Array(8);
  for (let j = 0; j < 8; j++) {
    ls[j] = d ? clamp(roundAway(sc[j] / d), 0, 63) : 0;
    lm[j] = dmin ? clamp(roundAway(mn[j] / dmin), 0, 63) : 0;
  }
  putScaleMinK4(b, bo + 4, ls, lm);
  const L = new Uint8Array(QK_K);
  for (let e = 0; e < QK_K; e++) {
    const j = e >> 5, dl = fr(d * ls[j]), ml = fr(dmin * lm[j]);
    L[e] = dl ? clamp(roundAway((x[o + e] + ml) / dl), 0, nmax) : 0;
  }
  return L;
}

export const Q4_K = codec(GGMLType.Q4_K, 'Q4_K', 144, (x, o, b, bo) => {
  const L = quantK45(x, o, b, bo, 15);
  for (let p = 0; p < 4; p++) {
    for (let l = 0; l < 32; l++) b[bo + 16 + 32 * p + l] = L[64 * p + l] | (L[64 * p + 32 + l] << 4);
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)], dmin = t[h16(b, bo + 2)];
  for (let p = 0; p < 4; p++) {
    const [s1, m1] = scaleMinK4(b, bo + 4, 2 * p), [s2, m2] = scaleMinK4(b, bo + 4, 2 * p + 1);
    const d1 = fr(d * s1), n1 = fr(dmin * m1), d2 = fr(d * s2), n2 = fr(dmin * m2);
    const q = bo + 16 + 32 * p, e = yo + 64 * p;
    for (let l = 0; l < 32; l++) y[e + l] = fr(fr(d1 * (b[q + l] & 15)) - n1);
    for (let l = 0; l < 32; l++) y[e + 32 + l] = fr(fr(d2 * (b[q + l] >> 4)) - n2);
  }
});

export const Q5_K = codec(GGMLType.Q5_K, 'Q5_K', 176, (x, o, b, bo) => {
  const L = quantK45(x, o, b, bo, 31);
  for (let p = 0; p < 4; p++) {
    for (let l = 0; l < 32; l++) {
      const a = L[64 * p + l], c = L[64 * p + 32 + l];
      b[bo + 48 + 32 * p + l] = (a & 15) | ((c & 15) << 4);
      b[bo + 16 + l] |= ((a >> 4) << (2 * p)) | ((c >> 4) << (2 * p + 1));
    }
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo)], dmin = t[h16(b, bo + 2)];
  for (let p = 0; p < 4; p++) {
    const [s1, m1] = scaleMinK4(b, bo + 4, 2 * p), [s2, m2] = scaleMinK4(b, bo + 4, 2 * p + 1);
    const d1 = fr(d * s1), n1 = fr(dmin * m1), d2 = fr(d * s2), n2 = fr(dmin * m2);
    const q = bo + 48 + 32 * p, e = yo + 64 * p;
    for (let l = 0; l < 32; l++) {
      const qh = b[bo + 16 + l];
      y[e + l] = fr(fr(d1 * ((b[q + l] & 15) + ((qh >> (2 * p)) & 1 ? 16 : 0))) - n1);
      y[e + 32 + l] = fr(fr(d2 * ((b[q + l] >> 4) + ((qh >> (2 * p + 1)) & 1 ? 16 : 0))) - n2);
    }
  }
});

// ---------------------------------------------------------------- Q6_K

export const Q6_K = codec(GGMLType.Q6_K, 'Q6_K', 210, (x, o, b, bo) => {
  // symmetric: x ≈ d·sc·(L − 32), L in 0..63; the sub-block's largest-magnitude value maps to −32
  const sc = new Float64Array(16);
  let maxScale = 0, amaxScale = 0;
  for (let s = 0; s < 16; s++) {
    sc[s] = signedMax(x, o + 16 * s, 16) / -32;
    if (Math.abs(sc[s]) > amaxScale) { amaxScale = Math.abs(sc[s]); maxScale = sc[s]; }
  }
  const d = putF16(b, bo + 208, maxScale / -128);
  const ls = new Int8Array(16);
  for (let s = 0; s < 16; s++) {
    ls[s] = d ? clamp(roundAway(sc[s] / d), -128, 127) : 0;
    b[bo + 192 + s] = ls[s] & 255;
  }
  const L = new Uint8Array(QK_K);
  for (let e = 0; e < QK_K; e++) {
    const dl = fr(d * ls[e >> 4]);
    L[e] = dl ? clamp(roundAway(x[o + e] / dl), -32, 31) + 32 : 32;
  }
  for (let h = 0; h < 2; h++) {
    const ql = bo + 64 * h, qh = bo + 128 + 32 * h, e0 = 128 * h;
    for (let l = 0; l < 32; l++) {
      const q1 = L[e0 + l], q2 = L[e0 + l + 32], q3 = L[e0 + l + 64], q4 = L[e0 + l + 96];
      b[ql + l] = (q1 & 15) | ((q3 & 15) << 4);
      b[ql + 32 + l] = (q2 & 15) | ((q4 & 15) << 4);
      b[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
    }
  }
}, (b, bo, t, y, yo) => {
  const d = t[h16(b, bo + 208)];
  for (let h = 0; h < 2; h++) {
    const ql = bo + 64 * h, qh = bo + 128 + 32 * h, sc = bo + 192 + 8 * h, e0 = yo + 128 * h;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4, hb = b[qh + l];
      const q1 = ((b[ql + l] & 15) | ((hb & 3) << 4)) - 32;
      const q2 = ((b[ql + l + 32] & 15) | (((hb >> 2) & 3) << 4)) - 32;
      const q3 = ((b[ql + l] >> 4) | (((hb >> 4) & 3) << 4)) - 32;
      const q4 = ((b[ql + l + 32] >> 4) | (((hb >> 6) & 3) << 4)) - 32;
      const s = (i: number) => (b[sc + i] << 24) >> 24;
      y[e0 + l] = fr(fr(d * s(is)) * q1);
      y[e0 + l + 32] = fr(fr(d * s(is + 2)) * q2);
      y[e0 + l + 64] = fr(fr(d * s(is + 4)) * q3);
      y[e0 + l + 96] = fr(fr(d * s(is + 6)) * q4);
    }
  }
});
