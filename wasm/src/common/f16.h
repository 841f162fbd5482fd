/* IEEE half precision <-> single precision.
 *
 * WebAssembly has no f16 arithmetic or conversion instructions (SIMD128 nor
 * relaxed), so F16 weights are widened with integer bit manipulation.
 *
 * f16 -> f32: move the 15 exponent+mantissa bits up by 13 (the f32 mantissa
 * is 13 bits longer), which gives a number 2^-112 times too small whose
 * exponent is the f16 exponent; multiplying by 2^112 re-biases it. The same
 * multiply turns f16 subnormals (exponent 0) into the right normal f32
 * values, because they land on f32 subnormals with the same mantissa. Only
 * inf/NaN (f16 exponent 31) need a fix-up: force the f32 exponent to 255.
 * Exact for every input.
 *
 * f32 -> f16: round to nearest, ties to even, with overflow to inf, NaN kept
 * NaN, and correctly rounded f16 subnormals (see lt_f32_to_f16).
 */
#ifndef LT_COMMON_F16_H
#define LT_COMMON_F16_H

#include "common/simd.h"

#define LT_F16_REBIAS 0x77800000u /* 2^112 as f32 bits */

static inline float lt_f16_to_f32(uint16_t h) {
  uint32_t em = (uint32_t)(h & 0x7fff) << 13;
  uint32_t bits = lt_f32_bits(lt_bits_f32(em) * lt_bits_f32(LT_F16_REBIAS));
  if (em >= 0x0f800000u) bits |= 0x7f800000u; /* inf / NaN */
  return lt_bits_f32(bits | ((uint32_t)(h & 0x8000) << 16));
}

/* Four f16 values, one in the low 16 bits of each u32 lane -> four f32. */
static inline v128_t lt_f16x4_to_f32x4(v128_t h) {
  v128_t em = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13);
  v128_t f = wasm_f32x4_mul(em, wasm_i32x4_splat((int32_t)LT_F16_REBIAS));
  v128_t special = wasm_i32x4_ge(em, wasm_i32x4_splat(0x0f800000));
  f = wasm_v128_or(f, wasm_v128_and(special, wasm_i32x4_splat(0x7f800000)));
  v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
  return wasm_v128_or(f, sign);
}

/* Eight f16 from memory -> two f32x4 (lo = elements 0..3, hi = 4..7). */
static inline void lt_load_f16x8(const uint16_t *p, v128_t *lo, v128_t *hi) {
  v128_t h = wasm_v128_load(p);
  *lo = lt_f16x4_to_f32x4(wasm_u32x4_extend_low_u16x8(h));
  *hi = lt_f16x4_to_f32x4(wasm_u32x4_extend_high_u16x8(h));
}

/* f32 -> f16 bits, round to nearest even.
 *  - |f| >= 65520 (rounds past the largest half, 65504) -> inf; NaN -> quiet NaN.
 *  - |f| < 2^-14 (f16 subnormal range): adding 0.5 (2^-1) as a float places
 *    the value's bits at 2^-24 granularity in the low mantissa bits of the
 *    sum, and the FPU's own round-to-nearest-even does the rounding; the
 *    result bits minus those of 0.5 are the f16 bits.
 *  - otherwise: re-bias the exponent and round away the low 13 mantissa bits
 *    by adding 0xfff plus the lowest kept bit (ties go to even); a carry out
 *    of the mantissa correctly bumps the exponent. */
static inline uint16_t lt_f32_to_f16(float f) {
  uint32_t u = lt_f32_bits(f);
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t a = u & 0x7fffffff;
  uint32_t h;
  if (a >= 0x477ff000u) { /* >= 65520, inf, or NaN */
    h = a > 0x7f800000u ? 0x7e00 : 0x7c00;
  } else if (a < 0x38800000u) { /* < 2^-14 */
    h = lt_f32_bits(lt_bits_f32(a) + 0.5f) - 0x3f000000u;
  } else {
    uint32_t odd = (a >> 13) & 1;
    h = (a - ((127u - 15u) << 23) + 0xfffu + odd) >> 13;
  }
  return (uint16_t)(h | sign);
}

/* The same for four lanes: f32x4 -> f16 bits in the low half of each u32 lane. */
static inline v128_t lt_f32x4_to_f16x4(v128_t f) {
  v128_t sign = wasm_v128_and(wasm_u32x4_shr(f, 16), wasm_i32x4_splat(0x8000));
  v128_t a = wasm_v128_and(f, wasm_i32x4_splat(0x7fffffff));
  /* normal range */
  v128_t odd = wasm_v128_and(wasm_u32x4_shr(a, 13), wasm_i32x4_splat(1));
  v128_t nrm = wasm_i32x4_add(wasm_i32x4_sub(a, wasm_i32x4_splat((127 - 15) << 23)), wasm_i32x4_splat(0xfff));
  nrm = wasm_u32x4_shr(wasm_i32x4_add(nrm, odd), 13);
  /* subnormal range */
  v128_t sub = wasm_i32x4_sub(wasm_f32x4_add(a, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
  /* overflow / inf / NaN */
  v128_t nan = wasm_i32x4_gt(a, wasm_i32x4_splat(0x7f800000));
  v128_t big = wasm_v128_bitselect(wasm_i32x4_splat(0x7e00), wasm_i32x4_splat(0x7c00), nan);
  /* a is non-negative as a signed int, so signed compares are fine */
  v128_t h = wasm_v128_bitselect(sub, nrm, wasm_i32x4_lt(a, wasm_i32x4_splat(0x38800000)));
  h = wasm_v128_bitselect(big, h, wasm_i32x4_ge(a, wasm_i32x4_splat(0x477ff000)));
  return wasm_v128_or(h, sign);
}

#endif
