/* LUT matmuls over the canonical layout (lut.h): y[n][r] = Σ_k w[r][k]·x_n[k] for rows
 * [row0, row1) and ntok tokens, each token's tables at tab + n·tstride, outputs at
 * y + n·ystride. ntok == 1 is mpGEMV; ntok > 1 is mpGEMM, which reuses each weight tile
 * (one flush chunk, ≤ 16 activation groups × b vectors) from L1 for up to 8 tokens.
 *
 * int16 accumulation bound: one activation group adds at most (2^b − 1)·127 ≤ 1905 per
 * row (planes combined with weights 2^p); chunks are ≤ 16 groups → ≤ 30480 < 32767.
 * The per-token mode splits its int16 tables into a low and a high part and sums each part's
 * lookups as bytes over 8 groups before pairing and widening: bounds at tok_vec. */
#include "lookup.h"

#define LT_MAXTOK 8

/* Per-token mode. Its int16 tables T (|T| ≤ 4·127 = 508) are stored as two byte tables,
 * T = lo + 32·hi with lo = T & 31 ∈ [0, 31] and hi = T >> 5 ∈ [−16, 15] (tables.c build_tok),
 * so that the lookups of 8 groups can be summed as bytes: ≤ 8·31 = 248 (u8) and within
 * [−128, 120] (i8). Only then are lanes paired (the two planes of a row), hi shifted and both
 * added in i16, once per 8 groups. Per index vector and group that is two swizzles and two byte
 * adds, where a lo/hi split at bit 8 needs an i16 pair-sum per lookup (lo does not fit 8 groups
 * in a byte) and a shift and two adds more.
 *
 * i16 bound (tok_vec's accumulators, over a chunk of ng groups): a group adds ≤ 508 per plane
 * and row, planes weighted (1, 1) (ternary), (1, 2) (b = 2) or one plane (b = 1): ≤ 32·2·508 =
 * 32512 (ternary, ng ≤ 32), 16·3·508 = 24384 (b = 2, ng ≤ 16), 32·508 (b = 1). The per-8-group
 * terms are within that too: pair(lo) ≤ 3·248, 32·pair(hi) ∈ [−32·384, 32·360]. */
LT_INLINE v128_t pair_u8(v128_t L, const int B) { /* unsigned bytes, planes weighted as lt_pair */
  v128_t s = wasm_u16x8_extadd_pairwise_u8x16(L);
  return B == 2 ? wasm_i16x8_add(s, wasm_u16x8_shr(L, 8)) : s;
}
/* n ≤ 8 groups of the two index vectors in vector w (+ ws per group): byte sums of the lo and
 * hi lookups, low nibbles (l[0], h[0]) and high nibbles (l[1], h[1]). */
LT_INLINE void tok_bytes(const uint8_t *w, int ws, const uint8_t *T, const int n, v128_t l[2], v128_t h[2]) {
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  v128_t l0 = wasm_i8x16_splat(0), h0 = l0, l1 = l0, h1 = l0;
#pragma clang loop unroll_count(2)
  for (int g = 0; g < n; g++) {
    v128_t W = wasm_v128_load(w + (size_t)ws * g);
    v128_t tl = wasm_v128_load(T + 32 * g), th = wasm_v128_load(T + 32 * g + 16);
    v128_t i0 = wasm_v128_and(W, m4), i1 = wasm_v128_and(wasm_u16x8_shr(W, 4), m4);
    l0 = wasm_i8x16_add(l0, lt_swz(tl, i0)); h0 = wasm_i8x16_add(h0, lt_swz(th, i0));
    l1 = wasm_i8x16_add(l1, lt_swz(tl, i1)); h1 = wasm_i8x16_add(h1, lt_swz(th, i1));
  }
  l[0] = l0; l[1] = l1; h[0] = h0; h[1] = h1;
}
/* i16 lanes (rows) of 8 groups' byte sums: lane pairs (b = 2, ternary) or, for b = 1, even (e)
 * and odd (o) lanes */
LT_INLINE v128_t tok_rows(v128_t l, v128_t h, const int B) {
  return wasm_i16x8_add(pair_u8(l, B), wasm_i16x8_shl(lt_pair(h, B == LT_TERN ? 2 : 0), 5));
}
LT_INLINE v128_t tok_rows_e(v128_t l, v128_t h) {
  return wasm_i16x8_add(wasm_v128_and(l, wasm_i16x8_const_splat(0xFF)), wasm_i16x8_shl(lt_even(h, 0), 5));
}
LT_INLINE v128_t tok_rows_o(v128_t l, v128_t h) {
  return wasm_i16x8_add(wasm_u16x8_shr(l, 8), wasm_i16x8_shl(lt_odd(h, 0), 5));
}
LT_INLINE void add_i32(int32_t *p, v128_t v) { /* p[0..8) += the 8 i16 lanes of v */
  wasm_v128_store(p, wasm_i32x4_add(wasm_v128_load(p), wasm_i32x4_extend_low_i16x8(v)));
  wasm_v128_store(p + 4, wasm_i32x4_add(wasm_v128_load(p + 4), wasm_i32x4_extend_high_i16x8(v)));
}
/* The rows of the two index vectors (low, high nibbles) of weight vector w, w + ws, ... over
 * ng ≤ 32 groups (≤ 16 for b = 2), added into acc as i32:
 *   b = 2, ternary: 8 rows each (lane pairs): low nibbles → acc[0..8), high → acc[8..16);
 *   b = 1: 16 rows each, even and odd lanes: low → acc[0..8) / [8..16), high → [16..24) / [24..32). */
LT_INLINE void tok_vec(const uint8_t *w, const uint8_t *T, int ng, const int B, int32_t *acc) {
  const int ws = 16 * LT_PLANES(B);
  v128_t a0 = wasm_i16x8_splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (int g = 0; g < ng; g += 8) {
    v128_t l[2], h[2];
    if (ng - g >= 8) tok_bytes(w + (size_t)ws * g, ws, T + 32 * g, 8, l, h);
    else tok_bytes(w + (size_t)ws * g, ws, T + 32 * g, ng - g, l, h);
    if (B != 1) {
      a0 = wasm_i16x8_add(a0, tok_rows(l[0], h[0], B));
      a1 = wasm_i16x8_add(a1, tok_rows(l[1], h[1], B));
    } else {
      a0 = wasm_i16x8_add(a0, tok_rows_e(l[0], h[0])); a1 = wasm_i16x8_add(a1, tok_rows_o(l[0], h[0]));
      a2 = wasm_i16x8_add(a2, tok_rows_e(l[1], h[1])); a3 = wasm_i16x8_add(a3, tok_rows_o(l[1], h[1]));
    }
  }
  add_i32(acc, a0); add_i32(acc + 8, a1);
  if (B == 1) { add_i32(acc + 16, a2); add_i32(acc + 24, a3); }
}

/* One chunk of ng ≤ 32 groups (≤ 16 for b = 2) of a row block: acc[r] += row r's table sums, in
 * i32 (memory). One weight vector (16 rows) at a time, so that few values are live and the engine
 * keeps them all in registers: with all four index vectors in one loop, or inlined into mm_tok
 * next to its f32 accumulators, V8 spilled accumulators to the stack at every group. */
static __attribute__((noinline)) void tok_chunk(const uint8_t *w, const uint8_t *T, int ng, int B, int32_t acc[32]) {
  if (B == LT_TERN) { tok_vec(w, T, ng, LT_TERN, acc); tok_vec(w + 16, T, ng, LT_TERN, acc + 16); }
  else if (B == 2) { tok_vec(w, T, ng, 2, acc); tok_vec(w + 16, T, ng, 2, acc + 16); }
  else tok_vec(w, T, ng, 1, acc);
}

/* Mode 0's lookups of one chunk (F ≤ 16 groups) of a row block, widened to i32 in out[32]. Not
 * inlined, for the reason given at tok_chunk: inside mm_i8, next to the f32 accumulators of up to
 * 8 tokens, V8 spilled the lookup loop's accumulators and constants to the stack at every group. */
static __attribute__((noinline)) void i8_chunk(const uint8_t *wc, const int8_t *T, int F, int B, int32_t out[32]) {
  v128_t acc[4] = {wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0), wasm_i16x8_splat(0)};
#define LT_I8C(b) if (F == 16) lut_groups(wc, T, 16, b, acc); else lut_groups(wc, T, F, b, acc)
  switch (B) { case 1: LT_I8C(1); break; case 2: LT_I8C(2); break; case 3: LT_I8C(3); break; case 4: LT_I8C(4); break; default: LT_I8C(LT_TERN); break; }
  v128_t wi[8];
  widen8(acc, wi);
  for (int i = 0; i < 8; i++) wasm_v128_store(out + 4 * i, wi[i]);
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
          int32_t o[32] __attribute__((aligned(16)));
          i8_chunk(wc, (const int8_t *)tn + 16 * j0, F, B, o);
          v128_t tsv = wasm_f32x4_splat(0.5f * ((const float *)(tn + ts_off))[(j0 * 4) / ags]);
          for (int i = 0; i < 8; i++) accg[n][i] = lt_madd(wasm_f32x4_convert_i32x4(wasm_v128_load(o + 4 * i)), tsv, accg[n][i]);
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
  const int C = B == 2 ? 16 : 32; /* chunk bound: tok_vec */
  const int F = ng_w < C ? ng_w : C;
  const int rec = lt_lut_rec_bytes(B, G, 0);
  const uint32_t rbb = lt_lut_rb_bytes(B, K, G, 0);
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
        int32_t acc32[32] __attribute__((aligned(16))) = {0};
        for (int c = 0; c < ng_w; c += F) {
          const int ng = ng_w - c < F ? ng_w - c : F;
          tok_chunk(r + (size_t)c * LT_PLANES(B) * 16, tn + (size_t)32 * (gi * ng_w + c), ng, B, acc32);
        }
        int Q = 0; /* ternary: c0 = 0, no Q term */
        if (B != LT_TERN && c2)
          for (int i = 0; i < G / 16; i++) Q += qs[gi * (G / 16) + i];
        const v128_t kconst = wasm_i32x4_splat(c2 * Q);
        const float *d = (const float *)(r + ng_w * LT_PLANES(B) * 16);
        for (int i = 0; i < 8; i++) {
          v128_t L = wasm_v128_load(acc32 + 4 * i);
          v128_t dot = wasm_i32x4_shr(B == LT_TERN ? L : wasm_i32x4_add(L, kconst), 1);
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
