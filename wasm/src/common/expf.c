/* Single precision exp (see mathf.h).
 *
 * exp(x) = 2^k * exp(r) with k = nearest(x / ln2) and r = x - k*ln2, so
 * |r| <= ln2/2 ~ 0.347. ln2 is split into a 16-bit head and a tail: k*head is
 * exact (|k| <= 150 needs 8 bits, 8 + 16 <= 24) and x - k*head is exact
 * (the two are within a factor of two), so r carries only the tail's
 * rounding. exp(r) is the degree-7 Taylor polynomial: its truncation error,
 * r^8/8! < 6e-9, is far below half an ulp (6e-8 relative), so the error is
 * the float Horner evaluation's (~1 ulp). The final 2^k is applied as two
 * factors 2^(k/2) * 2^(k - k/2), each a normal float, so results that are
 * subnormal are rounded once and results near FLT_MAX do not overflow early.
 *
 * Inside [-104, 89] the computation itself overflows to +inf above
 * ln(FLT_MAX) ~ 88.7228 and rounds to 0 below ln(2^-150) ~ -103.9721, since
 * the two scale factors keep every intermediate exact until the last
 * multiply. Outside it (where k would leave the exponent range) the answer is
 * selected directly. min/max propagate NaN, so NaN in gives NaN out.
 */
#include "common/mathf.h"

#define EXP_HI 89.0f    /* above: +inf (2^128 > FLT_MAX) */
#define EXP_LO (-104.0f) /* below: 0 (exp(x) < 2^-150) */
#define LOG2E 1.44269502162933349609375f
#define LN2_HI 0.693145751953125f      /* 16 significant bits */
#define LN2_LO 1.428606765330187e-06f
#define C2 (1.0f / 2)
#define C3 (1.0f / 6)
#define C4 (1.0f / 24)
#define C5 (1.0f / 120)
#define C6 (1.0f / 720)
#define C7 (1.0f / 5040)

float lt_expf(float x) {
  if (x > EXP_HI) return __builtin_inff();
  if (x < EXP_LO) return 0.0f;
  if (x != x) return x;
  float k = __builtin_rintf(x * LOG2E);
  float r = (x - k * LN2_HI) - k * LN2_LO;
  float p = C6 + r * C7;
  p = C5 + r * p;
  p = C4 + r * p;
  p = C3 + r * p;
  p = C2 + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  int ki = (int)k;
  int k1 = ki >> 1, k2 = ki - k1;
  float s1 = lt_bits_f32((uint32_t)(k1 + 127) << 23);
  float s2 = lt_bits_f32((uint32_t)(k2 + 127) << 23);
  return (p * s1) * s2;
}

v128_t lt_expf4(v128_t x) {
  v128_t xc = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(EXP_LO)), wasm_f32x4_splat(EXP_HI));
  v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(LOG2E)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(k, wasm_f32x4_splat(LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(LN2_LO)));
  v128_t p = wasm_f32x4_add(wasm_f32x4_splat(C6), wasm_f32x4_mul(r, wasm_f32x4_splat(C7)));
  p = wasm_f32x4_add(wasm_f32x4_splat(C5), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(wasm_f32x4_splat(C4), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(wasm_f32x4_splat(C3), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(wasm_f32x4_splat(C2), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(r, p));
  p = wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(r, p));
  v128_t ki = wasm_i32x4_trunc_sat_f32x4(k);
  v128_t k1 = wasm_i32x4_shr(ki, 1);
  v128_t k2 = wasm_i32x4_sub(ki, k1);
  v128_t bias = wasm_i32x4_splat(127);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(k1, bias), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(k2, bias), 23);
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  y = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, wasm_f32x4_gt(x, wasm_f32x4_splat(EXP_HI)));
  y = wasm_v128_andnot(y, wasm_f32x4_lt(x, wasm_f32x4_splat(EXP_LO)));
  return y; /* NaN lanes: xc is NaN, so y is NaN and neither select applies */
}

/* Exported for tests: y[i] = exp(x[i]) with the SIMD version (scalar tail). */
LT_EXPORT(lt_expf_array)
void lt_expf_array(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, lt_expf4(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = lt_expf(x[i]);
}

LT_EXPORT(lt_expf_scalar)
float lt_expf_scalar(float x) { return lt_expf(x); }
