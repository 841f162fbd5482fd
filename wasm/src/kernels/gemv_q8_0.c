/* GEMV with Q8_0 weights against Q8_0-quantized activations (llama.cpp's
 * numerics: int8 x int8 per block, exact int32 block sums, scaled by both
 * f16 block scales in f32).
 *
 * Four rows at a time share the activation block. Each row's block product is
 * an i32x4 of partial sums; the four rows' vectors are reduced together by a
 * transpose-add (exact integer adds), converted to f32 once, and multiplied
 * by the four rows' combined scales (d_w converted four at a time, times d_x).
 * So the accumulator lane r is row r's result: no horizontal sum at the end.
 *
 * Block product, plain SIMD128: widen both operands to i16 and use
 * i32x4.dot_i16x8_s (the x widening is done once per block for all rows).
 *
 * Block product, relaxed SIMD: i16x8.relaxed_dot_i8x16_i7x16_s multiplies
 * i8 by i7 (0..127) and adds adjacent pairs, with a deterministic result only
 * when the second operand really is in 0..127. So the second operand is |x|
 * (activation quants are in [-127,127]) and the first is w with x's sign
 * moved onto it: (w ^ s) - s with s = x >> 7 (0 or -1) negates w where x < 0.
 * That is exact unless w = -128 meets x < 0, so it is used only for weight
 * tensors without -128 (relaxed_ok; llama.cpp's quantizer never writes -128).
 * Pair sums are at most 2*127*127 = 32258, so x86's pmaddubsw lowering cannot
 * saturate. The i16 pairs are widened with i32x4.extadd_pairwise_i16x8_s
 * (pmaddwd by ones). That is exactly what engines lower the fused
 * i32x4.relaxed_dot_i8x16_i7x16_add_s to on x86, and the fused form is wrong
 * in Node 20's V8 11.3 (measured: it returns twice the dot product and drops
 * the accumulator), so the two-step form costs nothing and runs everywhere.
 */
#include "kernels/kernels.h"
#include "common/f16.h"

#define BLOCK LT_Q8_0_BLOCK_BYTES

/* Lane i = sum of the four i32 lanes of v_i. */
static inline v128_t hsum4_i32(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t0 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t1 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
}

static inline uint32_t load_u16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

/* The four rows' weight scales as f32x4. */
static inline v128_t scales4(const uint8_t *b0, const uint8_t *b1, const uint8_t *b2, const uint8_t *b3) {
  return lt_f16x4_to_f32x4(wasm_u32x4_make(load_u16(b0), load_u16(b1), load_u16(b2), load_u16(b3)));
}

/* int8 . int8 over one block of 32, as four i32 partial sums. */
static inline v128_t block_dot_i16(const uint8_t *qw, v128_t x0, v128_t x1, v128_t x2, v128_t x3) {
  v128_t lo = wasm_v128_load(qw), hi = wasm_v128_load(qw + 16);
  v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(lo), x0);
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(lo), x1));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(hi), x2));
  return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(hi), x3));
}

static v128_t dot4_q8_0_i16(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const uint8_t *w3,
                            const int8_t *xq, const float *xd, int nb) {
  v128_t acc = wasm_f32x4_splat(0);
  for (int b = 0; b < nb; b++) {
    v128_t xl = wasm_v128_load(xq + b * 32), xh = wasm_v128_load(xq + b * 32 + 16);
    v128_t x0 = wasm_i16x8_extend_low_i8x16(xl), x1 = wasm_i16x8_extend_high_i8x16(xl);
    v128_t x2 = wasm_i16x8_extend_low_i8x16(xh), x3 = wasm_i16x8_extend_high_i8x16(xh);
    size_t o = (size_t)b * BLOCK;
    v128_t s = hsum4_i32(block_dot_i16(w0 + o + 2, x0, x1, x2, x3), block_dot_i16(w1 + o + 2, x0, x1, x2, x3),
                         block_dot_i16(w2 + o + 2, x0, x1, x2, x3), block_dot_i16(w3 + o + 2, x0, x1, x2, x3));
    v128_t d = wasm_f32x4_mul(scales4(w0 + o, w1 + o, w2 + o, w3 + o), wasm_f32x4_splat(xd[b]));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), d));
  }
  return acc;
}

#ifdef LT_RELAXED
static inline v128_t block_dot_relaxed(const uint8_t *qw, v128_t ax0, v128_t sx0, v128_t ax1, v128_t sx1) {
  v128_t lo = wasm_v128_load(qw), hi = wasm_v128_load(qw + 16);
  lo = wasm_i8x16_sub(wasm_v128_xor(lo, sx0), sx0);
  hi = wasm_i8x16_sub(wasm_v128_xor(hi, sx1), sx1);
  return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(lo, ax0)),
                        wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_relaxed_dot_i8x16_i7x16(hi, ax1)));
}

static v128_t dot4_q8_0_relaxed(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const uint8_t *w3,
                                const int8_t *xq, const float *xd, int nb) {
  v128_t acc = wasm_f32x4_splat(0);
  for (int b = 0; b < nb; b++) {
    v128_t xl = wasm_v128_load(xq + b * 32), xh = wasm_v128_load(xq + b * 32 + 16);
    v128_t ax0 = wasm_i8x16_abs(xl), sx0 = wasm_i8x16_shr(xl, 7);
    v128_t ax1 = wasm_i8x16_abs(xh), sx1 = wasm_i8x16_shr(xh, 7);
    size_t o = (size_t)b * BLOCK;
    v128_t s = hsum4_i32(block_dot_relaxed(w0 + o + 2, ax0, sx0, ax1, sx1),
                         block_dot_relaxed(w1 + o + 2, ax0, sx0, ax1, sx1),
                         block_dot_relaxed(w2 + o + 2, ax0, sx0, ax1, sx1),
                         block_dot_relaxed(w3 + o + 2, ax0, sx0, ax1, sx1));
    v128_t d = wasm_f32x4_mul(scales4(w0 + o, w1 + o, w2 + o, w3 + o), wasm_f32x4_splat(xd[b]));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), d));
  }
  return acc;
}
#endif

static inline v128_t dot4(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const uint8_t *w3,
                          const int8_t *xq, const float *xd, int nb, int relaxed_ok) {
#ifdef LT_RELAXED
  if (relaxed_ok) return dot4_q8_0_relaxed(w0, w1, w2, w3, xq, xd, nb);
#endif
  return dot4_q8_0_i16(w0, w1, w2, w3, xq, xd, nb);
}

LT_EXPORT(lt_gemv_q8_0)
void lt_gemv_q8_0(const uint8_t *W, const int8_t *xq, const float *xd, float *y, int K,
                  int row0, int row1, int relaxed_ok) {
  int nb = K / LT_QK8_0;
  size_t stride = (size_t)nb * BLOCK;
  int r = row0;
  for (; r + 4 <= row1; r += 4) {
    const uint8_t *w = W + (size_t)r * stride;
    wasm_v128_store(y + r, dot4(w, w + stride, w + 2 * stride, w + 3 * stride, xq, xd, nb, relaxed_ok));
  }
  if (r < row1) {
    int n = row1 - r;
    const uint8_t *w0 = W + (size_t)r * stride;
    const uint8_t *w1 = n > 1 ? w0 + stride : w0;
    const uint8_t *w2 = n > 2 ? w0 + 2 * stride : w0;
    float out[4];
    wasm_v128_store(out, dot4(w0, w1, w2, w0, xq, xd, nb, relaxed_ok));
    for (int i = 0; i < n; i++) y[r + i] = out[i];
  }
}

LT_EXPORT(lt_q8_0_has_min)
int lt_q8_0_has_min(const uint8_t *W, size_t n_blocks) {
  v128_t any = wasm_i8x16_splat(0);
  v128_t m = wasm_i8x16_splat(-128);
  for (size_t b = 0; b < n_blocks; b++) {
    const uint8_t *q = W + b * BLOCK + 2;
    any = wasm_v128_or(any, wasm_i8x16_eq(wasm_v128_load(q), m));
    any = wasm_v128_or(any, wasm_i8x16_eq(wasm_v128_load(q + 16), m));
  }
  return wasm_v128_any_true(any);
}
