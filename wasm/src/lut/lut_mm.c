/* LUT matmuls over the canonical layout (lut.h): y[n][r] = Σ_k w[r][k]·x_n[k] for rows
 * [row0, row1) and ntok tokens, each token's tables at tab + n·tstride, outputs at
 * y + n·ystride. ntok == 1 is mpGEMV; ntok > 1 is mpGEMM, which reuses each weight tile
 * (one flush chunk, ≤ 16 activation groups × b vectors) from L1 for up to 8 tokens.
 *
 * int16 accumulation bound: one activation group adds at most (2^b − 1)·127 ≤ 1905 per
 * row (planes combined with weights 2^p); chunks are ≤ 16 groups → ≤ 30480 < 32767.
 * In the per-token mode a group adds ≤ 3·(128 + 2·256) = 1920 (b ≤ 2), same bound. */
#include "lookup.h"

#define LT_MAXTOK 8

/* Per-token mode: int16 tables as a biased low-byte table and a high-byte table. */
LT_INLINE void lut_groups_tok(const uint8_t *w, const uint8_t *T, int ng, const int B, v128_t acc[4]) {
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  v128_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  for (int g = 0; g < ng; g++) {
    v128_t tl = wasm_v128_load(T + 32 * g), th = wasm_v128_load(T + 32 * g + 16);
    if (B != 1) {
      const int q = B == LT_TERN ? 2 : 0;
      v128_t W0 = wasm_v128_load(w), W1 = wasm_v128_load(w + 16);
      v128_t i0 = wasm_v128_and(W0, m4), i1 = wasm_v128_and(wasm_u16x8_shr(W0, 4), m4);
      v128_t i2 = wasm_v128_and(W1, m4), i3 = wasm_v128_and(wasm_u16x8_shr(W1, 4), m4);
      a0 = wasm_i16x8_add(a0, wasm_i16x8_add(lt_pair(lt_swz(tl, i0), q), wasm_i16x8_shl(lt_pair(lt_swz(th, i0), q), 8)));
      a1 = wasm_i16x8_add(a1, wasm_i16x8_add(lt_pair(lt_swz(tl, i1), q), wasm_i16x8_shl(lt_pair(lt_swz(th, i1), q), 8)));
      a2 = wasm_i16x8_add(a2, wasm_i16x8_add(lt_pair(lt_swz(tl, i2), q), wasm_i16x8_shl(lt_pair(lt_swz(th, i2), q), 8)));
      a3 = wasm_i16x8_add(a3, wasm_i16x8_add(lt_pair(lt_swz(tl, i3), q), wasm_i16x8_shl(lt_pair(lt_swz(th, i3), q), 8)));
    } else { /* B == 1 */
      v128_t W = wasm_v128_load(w);
      v128_t i0 = wasm_v128_and(W, m4), i1 = wasm_v128_and(wasm_u16x8_shr(W, 4), m4);
      v128_t l0 = lt_swz(tl, i0), h0 = lt_swz(th, i0), l1 = lt_swz(tl, i1), h1 = lt_swz(th, i1);
      a0 = wasm_i16x8_add(a0, wasm_i16x8_add(lt_even(l0, 0), wasm_i16x8_shl(lt_even(h0, 0), 8)));
      a1 = wasm_i16x8_add(a1, wasm_i16x8_add(lt_odd(l0, 0), wasm_i16x8_shl(lt_odd(h0, 0), 8)));
      a2 = wasm_i16x8_add(a2, wasm_i16x8_add(lt_even(l1, 0), wasm_i16x8_shl(lt_even(h1, 0), 8)));
      a3 = wasm_i16x8_add(a3, wasm_i16x8_add(lt_odd(l1, 0), wasm_i16x8_shl(lt_odd(h1, 0), 8)));
    }
    w += 16 * LT_PLANES(B);
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

/* Mode 0 (int8 tables), rows blocks [rb0, rb1), nt tokens (≤ LT_MAXTOK). */
LT_INLINE void mm_i8(const uint8_t *W, const int B, int K, int G, int asym, float c0,
                     const uint8_t *tab, uint32_t tstride, int ags, int nt,
                     float *y, uint32_t ystride, int rb0, int rb1) {
  const int ng_w = G / 4;                               /* activation groups per weight group */
  int F = 16; if (G / 4 < F) F = G / 4; if (ags / 4 < F) F = ags / 4;
  const int rec = lt_lut_rec_bytes(B, G, asym);
  const uint32_t rbb = lt_lut_rb_bytes(B, K, G, asym);
  const uint32_t ts_off = (uint32_t)K * 4, s16_off = ts_off + (uint32_t)(K / ags) * 4;
  v128_t accf[LT_MAXTOK][8], accg[LT_MAXTOK][8];
  for (int rb = rb0; rb < rb1; rb++) {
    const uint8_t *r = W + (size_t)rb * rbb;
    for (int n = 0; n < nt; n++)
      for (int i = 0; i < 8; i++) accf[n][i] = wasm_f32x4_splat(0);
    for (int gi = 0; gi < K / G; gi++, r += rec) {
      for (int n = 0; n < nt; n++)
        for (int i = 0; i < 8; i++) accg[n][i] = wasm_f32x4_splat(0);
      for (int c = 0; c < ng_w; c += F) {
        const int j0 = gi * ng_w + c;
        const uint8_t *wc = r + (size_t)c * LT_PLANES(B) * 16;
        for (int n = 0; n < nt; n++) {
          const uint8_t *tn = tab + (size_t)n * tstride;
          v128_t acc[4] = {wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0)};
          if (F == 16) lut_groups(wc, (const int8_t *)tn + 16 * j0, 16, B, acc);
          else lut_groups(wc, (const int8_t *)tn + 16 * j0, F, B, acc);
          v128_t tsv = wasm_f32x4_splat(0.5f * ((const float *)(tn + ts_off))[(j0 * 4) / ags]);
          v128_t wi[8];
          widen8(acc, wi);
          for (int i = 0; i < 8; i++) accg[n][i] = lt_madd(wasm_f32x4_convert_i32x4(wi[i]), tsv, accg[n][i]);
        }
      }
      const float *d = (const float *)(r + ng_w * LT_PLANES(B) * 16);
      const float *mp = d + 32;
      for (int n = 0; n < nt; n++) {
        const float *s16 = (const float *)(tab + (size_t)n * tstride + s16_off) + gi * (G / 16);
        float A = 0;
        for (int i = 0; i < G / 16; i++) A += s16[i];
        v128_t Av = wasm_f32x4_splat(A), c0v = wasm_f32x4_splat(c0 * A);
        for (int i = 0; i < 8; i++) {
          v128_t dv = wasm_v128_load(d + 4 * i);
          v128_t bias = asym ? wasm_f32x4_mul(wasm_v128_load(mp + 4 * i), Av) : wasm_f32x4_mul(dv, c0v);
          accf[n][i] = wasm_f32x4_add(lt_madd(accg[n][i], dv, bias), accf[n][i]);
        }
      }
    }
    for (int n = 0; n < nt; n++)
      for (int i = 0; i < 8; i++) wasm_v128_store(y + (size_t)n * ystride + rb * 32 + 4 * i, accf[n][i]);
  }
}

/* Mode 2 (per-token int8 activations, exact int16 tables); symmetric weights only.
 * Per weight group: L = Σ_p 2^p Σ_j T_p[j] (integer), Q = Σ qa over the group,
 * dot = Σ (q − zero)·qa = (L + 2·c0·Q)/2 exactly; y = s_a · Σ_G fl(dot_G · d_G). */
LT_INLINE void mm_tok(const uint8_t *W, const int B, int K, int G, float c0,
                      const uint8_t *tab, uint32_t tstride, int nt,
                      float *y, uint32_t ystride, int rb0, int rb1) {
  const int ng_w = G / 4;
  int F = 16; if (ng_w < F) F = ng_w;
  const int rec = lt_lut_rec_bytes(B, G, 0);
  const uint32_t rbb = lt_lut_rb_bytes(B, K, G, 0);
  const int bias_per_group = 128 * (B == LT_TERN ? 2 : (1 << B) - 1);
  const int c2 = (int)(2.0f * c0); /* integer for zero points that make exact sense */
  for (int n = 0; n < nt; n++) {
    const uint8_t *tn = tab + (size_t)n * tstride;
    const float sa = *(const float *)(tn + (size_t)K * 8);
    const int32_t *qs = (const int32_t *)(tn + (size_t)K * 8 + 16);
    for (int rb = rb0; rb < rb1; rb++) {
      const uint8_t *r = W + (size_t)rb * rbb;
      v128_t accf[8];
      for (int i = 0; i < 8; i++) accf[i] = wasm_f32x4_splat(0);
      for (int gi = 0; gi < K / G; gi++, r += rec) {
        v128_t acc32[8];
        for (int i = 0; i < 8; i++) acc32[i] = wasm_i32x4_splat(0);
        for (int c = 0; c < ng_w; c += F) {
          v128_t acc[4] = {wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0)};
          lut_groups_tok(r + (size_t)c * LT_PLANES(B) * 16, tn + (size_t)32 * (gi * ng_w + c), F, B, acc);
          v128_t wi[8];
          widen8(acc, wi);
          for (int i = 0; i < 8; i++) acc32[i] = wasm_i32x4_add(acc32[i], wi[i]);
        }
        int Q = 0;
        for (int i = 0; i < G / 16; i++) Q += qs[gi * (G / 16) + i];
        v128_t kconst = wasm_i32x4_splat(bias_per_group * ng_w + c2 * Q);
        const float *d = (const float *)(r + ng_w * LT_PLANES(B) * 16);
        for (int i = 0; i < 8; i++) {
          v128_t dot = wasm_i32x4_shr(wasm_i32x4_add(acc32[i], kconst), 1);
          /* separate mul and add (no fused madd): bit-exact against the reference */
          accf[i] = wasm_f32x4_add(accf[i], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(dot), wasm_v128_load(d + 4 * i)));
        }
      }
      v128_t sav = wasm_f32x4_splat(sa);
      for (int i = 0; i < 8; i++)
        wasm_v128_store(y + (size_t)n * ystride + rb * 32 + 4 * i, wasm_f32x4_mul(accf[i], sav));
    }
  }
}

/* Mode 1 (f32 tables, exact): scalar, decodes the layout nibble by nibble. */
static void mm_f32(const uint8_t *W, int B, int K, int G, int asym, float c0,
                   const uint8_t *tab, uint32_t tstride, int nt, float *y, uint32_t ystride, int rb0, int rb1) {
  const int ng_w = G / 4, rec = lt_lut_rec_bytes(B, G, asym);
  const uint32_t rbb = lt_lut_rb_bytes(B, K, G, asym);
  for (int n = 0; n < nt; n++) {
    const float *T = (const float *)(tab + (size_t)n * tstride);
    const float *s16 = T + (size_t)K * 4;
    for (int rb = rb0; rb < rb1; rb++) {
      for (int rr = 0; rr < 32; rr++) {
        float acc = 0;
        const uint8_t *r = W + (size_t)rb * rbb;
        for (int gi = 0; gi < K / G; gi++, r += rec) {
          float L = 0;
          for (int g = 0; g < ng_w; g++) {
            const float *t = T + 16 * (gi * ng_w + g);
            for (int p = 0; p < LT_PLANES(B); p++) {
              int byte, hi;
              lt_lut_pos(B, rr, p, &byte, &hi);
              uint8_t v = r[g * LT_PLANES(B) * 16 + byte];
              L += (float)(B == LT_TERN ? 1 : 1 << p) * t[hi ? v >> 4 : v & 15];
            }
          }
          float A = 0;
          for (int i = 0; i < G / 16; i++) A += s16[gi * (G / 16) + i];
          const float *d = (const float *)(r + ng_w * LT_PLANES(B) * 16);
          float mp = asym ? d[32 + rr] : c0 * d[rr];
          acc += 0.5f * d[rr] * L + mp * A;
        }
        y[(size_t)n * ystride + rb * 32 + rr] = acc;
      }
    }
  }
}

#define LT_DISPATCH_B(call) \
  switch (bits) { case 1: call(1); break; case 2: call(2); break; case 3: call(3); break; case 4: call(4); break; default: call(LT_TERN); break; }

/* The LUT matmul. W: canonical layout of a [M][K] weight (bits, G, asym; zero for the
 * symmetric layout: w = d·(q − zero)). tab: tables of ntok tokens, tstride bytes apart,
 * built with (ags, mode). y: ntok rows of ystride floats; rows [row0, row1) are written.
 * Returns 0, or −LT_ERR_SHAPE / −LT_ERR_ARG without touching y. */
LT_EXPORT(lt_lut_mm)
int lt_lut_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero,
              const uint8_t *tab, int mode, int ags, int ntok, uint32_t tstride,
              float *y, uint32_t ystride, int row0, int row1) {
  if (((bits < 1 || bits > 4) && bits != LT_TERN) || ntok < 1 || row0 < 0 || row1 < row0) return -LT_ERR_ARG;
  if (bits == LT_TERN && asym) return -LT_ERR_ARG;
  if (asym == LT_KQ) {
    if (bits != 2 || G != 16 || K % 256 || K > LT_KQ_MAXK || row0 % 32 || row1 % 32) return -LT_ERR_SHAPE;
    if (mode != LT_TAB_I8 && mode != LT_TAB_TOK_I8) return -LT_ERR_ARG;
    if (ags < 32 || ags % 32 || K % ags || (ags < 256 ? 256 % ags : ags % 256)) return -LT_ERR_SHAPE;
    lt_kq_mm(W, K, tab, tstride, ags, ntok, y, ystride, row0 / 32, row1 / 32);
    return 0;
  }
  if (row0 % 32 || row1 % 32 || G < 16 || G % 16 || K % G) return -LT_ERR_SHAPE;
  if (mode == LT_TAB_TOK_I8) mode = LT_TAB_I8; /* the same table layout */
  if (mode == LT_TAB_I8) {
    if (ags < 16 || ags % 16 || K % ags) return -LT_ERR_SHAPE;
    int F = 16; if (G / 4 < F) F = G / 4; if (ags / 4 < F) F = ags / 4;
    if ((G / 4) % F || (ags / 4) % F) return -LT_ERR_SHAPE;
  } else if (mode == LT_TAB_TOK) {
    if ((bits > 2 && bits != LT_TERN) || asym) return -LT_ERR_ARG;
    /* the integer dot Σ (q − zero)·qa needs an integer zero point */
    if (bits != LT_TERN && zero != (float)(int)zero) return -LT_ERR_ARG;
  } else if (mode != LT_TAB_F32) return -LT_ERR_ARG;
  /* ternary: w = ½d(σ0 + σ1), no bias term */
  const float c0 = bits == LT_TERN ? 0.0f : 0.5f * (float)((1 << bits) - 1) - zero;
  const int rb0 = row0 / 32, rb1 = row1 / 32;
  if (mode == LT_TAB_F32) { mm_f32(W, bits, K, G, asym, c0, tab, tstride, ntok, y, ystride, rb0, rb1); return 0; }
  if (mode == LT_TAB_TOK) {
    if (bits == 1) mm_tok(W, 1, K, G, c0, tab, tstride, ntok, y, ystride, rb0, rb1);
    else if (bits == 2) mm_tok(W, 2, K, G, c0, tab, tstride, ntok, y, ystride, rb0, rb1);
    else mm_tok(W, LT_TERN, K, G, c0, tab, tstride, ntok, y, ystride, rb0, rb1);
    return 0;
  }
  if (ntok == 1) {
#define LT_GEMV(b) mm_i8(W, b, K, G, asym, c0, tab, tstride, ags, 1, y, ystride, rb0, rb1)
    LT_DISPATCH_B(LT_GEMV)
    return 0;
  }
  for (int n0 = 0; n0 < ntok; n0 += LT_MAXTOK) {
    int nt = ntok - n0 < LT_MAXTOK ? ntok - n0 : LT_MAXTOK;
    const uint8_t *t = tab + (size_t)n0 * tstride;
    float *yy = y + (size_t)n0 * ystride;
#define LT_GEMM(b) mm_i8(W, b, K, G, asym, c0, t, tstride, ags, nt, yy, ystride, rb0, rb1)
    LT_DISPATCH_B(LT_GEMM)
  }
  return 0;
}
