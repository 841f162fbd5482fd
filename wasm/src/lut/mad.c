/* Multiply-add baseline on the same quantized weights (own layout, lut.h "MAD layout").
 * Activations are quantized to int8 per block of `ablk` (absmax/127, round to nearest even).
 * relaxed flavor: i16x8.relaxed_dot_i8x16_i7x16_s(int8 activations, codes 0..15) summed in
 * int16 over a 32-k chunk, then i32x4.extadd_pairwise_i16x8_s (the i32 dot-add form
 * measured slower);
 * simd128 flavor: codes widened to i16, i32x4.dot_i16x8_s against int16 activations.
 * Activation buffer (lt_mad_act_bytes): [K × int8 (relaxed) | K × int16 (simd128)]
 *   | f32 scale[K/ablk] | f32 sum16[K/16] (sums of the dequantized int8 activations). */
#include "lut.h"

#define LT_MAXTOK 8
#if LT_RELAXED
#define LT_ACT_SZ 1
#else
#define LT_ACT_SZ 2
#endif

LT_EXPORT(lt_mad_act_bytes)
uint32_t lt_mad_act_bytes(int K, int ablk) {
  if (K <= 0 || K % 32 || ablk < 16 || ablk % 16 || K % ablk) return 0;
  return (uint32_t)K * LT_ACT_SZ + (uint32_t)(K / ablk) * 4 + (uint32_t)(K / 16) * 4;
}

LT_EXPORT(lt_mad_quant)
int lt_mad_quant(uint8_t *dst, const float *x, int K, int ablk) {
  if (!lt_mad_act_bytes(K, ablk)) return -LT_ERR_SHAPE;
  float *sc = (float *)(dst + (size_t)K * LT_ACT_SZ), *s16 = sc + K / ablk;
  for (int b = 0; b < K / ablk; b++) {
    const float *xb = x + (size_t)b * ablk;
    float amax = 0;
    for (int k = 0; k < ablk; k++) { float a = lt_absf(xb[k]); if (a > amax) amax = a; }
    float inv = amax > 0 ? 127.0f / amax : 0.0f;
    sc[b] = amax / 127.0f;
    for (int k = 0; k < ablk; k++) {
      float q = lt_roundeven(xb[k] * inv);
      int qi = q > 127 ? 127 : q < -127 ? -127 : (int)q;
#if LT_RELAXED
      ((int8_t *)dst)[(size_t)b * ablk + k] = (int8_t)qi;
#else
      ((int16_t *)dst)[(size_t)b * ablk + k] = (int16_t)qi;
#endif
    }
  }
  /* Sums of the *quantized* activations: the zero-point term then sees the same
   * activations as the codes (w = d·q + m uses one a), so quantization error is not
   * amplified by the codes' non-zero mean. */
  for (int i = 0; i < K / 16; i++) {
    int a = 0;
    for (int t = 0; t < 16; t++) {
#if LT_RELAXED
      a += ((const int8_t *)dst)[16 * i + t];
#else
      a += ((const int16_t *)dst)[16 * i + t];
#endif
    }
    s16[i] = (float)a * sc[(16 * i) / ablk];
  }
  return 0;
}

/* Code vector t (0..7) of one quad (16·B bytes at q). */
LT_INLINE v128_t mad_code(const uint8_t *q, const int B, const int t) {
  if (B == 1) return wasm_v128_and(wasm_u16x8_shr(wasm_v128_load(q), t), wasm_i8x16_const_splat(1));
  if (B == 4) return wasm_v128_and(wasm_u16x8_shr(wasm_v128_load(q + 16 * (t / 2)), 4 * (t % 2)), wasm_i8x16_const_splat(15));
  v128_t c = wasm_v128_and(wasm_u16x8_shr(wasm_v128_load(q + 16 * (t / 4)), 2 * (t % 4)), wasm_i8x16_const_splat(3));
  if (B == 3) {
    v128_t h = wasm_v128_load(q + 32);
    h = t >= 2 ? wasm_u16x8_shr(h, t - 2) : wasm_i16x8_shl(h, 2 - t);
    c = wasm_v128_or(c, wasm_v128_and(h, wasm_i8x16_const_splat(4)));
  }
  return c;
}

/* Code vectors [T0, T1) of one 32-k chunk for the 4 quads of a row block. */
LT_INLINE void mad_chunk(const uint8_t *ch, const uint8_t *act, const int B, const int T0, const int T1,
                         v128_t acc[4], v128_t acc2[4]) {
  for (int qd = 0; qd < 4; qd++) {
    const uint8_t *q = ch + qd * 16 * B;
    v128_t a = acc[qd];
#if LT_RELAXED
    /* i16x8.relaxed_dot (a pmaddubsw on x64) into int16, widened once per chunk: a lane adds
     * ≤ 2·127·15 per code vector, ≤ 8 code vectors → ≤ 30480. The i32 dot-add form was
     * slower here (on x64 without AVX-VNNI it needs a second multiply-add to widen). */
    v128_t s16 = wasm_i16x8_splat(0);
    for (int t = T0; t < T1; t++)
      s16 = wasm_i16x8_add(s16, wasm_i16x8_relaxed_dot_i8x16_i7x16(wasm_v128_load32_splat(act + 4 * t), mad_code(q, B, t)));
    a = wasm_i32x4_add(a, wasm_i32x4_extadd_pairwise_i16x8(s16));
#else
    v128_t a2 = acc2[qd];
    for (int t = T0; t < T1; t++) {
      v128_t A = wasm_v128_load64_splat(act + 8 * t);
      v128_t c = mad_code(q, B, t);
      a = wasm_i32x4_add(a, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(c), A));
      a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(c), A));
    }
    acc2[qd] = a2;
#endif
    acc[qd] = a;
  }
}

LT_INLINE v128_t mad_rows(v128_t a, v128_t a2) {
#if LT_RELAXED
  (void)a2; return a;
#else /* a = [r0 k01, r0 k23, r1 k01, r1 k23], a2 the same for rows 2, 3 */
  return wasm_i32x4_add(wasm_i32x4_shuffle(a, a2, 0, 2, 4, 6), wasm_i32x4_shuffle(a, a2, 1, 3, 5, 7));
#endif
}

LT_INLINE void mad_mm(const uint8_t *W, const int B, int K, int G, int asym, float zero,
                      const uint8_t *acts, uint32_t astride, int ablk, int nt,
                      float *y, uint32_t ystride, int rb0, int rb1) {
  const int R = lt_mad_rec_k(G), rec = lt_mad_rec_bytes(B, G, asym);
  const int data = (R / 32) * 64 * B, sstride = asym ? 32 : 16;
  const uint32_t rbb = lt_mad_rb_bytes(B, K, G, asym);
  const int U = G < ablk ? G : ablk; /* flush unit (k) */
  const uint32_t sc_off = (uint32_t)K * LT_ACT_SZ, s16_off = sc_off + (uint32_t)(K / ablk) * 4;
  v128_t accf[LT_MAXTOK][4], accg[LT_MAXTOK][4];
  for (int rb = rb0; rb < rb1; rb++) {
    const uint8_t *r = W + (size_t)rb * rbb;
    for (int n = 0; n < nt; n++)
      for (int i = 0; i < 4; i++) accf[n][i] = wasm_f32x4_splat(0);
    for (int k0 = 0; k0 < K; k0 += R, r += rec) {
      for (int gg = 0; gg < R / G; gg++) {
        for (int n = 0; n < nt; n++)
          for (int i = 0; i < 4; i++) accg[n][i] = wasm_f32x4_splat(0);
        for (int u = gg * G; u < (gg + 1) * G; u += U) { /* k offset within the record */
          for (int n = 0; n < nt; n++) {
            const uint8_t *an = acts + (size_t)n * astride;
            v128_t acc[4], acc2[4];
            for (int i = 0; i < 4; i++) acc[i] = acc2[i] = wasm_i32x4_splat(0);
            if (U >= 32) {
              for (int kk = u; kk < u + U; kk += 32)
                mad_chunk(r + (kk / 32) * 64 * B, an + (size_t)(k0 + kk) * LT_ACT_SZ, B, 0, 8, acc, acc2);
            } else { /* U == 16: half a chunk */
              const uint8_t *ch = r + (u / 32) * 64 * B;
              const uint8_t *a = an + (size_t)(k0 + (u & ~31)) * LT_ACT_SZ;
              if (u & 16) mad_chunk(ch, a, B, 4, 8, acc, acc2);
              else mad_chunk(ch, a, B, 0, 4, acc, acc2);
            }
            v128_t as = wasm_f32x4_splat(((const float *)(an + sc_off))[(k0 + u) / ablk]);
            for (int i = 0; i < 4; i++)
              accg[n][i] = lt_madd(wasm_f32x4_convert_i32x4(mad_rows(acc[i], acc2[i])), as, accg[n][i]);
          }
        }
        const float *d = (const float *)(r + data) + gg * sstride, *m = d + 16;
        for (int n = 0; n < nt; n++) {
          const float *s16 = (const float *)(acts + (size_t)n * astride + s16_off) + (k0 + gg * G) / 16;
          float A = 0;
          for (int i = 0; i < G / 16; i++) A += s16[i];
          v128_t Av = wasm_f32x4_splat(A), zA = wasm_f32x4_splat(-zero * A);
          for (int i = 0; i < 4; i++) {
            v128_t dv = wasm_v128_load(d + 4 * i);
            v128_t bias = asym ? wasm_f32x4_mul(wasm_v128_load(m + 4 * i), Av) : wasm_f32x4_mul(dv, zA);
            accf[n][i] = wasm_f32x4_add(lt_madd(accg[n][i], dv, bias), accf[n][i]);
          }
        }
      }
    }
    for (int n = 0; n < nt; n++)
      for (int i = 0; i < 4; i++) wasm_v128_store(y + (size_t)n * ystride + rb * 16 + 4 * i, accf[n][i]);
  }
}

/* Multiply-add matmul on the MAD layout. acts: ntok activation buffers from lt_mad_quant,
 * astride bytes apart. Rows [row0, row1) must be multiples of 16. */
LT_EXPORT(lt_mad_mm)
int lt_mad_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero,
              const uint8_t *acts, int ablk, int ntok, uint32_t astride,
              float *y, uint32_t ystride, int row0, int row1) {
  if (bits < 1 || bits > 4 || ntok < 1 || row0 < 0 || row1 < row0) return -LT_ERR_ARG;
  if (row0 % 16 || row1 % 16 || G < 16 || G % 16 || K % G || K % 32 || K % lt_mad_rec_k(G)) return -LT_ERR_SHAPE;
  if (ablk < 16 || ablk % 16 || K % ablk) return -LT_ERR_SHAPE;
  int U = G < ablk ? G : ablk;
  if (G % U || ablk % U || (U > 16 && U % 32)) return -LT_ERR_SHAPE;
  const int rb0 = row0 / 16, rb1 = row1 / 16;
  for (int n0 = 0; n0 < ntok; n0 += LT_MAXTOK) {
    int nt = ntok - n0 < LT_MAXTOK ? ntok - n0 : LT_MAXTOK;
    const uint8_t *a = acts + (size_t)n0 * astride;
    float *yy = y + (size_t)n0 * ystride;
    if (nt == 1) {
#define LT_MAD1(b) mad_mm(W, b, K, G, asym, zero, a, astride, ablk, 1, yy, ystride, rb0, rb1)
      switch (bits) { case 1: LT_MAD1(1); break; case 2: LT_MAD1(2); break; case 3: LT_MAD1(3); break; default: LT_MAD1(4); }
    } else {
#define LT_MADN(b) mad_mm(W, b, K, G, asym, zero, a, astride, ablk, nt, yy, ystride, rb0, rb1)
      switch (bits) { case 1: LT_MADN(1); break; case 2: LT_MADN(2); break; case 3: LT_MADN(3); break; default: LT_MADN(4); }
    }
  }
  return 0;
}
