/* LUT matmul over the two-level K-quant layout (lut.h, asym = LT_KQ; GGUF Q2_K), int8
 * tables (mode 0, or mode 3), rows blocks [rb0, rb1), ntok tokens.
 *
 * Per row: Σ w·a = d·Σ_j sc_j·Σ_(k in j) q_k·a_k − dmin·Σ_j mn_j·A_j, and per sub-block j
 * (16 weights, 4 activation groups g, table scale ts) Σ q·a = ½·ts·(L_j + 3·A_j/ts), L_j its
 * lookups (planes weighted 1, 2; A_j = Σ_g T_g[15]·ts, the sub-block's activation sum). So:
 *   - the lookups of sub-block j accumulate in i16 from C_j = round(KQ_U·3·A_j/ts), a
 *     per-token constant of the sub-block (kq_pair weighs the planes KQ_U·(1, 2)): the
 *     sub-scale multiply then also gives the 1.5·sc_j·A_j term, which used to be a pass of
 *     its own. C_j's rounding (≤ ½ of 1/KQ_U table steps; the lookups are exact sums of
 *     table entries) adds 1/(20·KQ_U²) to the variance of the table rounding per sub-block
 *     (4 groups × 1.25 steps²/12): 0.08 % on relaxed (KQ_U = 8), 5 % on simd128 (KQ_U = 1).
 *     Bounds: |C_j| ≤ KQ_U·3·4·127 = KQ_U·1524 (|A_j| ≤ 4·127·ts), lookups ≤ KQ_U·4·3·127:
 *     ≤ KQ_U·3048 ≤ 24384 per i16 lane;
 *   - sub-blocks j, j+1 interleaved lane by lane (rows 4 at a time) and multiplied by
 *     their 4-bit sub-scales with one i32x4.dot_i16x8_s: ≤ 2·24384·15 per lane, summed over
 *     the ≤ 8 pairs that share one table scale: ≤ 5 852 160 < 2^24, exact in i32 and in f32;
 *   - the mins term Σ_j mn_j·A_j on A_j quantized once per token: relaxed, to A16 ∈
 *     [−16383, 16383] (error ≤ 2^-15 of the largest |A_j|) split in bytes 128·Ah + Al, with
 *     i8 × u4 pair dots (pmaddubsw, 8 rows per op) summed in i16 (bounds in the loop);
 *     simd128, to int16 (2^-16) with the i32 dot of i16 lanes: ≤ 16·15·32767 per lane.
 * The f32 work is once per 64 weights (table scale) and once per 256 (d, dmin), where the
 * canonical layout pays a convert and two multiply-adds per 16 weights.
 *
 * Tokens are the outer loop inside a row block (a row block's K/256 records, 2.75 KiB per
 * 256 of K, stay in L1/L2 for the next token), and each super-block runs as two 16-row
 * halves, the mins term in a pass of their own: x86 has 16 vector registers, and one pass
 * over 32 rows kept 32 accumulators live (spilled every pair of sub-blocks); this order is
 * 1.3× faster per GEMV (Node, relaxed, 8192×2048). Halves inside the super-block loop, not
 * around it: the second half then finds the record and its tables in L1 (with the halves
 * outside, K = 8192 read its 32 KiB of tables twice per row block, from L2).
 *
 * The lookups of a sub-block pair, and the mins' pairs, are loops that clang must not unroll:
 * TurboFan schedules a block's loads first and its arithmetic next to the uses, so a fully
 * unrolled pair (16 loads) spilled loads and the i32 accumulators at every pair; as loops
 * (which V8 then unrolls itself, loads in place) no vector is spilled there: 1.05-1.2× faster
 * in Chromium (relaxed), measured with the removed activation-sum pass. */
#include "lookup.h"

/* i16 lanes [a r0, b r0, a r1, b r1, a r2, b r2, a r3, b r3] of rows 0-3 (lo) or 4-7 (hi). */
LT_INLINE v128_t ilv_lo(v128_t a, v128_t b) { return wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
LT_INLINE v128_t ilv_hi(v128_t a, v128_t b) { return wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }

/* Lookup pair-sum of a 2-bit code's two planes, KQ_U·(L[2k] + 2·L[2k+1]): relaxed weighs the
 * planes (8, 16) at no cost (one pmaddubsw either way; ≤ 24·127 per lane, no saturation), which
 * makes the rounding of the sub-block constant C_j 8× finer; simd128 keeps (1, 2), where more
 * would cost a shift per lookup. */
#if LT_RELAXED
#define KQ_U 8
LT_INLINE v128_t kq_pair(v128_t L) { return wasm_i16x8_relaxed_dot_i8x16_i7x16(L, wasm_i16x8_const_splat(0x1008)); }
#else
#define KQ_U 1
LT_INLINE v128_t kq_pair(v128_t L) { return lt_pair(L, 0); }
#endif

/* Sub-blocks j (w0, T0) and j+1 (w1, T1) for the 16 rows of half h (rows 16h..16h+7 in
 * L[0], 16h+8..16h+15 in L[1]), one activation group of each per iteration. */
LT_INLINE void lut_groups_pair(const uint8_t *w0, const uint8_t *w1, const int8_t *T0, const int8_t *T1, int h,
                               v128_t L0[2], v128_t L1[2]) {
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  v128_t a0 = L0[0], a1 = L0[1], b0 = L1[0], b1 = L1[1];
#pragma clang loop unroll(disable)
  for (int g = 0; g < 4; g++) {
    v128_t t = wasm_v128_load(T0 + 16 * g), W = wasm_v128_load(w0 + 32 * g + 16 * h);
    a0 = wasm_i16x8_add(a0, kq_pair(lt_swz(t, wasm_v128_and(W, m4))));
    a1 = wasm_i16x8_add(a1, kq_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W, 4), m4))));
    t = wasm_v128_load(T1 + 16 * g); W = wasm_v128_load(w1 + 32 * g + 16 * h);
    b0 = wasm_i16x8_add(b0, kq_pair(lt_swz(t, wasm_v128_and(W, m4))));
    b1 = wasm_i16x8_add(b1, kq_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W, 4), m4))));
  }
  L0[0] = a0; L0[1] = a1; L1[0] = b0; L1[1] = b1;
}

/* the high nibbles of 16 bytes (the mins): an i16 shift and a mask (V8 emulates i8x16.shr_u) */
#define KQ_HI(v) wasm_v128_and(wasm_u16x8_shr(v, 4), m4)

void lt_kq_mm(const uint8_t *W, int K, const uint8_t *tab, uint32_t tstride, int ags, int ntok,
              float *y, uint32_t ystride, int rb0, int rb1) {
  const int nsb = K / 256;
  const uint32_t rbb = (uint32_t)nsb * LT_KQ_REC;
  const uint32_t ts_off = (uint32_t)K * 4, s16_off = ts_off + (uint32_t)(K / ags) * 4;
  const int CH = ags >= 256 ? 16 : ags / 16; /* sub-blocks under one table scale (even) */
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  int16_t cj[LT_KQ_MAXK / 16]; /* the sub-blocks' constants C_j */
#if LT_RELAXED
  /* A16 = 128·Ah + Al (Ah ∈ [−128, 127], Al ∈ [0, 127]) of sub-blocks 2i, 2i+1 as two bytes */
  uint16_t ahp[LT_KQ_MAXK / 32], alp[LT_KQ_MAXK / 32];
  const float AQ = 16383.0f;
#else
  int32_t apair[LT_KQ_MAXK / 32]; /* A16 of sub-blocks 2i, 2i+1 as two int16 lanes */
  const float AQ = 32767.0f;
#endif
  for (int n = 0; n < ntok; n++) {
    const uint8_t *tn = tab + (size_t)n * tstride;
    const int8_t *T = (const int8_t *)tn;
    const float *ts = (const float *)(tn + ts_off), *s16 = (const float *)(tn + s16_off);
    float amax = 0;
    for (int i = 0; i < K / 16; i++) { float a = lt_absf(s16[i]); if (a > amax) amax = a; }
    const float inv = amax > 0 ? AQ / amax : 0.0f, sA = amax / AQ;
    for (int i = 0; i < K / 32; i++) {
      int lo = (int)lt_roundeven(s16[2 * i] * inv), hi = (int)lt_roundeven(s16[2 * i + 1] * inv);
#if LT_RELAXED
      ahp[i] = (uint16_t)(((uint32_t)(lo >> 7) & 0xFF) | ((uint32_t)(hi >> 7) << 8));
      alp[i] = (uint16_t)((lo & 127) | ((hi & 127) << 8));
#else
      apair[i] = (int32_t)(((uint32_t)lo & 0xFFFF) | ((uint32_t)hi << 16));
#endif
    }
    /* C_j = round(KQ_U·3·A_j / ts), ts the table scale of sub-block j (its 16 activations lie
     * in one ags block) */
    for (int b = 0; b < K / ags; b++) {
      const float c = ts[b] > 0 ? (float)(KQ_U * 3) / ts[b] : 0.0f;
      for (int i = b * (ags / 16); i < (b + 1) * (ags / 16); i++) cj[i] = (int16_t)lt_roundeven(s16[i] * c);
    }
    const v128_t sAv = wasm_f32x4_splat(sA), uinv = wasm_f32x4_splat(1.0f / (2 * KQ_U));
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
              /* the accumulators start at C_j: the sc_j·C_j of the pair dot is the 1.5·sc_j·A_j term */
              const v128_t c0v = wasm_v128_load16_splat(cj + sb * 16 + j), c1v = wasm_v128_load16_splat(cj + sb * 16 + j + 1);
              v128_t L0[2] = {c0v, c0v}, L1[2] = {c1v, c1v};
              const int g = sb * 64 + 4 * j; /* first activation group of sub-block j */
              lut_groups_pair(r + 128 * j, r + 128 * (j + 1), T + 16 * g, T + 16 * (g + 4), h, L0, L1);
              for (int q = 0; q < 2; q++) {
                const v128_t sc = wasm_v128_and(wasm_v128_load(scm + 32 * j + 16 * q), m4);
                accC[2 * q] = wasm_i32x4_add(accC[2 * q], wasm_i32x4_dot_i16x8(ilv_lo(L0[q], L1[q]), wasm_u16x8_extend_low_u8x16(sc)));
                accC[2 * q + 1] = wasm_i32x4_add(accC[2 * q + 1], wasm_i32x4_dot_i16x8(ilv_hi(L0[q], L1[q]), wasm_u16x8_extend_high_u8x16(sc)));
              }
            }
            const v128_t tsv = wasm_f32x4_splat(ts[(sb * 256 + c0 * 16) / ags]);
            for (int i = 0; i < 4; i++) accF[i] = lt_madd(wasm_f32x4_convert_i32x4(accC[i]), tsv, accF[i]);
          }
          /* the mins term of this super-block, Σ_j mn_j·A16_j, rows 16h+4i..+3 in accM[i] (i32) */
          v128_t accM[4];
#if LT_RELAXED
          /* i8 × u4 pair dots (pmaddubsw) give 8 rows per op: lane r = mn(r, 2p)·A_2p +
           * mn(r, 2p+1)·A_2p+1, on the bytes Ah and Al of A16; i16 sums over the 8 pairs:
           * ≤ 8·2·15·128 = 30720 (Ah) and 8·2·15·127 = 30480 (Al), < 32767. Then A16 = 128·Ah + Al. */
          {
            v128_t mh0 = wasm_i16x8_splat(0), mh1 = mh0, ml0 = mh0, ml1 = mh0;
#pragma clang loop unroll(disable)
            for (int p = 0; p < 8; p++) {
              const v128_t ah = wasm_v128_load16_splat(ahp + sb * 8 + p), al = wasm_v128_load16_splat(alp + sb * 8 + p);
              const v128_t mn0 = KQ_HI(wasm_v128_load(scm + 64 * p)), mn1 = KQ_HI(wasm_v128_load(scm + 64 * p + 16));
              mh0 = wasm_i16x8_add(mh0, wasm_i16x8_relaxed_dot_i8x16_i7x16(ah, mn0));
              ml0 = wasm_i16x8_add(ml0, wasm_i16x8_relaxed_dot_i8x16_i7x16(al, mn0));
              mh1 = wasm_i16x8_add(mh1, wasm_i16x8_relaxed_dot_i8x16_i7x16(ah, mn1));
              ml1 = wasm_i16x8_add(ml1, wasm_i16x8_relaxed_dot_i8x16_i7x16(al, mn1));
            }
            accM[0] = wasm_i32x4_add(wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(mh0), 7), wasm_i32x4_extend_low_i16x8(ml0));
            accM[1] = wasm_i32x4_add(wasm_i32x4_shl(wasm_i32x4_extend_high_i16x8(mh0), 7), wasm_i32x4_extend_high_i16x8(ml0));
            accM[2] = wasm_i32x4_add(wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(mh1), 7), wasm_i32x4_extend_low_i16x8(ml1));
            accM[3] = wasm_i32x4_add(wasm_i32x4_shl(wasm_i32x4_extend_high_i16x8(mh1), 7), wasm_i32x4_extend_high_i16x8(ml1));
          }
#else
          /* one i32 dot of i16 lanes takes two sub-blocks of four rows */
          for (int i = 0; i < 4; i++) accM[i] = wasm_i32x4_splat(0);
#pragma clang loop unroll(disable)
          for (int p = 0; p < 8; p++) {
            const v128_t ap = wasm_i32x4_splat(apair[sb * 8 + p]);
            for (int q = 0; q < 2; q++) {
              const v128_t mn = KQ_HI(wasm_v128_load(scm + 64 * p + 16 * q));
              accM[2 * q] = wasm_i32x4_add(accM[2 * q], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(mn), ap));
              accM[2 * q + 1] = wasm_i32x4_add(accM[2 * q + 1], wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(mn), ap));
            }
          }
#endif
          /* rows 16h+4i..+3: d·Σ_c ts_c·Σ sc·(L + C)/(2·KQ_U) − dmin·sA·Σ mn·A16 */
          for (int i = 0; i < 4; i++) {
            const v128_t dv = wasm_v128_load(d + 4 * i), mv = wasm_v128_load(dmin + 4 * i);
            v128_t t = wasm_f32x4_mul(wasm_f32x4_mul(uinv, dv), accF[i]);
            t = wasm_f32x4_sub(t, wasm_f32x4_mul(mv, wasm_f32x4_mul(sAv, wasm_f32x4_convert_i32x4(accM[i]))));
            yacc[4 * h + i] = wasm_f32x4_add(yacc[4 * h + i], t);
          }
        }
      }
      for (int i = 0; i < 8; i++) wasm_v128_store(yo + 4 * i, yacc[i]);
    }
  }
}
