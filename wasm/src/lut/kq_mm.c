/* LUT matmul over the two-level K-quant layout (lut.h, asym = LT_KQ; GGUF Q2_K), int8
 * tables (mode 0, or mode 3), rows blocks [rb0, rb1), ntok tokens.
 *
 * Per row block, super-block and token:
 *   - lookups of each 16-weight sub-block j into 4 i16 accumulators (rows 8q..8q+7), as
 *     lut_groups does for every LUT layout: ≤ 4 groups · 3·127 = 1524 per lane;
 *   - sub-blocks j, j+1 interleaved lane by lane (rows 4 at a time) and multiplied by
 *     their 4-bit sub-scales with one i32x4.dot_i16x8_s: ≤ 2·1524·15 per lane, summed over
 *     the sub-blocks that share one table scale (≤ 16): < 2^20, exact in i32 and in f32;
 *   - the activation-sum terms Σ_j sc_j·A_j and Σ_j mn_j·A_j with the same dot, on A_j
 *     quantized to int16 once per token (relative error ≤ 2^-16 of the largest |A_j|):
 *     ≤ 16·15·32767 per lane.
 * The f32 work is once per 64 weights (table scale) and once per 256 (d, dmin), where the
 * canonical layout pays a convert and two multiply-adds per 16 weights.
 *
 * Tokens are the outer loop inside a row block (a row block's K/256 records, 2.75 KiB per
 * 256 of K, stay in L1/L2 for the next token), and each super-block runs as two 16-row
 * halves, the activation-sum terms in a pass of their own: x86 has 16 vector registers, and
 * one pass over 32 rows kept 32 accumulators live (spilled every pair of sub-blocks); this
 * order is 1.3× faster per GEMV (Node, relaxed, 8192×2048). Halves inside the super-block
 * loop, not around it: the second half then finds the record and its tables in L1 (with the
 * halves outside, K = 8192 read its 32 KiB of tables twice per row block, from L2). */
#include "lookup.h"

/* i16 lanes [a r0, b r0, a r1, b r1, a r2, b r2, a r3, b r3] of rows 0-3 (lo) or 4-7 (hi). */
LT_INLINE v128_t ilv_lo(v128_t a, v128_t b) { return wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
LT_INLINE v128_t ilv_hi(v128_t a, v128_t b) { return wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }

/* Lookups of `ng` activation groups for the 16 rows of half h of a row block (rows 16h..16h+7
 * in acc[0], 16h+8..16h+15 in acc[1]): lut_groups on one of the two vectors per group. */
LT_INLINE void lut_groups_half(const uint8_t *w, const int8_t *T, int ng, int h, v128_t acc[2]) {
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  v128_t a0 = acc[0], a1 = acc[1];
  for (int g = 0; g < ng; g++) {
    v128_t t = wasm_v128_load(T + 16 * g), W = wasm_v128_load(w + 32 * g + 16 * h);
    a0 = wasm_i16x8_add(a0, lt_pair(lt_swz(t, wasm_v128_and(W, m4)), 0));
    a1 = wasm_i16x8_add(a1, lt_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W, 4), m4)), 0));
  }
  acc[0] = a0; acc[1] = a1;
}

void lt_kq_mm(const uint8_t *W, int K, const uint8_t *tab, uint32_t tstride, int ags, int ntok,
              float *y, uint32_t ystride, int rb0, int rb1) {
  const int nsb = K / 256;
  const uint32_t rbb = (uint32_t)nsb * LT_KQ_REC;
  const uint32_t ts_off = (uint32_t)K * 4, s16_off = ts_off + (uint32_t)(K / ags) * 4;
  const int CH = ags >= 256 ? 16 : ags / 16; /* sub-blocks under one table scale (even) */
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  int32_t apair[LT_KQ_MAXK / 32]; /* A_j of sub-blocks 2i, 2i+1 as two int16 lanes */
  for (int n = 0; n < ntok; n++) {
    const uint8_t *tn = tab + (size_t)n * tstride;
    const int8_t *T = (const int8_t *)tn;
    const float *ts = (const float *)(tn + ts_off), *s16 = (const float *)(tn + s16_off);
    float amax = 0;
    for (int i = 0; i < K / 16; i++) { float a = lt_absf(s16[i]); if (a > amax) amax = a; }
    const float inv = amax > 0 ? 32767.0f / amax : 0.0f, sA = amax / 32767.0f;
    for (int i = 0; i < K / 32; i++) {
      int lo = (int)lt_roundeven(s16[2 * i] * inv), hi = (int)lt_roundeven(s16[2 * i + 1] * inv);
      apair[i] = (int32_t)(((uint32_t)lo & 0xFFFF) | ((uint32_t)hi << 16));
    }
    const v128_t half = wasm_f32x4_splat(0.5f), sA15 = wasm_f32x4_splat(1.5f * sA), sAv = wasm_f32x4_splat(sA);
    for (int rb = rb0; rb < rb1; rb++) {
      const uint8_t *r0 = W + (size_t)rb * rbb;
      float *yo = y + (size_t)n * ystride + rb * 32;
      v128_t yacc[8];
      for (int i = 0; i < 8; i++) yacc[i] = wasm_f32x4_splat(0);
      const uint8_t *r = r0;
      for (int sb = 0; sb < nsb; sb++, r += LT_KQ_REC) {
        /* the two 16-row halves one after the other: few enough live vectors for 16 registers;
         * the super-block's record (2.75 KiB) and tables (1 KiB) stay in L1 for the second */
        for (int h = 0; h < 2; h++) {
          const uint8_t *scm = r + 64 * 2 * 16 + 32 * h; /* this half's 32 bytes of each pair */
          const float *d = (const float *)(r + 64 * 2 * 16 + 8 * 64) + 16 * h, *dmin = d + 32;
          v128_t accF[4];
          for (int i = 0; i < 4; i++) accF[i] = wasm_f32x4_splat(0);
          for (int c0 = 0; c0 < 16; c0 += CH) {
            v128_t accC[4];
            for (int i = 0; i < 4; i++) accC[i] = wasm_i32x4_splat(0);
            for (int j = c0; j < c0 + CH; j += 2) {
              v128_t L0[2] = {wasm_i16x8_splat(0), wasm_i16x8_splat(0)}, L1[2] = {wasm_i16x8_splat(0), wasm_i16x8_splat(0)};
              const int g = sb * 64 + 4 * j; /* first activation group of sub-block j */
              lut_groups_half(r + 128 * j, T + 16 * g, 4, h, L0);
              lut_groups_half(r + 128 * (j + 1), T + 16 * (g + 4), 4, h, L1);
              for (int q = 0; q < 2; q++) {
                const v128_t sc = wasm_v128_and(wasm_v128_load(scm + 32 * j + 16 * q), m4);
                accC[2 * q] = wasm_i32x4_add(accC[2 * q], wasm_i32x4_dot_i16x8(ilv_lo(L0[q], L1[q]), wasm_u16x8_extend_low_u8x16(sc)));
                accC[2 * q + 1] = wasm_i32x4_add(accC[2 * q + 1], wasm_i32x4_dot_i16x8(ilv_hi(L0[q], L1[q]), wasm_u16x8_extend_high_u8x16(sc)));
              }
            }
            const v128_t tsv = wasm_f32x4_splat(ts[(sb * 256 + c0 * 16) / ags]);
            for (int i = 0; i < 4; i++) accF[i] = lt_madd(wasm_f32x4_convert_i32x4(accC[i]), tsv, accF[i]);
          }
          /* the activation-sum terms of this super-block: Σ_j sc_j·A_j and Σ_j mn_j·A_j */
          v128_t accSA[4], accMA[4];
          for (int i = 0; i < 4; i++) accSA[i] = accMA[i] = wasm_i32x4_splat(0);
          for (int p = 0; p < 8; p++) {
            const v128_t ap = wasm_i32x4_splat(apair[sb * 8 + p]);
            for (int q = 0; q < 2; q++) {
              const v128_t B = wasm_v128_load(scm + 64 * p + 16 * q);
              const v128_t sc = wasm_v128_and(B, m4), mn = wasm_u8x16_shr(B, 4);
              accSA[2 * q] = wasm_i32x4_add(accSA[2 * q], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(sc), ap));
              accSA[2 * q + 1] = wasm_i32x4_add(accSA[2 * q + 1], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(sc), ap));
              accMA[2 * q] = wasm_i32x4_add(accMA[2 * q], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(mn), ap));
              accMA[2 * q + 1] = wasm_i32x4_add(accMA[2 * q + 1], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(mn), ap));
            }
          }
          /* rows 16h+4i..+3: ½·d·Σ sc·L·ts + 1.5·d·sA·Σ sc·A16 − dmin·sA·Σ mn·A16 */
          for (int i = 0; i < 4; i++) {
            const v128_t dv = wasm_v128_load(d + 4 * i), mv = wasm_v128_load(dmin + 4 * i);
            v128_t t = wasm_f32x4_mul(half, accF[i]);
            t = lt_madd(sA15, wasm_f32x4_convert_i32x4(accSA[i]), t);
            t = wasm_f32x4_mul(dv, t);
            t = wasm_f32x4_sub(t, wasm_f32x4_mul(mv, wasm_f32x4_mul(sAv, wasm_f32x4_convert_i32x4(accMA[i]))));
            yacc[4 * h + i] = wasm_f32x4_add(yacc[4 * h + i], t);
          }
        }
      }
      for (int i = 0; i < 8; i++) wasm_v128_store(yo + 4 * i, yacc[i]);
    }
  }
}
