/* GEMV with F16 weights and f32 activations.
 *
 * Same structure as gemv_f32.c (four rows share each x load), but one 16-byte
 * load now holds 8 weights, widened to two f32x4. The widening is the cost
 * here (no f16 instructions in wasm), so it uses the short form of the f16
 * conversion: sign-extend the half to 32 bits, shift left 13, keep the sign
 * and the 15 exponent/mantissa bits, multiply by 2^112 (see common/f16.h).
 * That is exact for every finite half (subnormals included); inf/NaN weights
 * would come out as finite values of magnitude >= 2^16, which only a broken
 * model contains.
 *
 * Activations stay f32 (llama.cpp rounds them to f16 for F16 weights; not
 * doing so is slightly more accurate and saves a pass).
 */
#include "kernels/kernels.h"
#include "common/f16.h"

/* four finite halves (sign-extended i32 lanes) -> f32x4 */
static inline v128_t widen(v128_t h32) {
  v128_t b = wasm_v128_and(wasm_i32x4_shl(h32, 13), wasm_i32x4_splat((int32_t)0x8fffe000u));
  return wasm_f32x4_mul(b, wasm_i32x4_splat((int32_t)LT_F16_REBIAS));
}

static v128_t dot4_f16(const uint16_t *w0, const uint16_t *w1, const uint16_t *w2,
                       const uint16_t *w3, const float *x, int K) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  int k = 0;
  for (; k + 8 <= K; k += 8) {
    v128_t xa = wasm_v128_load(x + k), xb = wasm_v128_load(x + k + 4);
    v128_t h;
    h = wasm_v128_load(w0 + k);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(h)), xa));
    b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(widen(wasm_i32x4_extend_high_i16x8(h)), xb));
    h = wasm_v128_load(w1 + k);
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(h)), xa));
    b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(widen(wasm_i32x4_extend_high_i16x8(h)), xb));
    h = wasm_v128_load(w2 + k);
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(h)), xa));
    b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(widen(wasm_i32x4_extend_high_i16x8(h)), xb));
    h = wasm_v128_load(w3 + k);
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(h)), xa));
    b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(widen(wasm_i32x4_extend_high_i16x8(h)), xb));
  }
  if (k + 4 <= K) {
    /* four halves: a 64-bit load into the low lanes */
    v128_t xa = wasm_v128_load(x + k);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(wasm_v128_load64_zero(w0 + k))), xa));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(wasm_v128_load64_zero(w1 + k))), xa));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(wasm_v128_load64_zero(w2 + k))), xa));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(widen(wasm_i32x4_extend_low_i16x8(wasm_v128_load64_zero(w3 + k))), xa));
    k += 4;
  }
  v128_t sum = lt_hsum4_f32x4(wasm_f32x4_add(a0, b0), wasm_f32x4_add(a1, b1),
                              wasm_f32x4_add(a2, b2), wasm_f32x4_add(a3, b3));
  if (k < K) {
    float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; k < K; k++) {
      t0 += lt_f16_to_f32(w0[k]) * x[k];
      t1 += lt_f16_to_f32(w1[k]) * x[k];
      t2 += lt_f16_to_f32(w2[k]) * x[k];
      t3 += lt_f16_to_f32(w3[k]) * x[k];
    }
    sum = wasm_f32x4_add(sum, wasm_f32x4_make(t0, t1, t2, t3));
  }
  return sum;
}

LT_EXPORT(lt_gemv_f16)
void lt_gemv_f16(const uint16_t *W, const float *x, float *y, int K, int row0, int row1) {
  int r = row0;
  for (; r + 4 <= row1; r += 4) {
    const uint16_t *w = W + (size_t)r * K;
    wasm_v128_store(y + r, dot4_f16(w, w + K, w + 2 * (size_t)K, w + 3 * (size_t)K, x, K));
  }
  if (r < row1) {
    int n = row1 - r;
    const uint16_t *w0 = W + (size_t)r * K;
    const uint16_t *w1 = W + (size_t)(n > 1 ? r + 1 : r) * K;
    const uint16_t *w2 = W + (size_t)(n > 2 ? r + 2 : r) * K;
    float out[4];
    wasm_v128_store(out, dot4_f16(w0, w1, w2, w0, x, K));
    for (int i = 0; i < n; i++) y[r + i] = out[i];
  }
}
