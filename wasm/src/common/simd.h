/* Small SIMD128 helpers shared by the kernels. */
#ifndef LT_COMMON_SIMD_H
#define LT_COMMON_SIMD_H

#include <wasm_simd128.h>
#include "lutra.h"
#include <stdint.h>

/* Sum of the four f32 lanes: (a0+a2) + (a1+a3). */
static inline float lt_hsum_f32x4(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/* Largest of the four f32 lanes. */
static inline float lt_hmax_f32x4(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/* Lane i of the result is the sum of the lanes of a_i: four horizontal sums
 * at once (used to finish four rows of a matrix-vector product together). */
static inline v128_t lt_hsum4_f32x4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t0 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t1 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  /* t0 = [a0 even, a1 even, a0 odd, a1 odd] partial sums; same for t1. */
  return wasm_f32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
}

static inline uint32_t lt_f32_bits(float f) { return __builtin_bit_cast(uint32_t, f); }
static inline float lt_bits_f32(uint32_t u) { return __builtin_bit_cast(float, u); }
static inline uint64_t lt_f64_bits(double f) { return __builtin_bit_cast(uint64_t, f); }
static inline double lt_bits_f64(uint64_t u) { return __builtin_bit_cast(double, u); }

#endif
