/* lutra LUT kernels — internal header shared by the files in wasm/src/lut.
 *
 * ===================== Canonical LUT weight layout (lt_lut_*) =====================
 * A b-bit weight (b = 1..4) is w = d·q + m, q an unsigned code, per (row, group of G
 * weights along K). Split q = Σ_p 2^p q_p into bit-planes and re-encode each bit as a
 * sign σ_p = 2q_p − 1, so for one row and one group
 *     Σ_k w_k a_k = ½·d·Σ_p 2^p Σ_k σ_pk a_k  +  m'·Σ_k a_k,     m' = m + d·(2^b − 1)/2.
 * The first sum is table lookups (one 16-entry table per 4 activations, index = 4
 * weight bits), the second is a per-group activation sum times m'.
 *
 * Rows come in blocks of 32 (M % 32 == 0). A row block is a sequence of K/G records,
 * one per weight group:
 *     [G/4 activation groups][b vectors of 16 bytes]   nibble data
 *     [32 × f32 d]                                      per-row scale
 *     [32 × f32 m']                                     only if asym (else m' = c0·d,
 *                                                       c0 = (2^b−1)/2 − zero, a tensor constant)
 * The b vectors of one activation group hold 32 rows × b planes = 32·b nibbles:
 *   - "pair" vectors for planes (2q, 2q+1), q < b/2: vector 2q+h covers rows 16h..16h+15;
 *     low nibble of byte 2i+s = (row 16h+i, plane 2q+s), high nibble of byte 2i+s =
 *     (row 16h+8+i, plane 2q+s). So adjacent lanes are the two planes of one row and
 *     one i16 pair-sum (relaxed dot with [2^2q, 2^(2q+1)]) gives that row's contribution.
 *   - if b is odd, one "single" vector for the top plane p = b−1: low nibble of byte
 *     2i+s = row 8s+i, high nibble = row 16+8s+i (even lanes rows 0-7, odd lanes 8-15).
 * Nibble bit t is the weight bit for activation 4j+t.
 *
 * Two-level K-quant layout (asym = LT_KQ; bits 2, G 16: GGUF Q2_K). Q2_K stores, per 256
 * weights, 4-bit sub-scales sc_j and mins mn_j for 16 sub-blocks of 16 and f16 d, dmin:
 * w = d·sc_j·q − dmin·mn_j. Keeping that form (instead of an f32 d and m′ per 16 weights,
 * 0.75 B/weight) places 0.34 B/weight, and the kernel combines sub-blocks in integers.
 * A row block is K/256 records of LT_KQ_REC bytes, one per super-block:
 *     [64 activation groups][2 vectors of 16 bytes]   nibble data, as the canonical layout
 *     [8 sub-block pairs][64 bytes]                    GGUF's scale byte sc | mn << 4 of
 *                                                      (row r, sub-block 2i + s) at 2r + s
 *     [32 × f32 d][32 × f32 dmin]
 * Per row: Σ w·a = ½·d·Σ_j sc_j·(lookups of j) + 1.5·d·Σ_j sc_j·A_j − dmin·Σ_j mn_j·A_j
 * (A_j = the sub-block's activation sum; kq_mm.c starts the lookups of j from a per-token
 * constant C_j ≈ 3·A_j/ts instead of a pass of its own for the middle term); the pair order
 * lets one i32 dot of i16 lanes (pmaddwd) take two sub-blocks of four rows at once (kq_mm.c).
 *
 * Ternary (bits = LT_TERN): the 2-plane layout with *balanced* planes: w = ½·d·(σ0 + σ1),
 * w = −1 → (−,−), 0 → (+,−), +1 → (+,+); planes are combined with weights (1, 1) and there is
 * no bias term. Versus coding w+1 in binary planes (weights 1, 2 and a bias), the table
 * quantization error per weight is 2.5× smaller, and the pair-sum is cheaper. G = block or K.
 *
 * ===================== Tables (lt_lut_build) =====================
 * mode 0 (LT_TAB_I8):   [K/4][16] int8 | f32 scale[K/ags] | f32 sum16[K/16]
 * mode 1 (LT_TAB_F32):  [K/4][16] f32  | f32 sum16[K/16]                 (exact, slow)
 * mode 2 (LT_TAB_TOK):  [K/4][lo 16 | hi 16] | f32 act scale | i32 qsum16[K/16]
 *     per-token int8 activations qa = roundeven(x·127/amax), T = Σ ±qa (int16, exact),
 *     stored as lo = T & 31 (u8) and hi = T >> 5 (i8): T = lo + 32·hi (lut_mm.c tok_vec).
 * mode 3 (LT_TAB_TOK_I8): mode 0's layout, built from the per-token int8 activations of
 *     mode 2 (BitNet b1.58's activation quantization) instead of x: one lookup per index
 *     vector, where mode 2 needs two; the matmul reads it exactly as mode 0.
 */
#ifndef LT_LUT_H
#define LT_LUT_H

#include "../lutra.h"
#include <wasm_simd128.h>

#define LT_INLINE static inline __attribute__((always_inline))

#ifndef LT_RELAXED
#define LT_RELAXED 0
#endif

enum { LT_TAB_I8 = 0, LT_TAB_F32 = 1, LT_TAB_TOK = 2, LT_TAB_TOK_I8 = 3 };
#define LT_TERN 8 /* "bits" value of the ternary layout */
#define LT_KQ 2   /* "asym" value of the two-level K-quant layout */
#define LT_KQ_REC (64 * 2 * 16 + 8 * 64 + 256) /* bytes per 32 rows × 256 weights */
#define LT_KQ_MAXK 65536
#define LT_PLANES(b) ((b) == LT_TERN ? 2 : (b))

/* ---- small freestanding helpers ---- */
LT_INLINE float lt_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0) {
    if (mant == 0) bits = sign;
    else { /* subnormal: value = mant · 2^-24 */
      float f = (float)mant * (1.0f / 16777216.0f);
      return sign ? -f : f;
    }
  } else if (exp == 31) bits = sign | 0x7F800000u | (mant << 13);
  else bits = sign | ((exp + 112) << 23) | (mant << 13);
  float f; __builtin_memcpy(&f, &bits, 4); return f;
}
LT_INLINE float lt_absf(float x) { return x < 0 ? -x : x; }
LT_INLINE float lt_roundeven(float x) { return __builtin_rintf(x); } /* f32.nearest */
LT_INLINE uint16_t lt_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* ---- the two flavors' lookup and lane-pair primitives ---- */
LT_INLINE v128_t lt_swz(v128_t t, v128_t idx) {
#if LT_RELAXED
  return wasm_i8x16_relaxed_swizzle(t, idx); /* idx is always masked to 0..15 */
#else
  return wasm_i8x16_swizzle(t, idx);
#endif
}

/* i16 lane k = 2^(2q)·L[2k] + 2^(2q+1)·L[2k+1]  (q = 0 or 1); q = 2: L[2k] + L[2k+1] */
LT_INLINE v128_t lt_pair(v128_t L, const int q) {
#if LT_RELAXED
  /* same pmaddubsw-style op as the other pairs, with a constant the compiler hoists */
  if (q == 2) return wasm_i16x8_relaxed_dot_i8x16_i7x16(L, wasm_i16x8_const_splat(0x0101));
  return wasm_i16x8_relaxed_dot_i8x16_i7x16(L, q ? wasm_i16x8_const_splat(0x0804)
                                                  : wasm_i16x8_const_splat(0x0201));
#else
  if (q == 2) return wasm_i16x8_extadd_pairwise_i8x16(L);
  v128_t v = wasm_i16x8_add(wasm_i16x8_extadd_pairwise_i8x16(L), wasm_i16x8_shr(L, 8));
  return q ? wasm_i16x8_shl(v, 2) : v;
#endif
}
/* i16 lane k = 2^p·L[2k] (even) / 2^p·L[2k+1] (odd) */
LT_INLINE v128_t lt_even(v128_t L, const int p) {
#if LT_RELAXED
  return wasm_i16x8_relaxed_dot_i8x16_i7x16(L, wasm_i16x8_splat((int16_t)(1 << p)));
#else
  return wasm_i16x8_shr(wasm_i16x8_shl(L, 8), 8 - p);
#endif
}
LT_INLINE v128_t lt_odd(v128_t L, const int p) {
#if LT_RELAXED
  return wasm_i16x8_relaxed_dot_i8x16_i7x16(L, wasm_i16x8_splat((int16_t)((1 << p) << 8)));
#else
  return wasm_i16x8_shr(wasm_v128_and(L, wasm_i16x8_const_splat((int16_t)0xFF00)), 8 - p);
#endif
}
LT_INLINE v128_t lt_madd(v128_t a, v128_t b, v128_t c) { /* a·b + c */
#if LT_RELAXED
  return wasm_f32x4_relaxed_madd(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

/* ---- layout geometry ---- */
LT_INLINE int lt_lut_rec_bytes(int bits, int G, int asym) {
  if (asym == LT_KQ) return LT_KQ_REC;
  return (G / 4) * LT_PLANES(bits) * 16 + 128 + (asym ? 128 : 0);
}
LT_INLINE uint32_t lt_lut_rb_bytes(int bits, int K, int G, int asym) {
  return (uint32_t)(K / (asym == LT_KQ ? 256 : G)) * (uint32_t)lt_lut_rec_bytes(bits, G, asym);
}
/* Byte offset (within one activation group's b·16 bytes) and nibble (0 low, 1 high) of
 * (row r in block, plane p). */
LT_INLINE void lt_lut_pos(int bits, int r, int p, int *byte, int *hi) {
  int npairs = LT_PLANES(bits) / 2;
  if (p < 2 * npairs) {
    int h = r / 16, rr = r % 16;
    *byte = (2 * (p / 2) + h) * 16 + 2 * (rr % 8) + (p % 2);
    *hi = rr / 8;
  } else {
    int h = r / 16, rr = r % 16;
    *byte = 2 * npairs * 16 + 2 * (rr % 8) + rr / 8;
    *hi = h;
  }
}

/* ---- MAD layout (lt_mad_*) ----
 * Rows in blocks of 16 (4 quads of 4 rows). K in chunks of 32. A "code vector" is 16
 * codes: 4 rows × 4 consecutive k (byte 4r+t: row r, k 4c+t, c = 0..7 in the chunk).
 * Codes are stored in parts of width w ∈ {4, 2, 1} (b=1:[1], 2:[2], 3:[2,1], 4:[4]); a
 * part of width w packs 8/w code vectors per 16 bytes at bit shifts 0, w, 2w, ...; its
 * contribution to the code is shifted by the widths of earlier parts. Per quad and chunk
 * that is 16·b bytes. A row block is a sequence of records of R = max(G, 32) k:
 *     [R/32 chunks][4 quads][16·b bytes] | per group in R: [16 × f32 d][16 × f32 m (asym)]
 * w = d·q + m (asym) or d·(q − zero).
 */
LT_INLINE int lt_mad_rec_k(int G) { return G > 32 ? G : 32; }
LT_INLINE int lt_mad_rec_bytes(int bits, int G, int asym) {
  int R = lt_mad_rec_k(G);
  return (R / 32) * 4 * 16 * bits + (R / G) * (64 + (asym ? 64 : 0));
}
LT_INLINE uint32_t lt_mad_rb_bytes(int bits, int K, int G, int asym) {
  return (uint32_t)(K / lt_mad_rec_k(G)) * (uint32_t)lt_mad_rec_bytes(bits, G, asym);
}

/* Source of codes for repacking: fills codes[0..G) for one (row, group), d and m
 * (w = d·q + m). Implemented for plain codes and each GGUF block type. */
typedef struct lt_src {
  int type;          /* -1 plain codes, else enum lt_ggml_type */
  const uint8_t *p;  /* codes [M][K] (plain) or GGUF blocks */
  const float *d, *m;/* plain: [M][K/G] (m may be 0 → m = −zero·d) */
  float zero;
  int K, G;
} lt_src;

/* The LUT matmul over the two-level K-quant layout (kq_mm.c), arguments as lt_lut_mm's. */
void lt_kq_mm(const uint8_t *W, int K, const uint8_t *tab, uint32_t tstride, int ags, int ntok,
              float *y, uint32_t ystride, int rb0, int rb1);

#endif
