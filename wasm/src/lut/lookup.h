/* The lookup loop shared by the LUT matmuls (lut_mm.c, kq_mm.c): int8 tables, nibble
 * bit-planes of the canonical layout (lut.h). */
#ifndef LT_LOOKUP_H
#define LT_LOOKUP_H
#include "lut.h"

/* Lookups for `ng` activation groups of one row block: 4 i16 accumulators, rows 0-7,
 * 8-15, 16-23, 24-31. B is a compile-time constant after inlining. */
LT_INLINE void lut_groups(const uint8_t *w, const int8_t *T, int ng, const int B, v128_t acc[4]) {
  const v128_t m4 = wasm_i8x16_const_splat(0x0F);
  v128_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#pragma clang loop unroll_count(4)
  for (int g = 0; g < ng; g++) {
    v128_t t = wasm_v128_load(T + 16 * g);
    if (B >= 2) {
      const int q0 = B == LT_TERN ? 2 : 0;
      v128_t W0 = wasm_v128_load(w), W1 = wasm_v128_load(w + 16);
      a0 = wasm_i16x8_add(a0, lt_pair(lt_swz(t, wasm_v128_and(W0, m4)), q0));
      a1 = wasm_i16x8_add(a1, lt_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W0, 4), m4)), q0));
      a2 = wasm_i16x8_add(a2, lt_pair(lt_swz(t, wasm_v128_and(W1, m4)), q0));
      a3 = wasm_i16x8_add(a3, lt_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W1, 4), m4)), q0));
    }
    if (B == 4) {
      v128_t W0 = wasm_v128_load(w + 32), W1 = wasm_v128_load(w + 48);
      a0 = wasm_i16x8_add(a0, lt_pair(lt_swz(t, wasm_v128_and(W0, m4)), 1));
      a1 = wasm_i16x8_add(a1, lt_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W0, 4), m4)), 1));
      a2 = wasm_i16x8_add(a2, lt_pair(lt_swz(t, wasm_v128_and(W1, m4)), 1));
      a3 = wasm_i16x8_add(a3, lt_pair(lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W1, 4), m4)), 1));
    }
    if (B != LT_TERN && (B & 1)) {
      const int p = B - 1;
      v128_t W = wasm_v128_load(w + 16 * (B - 1));
      v128_t L0 = lt_swz(t, wasm_v128_and(W, m4));
      v128_t L1 = lt_swz(t, wasm_v128_and(wasm_u16x8_shr(W, 4), m4));
      a0 = wasm_i16x8_add(a0, lt_even(L0, p));
      a1 = wasm_i16x8_add(a1, lt_odd(L0, p));
      a2 = wasm_i16x8_add(a2, lt_even(L1, p));
      a3 = wasm_i16x8_add(a3, lt_odd(L1, p));
    }
    w += 16 * LT_PLANES(B);
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

LT_INLINE void widen8(const v128_t acc[4], v128_t out[8]) {
  for (int i = 0; i < 4; i++) {
    out[2 * i] = wasm_i32x4_extend_low_i16x8(acc[i]);
    out[2 * i + 1] = wasm_i32x4_extend_high_i16x8(acc[i]);
  }
}

#endif
