/* Array conversions between f16 and f32, exported for tests (and for
 * TypeScript code that needs them). The SIMD paths do four values at a time;
 * the tails use the scalar versions, which compute the same bits. */
#include "common/f16.h"

LT_EXPORT(lt_f16_to_f32_array)
void lt_f16_to_f32_array(const uint16_t *src, float *dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t lo, hi;
    lt_load_f16x8(src + i, &lo, &hi);
    wasm_v128_store(dst + i, lo);
    wasm_v128_store(dst + i + 4, hi);
  }
  for (; i < n; i++) dst[i] = lt_f16_to_f32(src[i]);
}

LT_EXPORT(lt_f32_to_f16_array)
void lt_f32_to_f16_array(const float *src, uint16_t *dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t a = lt_f32x4_to_f16x4(wasm_v128_load(src + i));
    v128_t b = lt_f32x4_to_f16x4(wasm_v128_load(src + i + 4));
    /* lanes hold values <= 0xffff: the unsigned saturating narrow is exact */
    wasm_v128_store(dst + i, wasm_u16x8_narrow_i32x4(a, b));
  }
  for (; i < n; i++) dst[i] = lt_f32_to_f16(src[i]);
}

LT_EXPORT(lt_f16_to_f32_scalar) float lt_f16_to_f32_scalar(int h) { return lt_f16_to_f32((uint16_t)h); }
LT_EXPORT(lt_f32_to_f16_scalar) int lt_f32_to_f16_scalar(float f) { return lt_f32_to_f16(f); }
