/* Quantizing an activation vector to Q8_0 blocks (for Q8_0 weight products).
 *
 * Following llama.cpp: per block of 32, amax = max|x|, the block scale is
 * d = amax/127 stored as f16, and the quants are nearest(x * 127/amax) with
 * ties to even (f32x4.nearest; llama.cpp's SIMD paths round the same way).
 * Quantizing with the unrounded 127/amax while the stored d is rounded to f16
 * is also what llama.cpp does. Quants are in [-127, 127], never -128, which
 * the relaxed i7 dot product relies on. The scales are kept as f32 (the value
 * of the f16) in a separate array, so the product kernel does not convert them.
 */
#include "kernels/kernels.h"
#include "common/f16.h"

LT_EXPORT(lt_quantize_q8_0)
void lt_quantize_q8_0(const float *x, int K, int8_t *xq, float *xd) {
  for (int b = 0; b < K / LT_QK8_0; b++) {
    const float *p = x + b * LT_QK8_0;
    v128_t v[8];
    v128_t m = wasm_f32x4_splat(0);
    for (int i = 0; i < 8; i++) {
      v[i] = wasm_v128_load(p + 4 * i);
      m = wasm_f32x4_max(m, wasm_f32x4_abs(v[i]));
    }
    float amax = lt_hmax_f32x4(m);
    float d = amax / 127.0f;
    xd[b] = lt_f16_to_f32(lt_f32_to_f16(d));
    v128_t id = wasm_f32x4_splat(amax != 0.0f ? 127.0f / amax : 0.0f);
    v128_t q[8];
    for (int i = 0; i < 8; i++)
      q[i] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(v[i], id)));
    /* |q| <= 127, so the saturating narrows are exact */
    v128_t lo = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[0], q[1]), wasm_i16x8_narrow_i32x4(q[2], q[3]));
    v128_t hi = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[4], q[5]), wasm_i16x8_narrow_i32x4(q[6], q[7]));
    wasm_v128_store(xq + b * LT_QK8_0, lo);
    wasm_v128_store(xq + b * LT_QK8_0 + 16, hi);
  }
}
