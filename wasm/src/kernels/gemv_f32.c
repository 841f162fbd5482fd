/* GEMV with F32 weights: y[r] = W[r,:] . x.
 *
 * Decode is bound by reading W, so the loop streams four rows at once: each
 * x vector is loaded once and used for four rows, and the four rows give four
 * independent accumulator chains; unrolling by two vectors gives eight, which
 * hides the f32 add latency. The four sums are finished together with one
 * transpose-add (lt_hsum4_f32x4). K not a multiple of 8 is finished with one
 * 4-wide step and a scalar tail. Rows left over (fewer than 4) reuse the same
 * code with the last row repeated, keeping only the valid lanes.
 */
#include "kernels/kernels.h"
#include "common/simd.h"

static v128_t dot4_f32(const float *w0, const float *w1, const float *w2, const float *w3,
                       const float *x, int K) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  int k = 0;
  for (; k + 8 <= K; k += 8) {
    v128_t xa = wasm_v128_load(x + k), xb = wasm_v128_load(x + k + 4);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w0 + k), xa));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w1 + k), xa));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w2 + k), xa));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w3 + k), xa));
    b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(wasm_v128_load(w0 + k + 4), xb));
    b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(wasm_v128_load(w1 + k + 4), xb));
    b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(wasm_v128_load(w2 + k + 4), xb));
    b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(wasm_v128_load(w3 + k + 4), xb));
  }
  if (k + 4 <= K) {
    v128_t xa = wasm_v128_load(x + k);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w0 + k), xa));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w1 + k), xa));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w2 + k), xa));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w3 + k), xa));
    k += 4;
  }
  v128_t sum = lt_hsum4_f32x4(wasm_f32x4_add(a0, b0), wasm_f32x4_add(a1, b1),
                              wasm_f32x4_add(a2, b2), wasm_f32x4_add(a3, b3));
  if (k < K) {
    float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; k < K; k++) {
      t0 += w0[k] * x[k]; t1 += w1[k] * x[k]; t2 += w2[k] * x[k]; t3 += w3[k] * x[k];
    }
    sum = wasm_f32x4_add(sum, wasm_f32x4_make(t0, t1, t2, t3));
  }
  return sum;
}

LT_EXPORT(lt_gemv_f32)
void lt_gemv_f32(const float *W, const float *x, float *y, int K, int row0, int row1) {
  int r = row0;
  for (; r + 4 <= row1; r += 4) {
    const float *w = W + (size_t)r * K;
    wasm_v128_store(y + r, dot4_f32(w, w + K, w + 2 * (size_t)K, w + 3 * (size_t)K, x, K));
  }
  if (r < row1) {
    int n = row1 - r;
    const float *w0 = W + (size_t)r * K;
    const float *w1 = W + (size_t)(n > 1 ? r + 1 : r) * K;
    const float *w2 = W + (size_t)(n > 2 ? r + 2 : r) * K;
    float out[4];
    wasm_v128_store(out, dot4_f32(w0, w1, w2, w0, x, K));
    for (int i = 0; i < n; i++) y[r + i] = out[i];
  }
}
