/* Table build: one 16-entry table per 4 activations, T[i] = Σ_t (2·bit_t(i) − 1)·a_(4j+t).
 * Mirror consolidation: only the 8 entries with bit 3 set are computed; T[15−i] = −T[i]
 * gives the rest (exactly, also after rounding, since round-to-nearest-even is odd-symmetric).
 * See lut.h for the three table layouts. */
#include "lut.h"

LT_EXPORT(lt_lut_table_bytes)
uint32_t lt_lut_table_bytes(int K, int ags, int mode) {
  if (K <= 0 || K % 16) return 0;
  switch (mode) {
  case LT_TAB_I8:
  case LT_TAB_TOK_I8:
    if (ags <= 0 || ags % 16 || K % ags) return 0;
    return (uint32_t)K * 4 + (uint32_t)(K / ags) * 4 + (uint32_t)(K / 16) * 4;
  case LT_TAB_F32: return (uint32_t)K * 16 + (uint32_t)(K / 16) * 4;
  case LT_TAB_TOK: return (uint32_t)K * 8 + 16 + (uint32_t)(K / 16) * 4;
  }
  return 0;
}

static void sums16(float *s, const float *x, int K) {
  for (int i = 0; i < K / 16; i++) {
    float acc = 0;
    for (int t = 0; t < 16; t++) acc += x[16 * i + t];
    s[i] = acc;
  }
}

/* Transposed activations for 4 groups → the 8 "bit-3 set" entries, lanes = groups. */
LT_INLINE void entries8(const float *x, v128_t e[8]) {
  v128_t r0 = wasm_v128_load(x), r1 = wasm_v128_load(x + 4), r2 = wasm_v128_load(x + 8),
         r3 = wasm_v128_load(x + 12);
  /* 4×4 transpose: a_t = [g0.a_t, g1.a_t, g2.a_t, g3.a_t] */
  v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  v128_t a0 = wasm_i64x2_shuffle(t0, t1, 0, 2), a1 = wasm_i64x2_shuffle(t0, t1, 1, 3);
  v128_t a2 = wasm_i64x2_shuffle(t2, t3, 0, 2), a3 = wasm_i64x2_shuffle(t2, t3, 1, 3);
  v128_t p = wasm_f32x4_add(a3, a2), n = wasm_f32x4_sub(a3, a2);
  v128_t pp = wasm_f32x4_add(p, a1), pm = wasm_f32x4_sub(p, a1);
  v128_t np = wasm_f32x4_add(n, a1), nm = wasm_f32x4_sub(n, a1);
  e[0] = wasm_f32x4_sub(nm, a0); e[1] = wasm_f32x4_add(nm, a0); /* T[8], T[9]   */
  e[2] = wasm_f32x4_sub(np, a0); e[3] = wasm_f32x4_add(np, a0); /* T[10], T[11] */
  e[4] = wasm_f32x4_sub(pm, a0); e[5] = wasm_f32x4_add(pm, a0); /* T[12], T[13] */
  e[6] = wasm_f32x4_sub(pp, a0); e[7] = wasm_f32x4_add(pp, a0); /* T[14], T[15] */
}

/* Quantized entries (lanes = groups) → 4 full 16-byte tables. b0 = [T8 g0..3, T9.., T10.., T11..],
 * b1 = [T12.., ..., T15..]. Table g = [−T15 .. −T8, T8 .. T15]. */
#define LT_TAB_SHUF(g) wasm_i8x16_shuffle(b0, b1, 28 + g, 24 + g, 20 + g, 16 + g, 12 + g, 8 + g, 4 + g, g, \
                                          g, 4 + g, 8 + g, 12 + g, 16 + g, 20 + g, 24 + g, 28 + g)
LT_INLINE void store4(int8_t *dst, v128_t b0, v128_t b1) {
  const v128_t m = wasm_i64x2_make(-1, 0); /* negate the low 8 bytes */
  v128_t x;
  x = LT_TAB_SHUF(0); wasm_v128_store(dst + 0, wasm_i8x16_sub(wasm_v128_xor(x, m), m));
  x = LT_TAB_SHUF(1); wasm_v128_store(dst + 16, wasm_i8x16_sub(wasm_v128_xor(x, m), m));
  x = LT_TAB_SHUF(2); wasm_v128_store(dst + 32, wasm_i8x16_sub(wasm_v128_xor(x, m), m));
  x = LT_TAB_SHUF(3); wasm_v128_store(dst + 48, wasm_i8x16_sub(wasm_v128_xor(x, m), m));
}

static void build_i8(uint8_t *tab, const float *x, int K, int ags) {
  int8_t *T = (int8_t *)tab;
  float *ts = (float *)(tab + (size_t)K * 4);
  float *s16 = ts + K / ags;
  sums16(s16, x, K); /* first: build_tok_i8 passes x in the table's own bytes */
  for (int blk = 0; blk < K / ags; blk++) {
    const float *xb = x + (size_t)blk * ags;
    /* scale: the largest possible |entry| in the block, Σ|a| of a group, maps to 127 */
    v128_t mx = wasm_f32x4_splat(0);
    for (int i = 0; i < ags; i += 16) {
      v128_t e[8];
      entries8(xb + i, e);
      /* |T15| and |T8| ... the max over all entries of a group is Σ|a|; take max |e| */
      for (int q = 0; q < 8; q++) mx = wasm_f32x4_max(mx, wasm_f32x4_abs(e[q]));
    }
    float m = wasm_f32x4_extract_lane(mx, 0);
    for (int l = 1; l < 4; l++) {
      float v = l == 1 ? wasm_f32x4_extract_lane(mx, 1) : l == 2 ? wasm_f32x4_extract_lane(mx, 2)
                                                                 : wasm_f32x4_extract_lane(mx, 3);
      if (v > m) m = v;
    }
    float scale = m / 127.0f, inv = m > 0 ? 127.0f / m : 0.0f;
    ts[blk] = scale;
    v128_t vinv = wasm_f32x4_splat(inv);
    for (int i = 0; i < ags; i += 16) {
      v128_t e[8], q[8];
      entries8(xb + i, e);
      for (int k = 0; k < 8; k++)
        q[k] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(e[k], vinv)));
      v128_t n0 = wasm_i16x8_narrow_i32x4(q[0], q[1]), n1 = wasm_i16x8_narrow_i32x4(q[2], q[3]);
      v128_t n2 = wasm_i16x8_narrow_i32x4(q[4], q[5]), n3 = wasm_i16x8_narrow_i32x4(q[6], q[7]);
      v128_t b0 = wasm_i8x16_narrow_i16x8(n0, n1), b1 = wasm_i8x16_narrow_i16x8(n2, n3);
      store4(T + ((size_t)blk * ags + i) * 4, b0, b1);
    }
  }
}

/* Mode 3: BitNet b1.58's activations — int8 per token, qa = roundeven(x·127/amax) — then the
 * int8 tables of mode 0 built from qa, their scales times amax/127. The model is defined on qa,
 * so this rounding is the model's own; only the table quantization is lutra's. qa (as floats)
 * goes in the table's K·4 bytes: build_i8 reads each 16-activation chunk before it writes that
 * chunk's 64 table bytes over it, and takes the sums first. */
static void build_tok_i8(uint8_t *tab, const float *x, int K, int ags) {
  float amax = 0;
  for (int k = 0; k < K; k++) { float a = lt_absf(x[k]); if (a > amax) amax = a; }
  const float inv = amax > 0 ? 127.0f / amax : 0.0f, sa = amax / 127.0f;
  float *qa = (float *)tab;
  for (int k = 0; k < K; k++) {
    float q = lt_roundeven(x[k] * inv);
    qa[k] = q > 127 ? 127 : q < -127 ? -127 : q;
  }
  build_i8(tab, qa, K, ags);
  float *ts = (float *)(tab + (size_t)K * 4), *s16 = ts + K / ags;
  for (int i = 0; i < K / ags; i++) ts[i] *= sa;
  for (int i = 0; i < K / 16; i++) s16[i] *= sa;
}

static void build_f32(uint8_t *tab, const float *x, int K) {
  float *T = (float *)tab;
  for (int j = 0; j < K / 4; j++) {
    for (int i = 0; i < 16; i++) {
      float s = 0;
      for (int t = 0; t < 4; t++) s += ((i >> t) & 1) ? x[4 * j + t] : -x[4 * j + t];
      T[16 * j + i] = s;
    }
  }
  sums16(T + (size_t)K * 4, x, K);
}

static void build_tok(uint8_t *tab, const float *x, int K) {
  float amax = 0;
  for (int k = 0; k < K; k++) { float a = lt_absf(x[k]); if (a > amax) amax = a; }
  float inv = amax > 0 ? 127.0f / amax : 0.0f;
  *(float *)(tab + (size_t)K * 8) = amax / 127.0f;
  int32_t *qs = (int32_t *)(tab + (size_t)K * 8 + 16);
  for (int j = 0; j < K / 4; j++) {
    int qa[4];
    for (int t = 0; t < 4; t++) {
      float q = lt_roundeven(x[4 * j + t] * inv);
      qa[t] = q > 127 ? 127 : q < -127 ? -127 : (int)q;
    }
    if ((j & 3) == 0) qs[j / 4] = 0;
    qs[j / 4] += qa[0] + qa[1] + qa[2] + qa[3];
    uint8_t *lo = tab + (size_t)j * 32, *hi = lo + 16;
    for (int i = 0; i < 16; i++) {
      int s = 0;
      for (int t = 0; t < 4; t++) s += ((i >> t) & 1) ? qa[t] : -qa[t];
      lo[i] = (uint8_t)(s & 31);         /* T = lo + 32·hi, lo ∈ [0, 31] */
      hi[i] = (uint8_t)(int8_t)(s >> 5); /* hi ∈ [−16, 15] */
    }
  }
}

/* Build the tables of one activation vector x[K] into tab (lt_lut_table_bytes(K, ags, mode)
 * bytes, 16-byte aligned). Returns 0 or −LT_ERR_SHAPE. */
LT_EXPORT(lt_lut_build)
int lt_lut_build(uint8_t *tab, const float *x, int K, int ags, int mode) {
  if (!lt_lut_table_bytes(K, ags, mode)) return -LT_ERR_SHAPE;
  if (mode == LT_TAB_I8) build_i8(tab, x, K, ags);
  else if (mode == LT_TAB_TOK_I8) build_tok_i8(tab, x, K, ags);
  else if (mode == LT_TAB_F32) build_f32(tab, x, K);
  else build_tok(tab, x, K);
  return 0;
}
