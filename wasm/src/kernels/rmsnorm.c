/* RMSNorm: out = x * w / sqrt(mean(x^2) + eps).
 *
 * The sum of squares is accumulated in double, as llama.cpp does (it matters
 * little at these lengths, and costs little: the norm reads n floats once,
 * next to matmuls that read n * rows). */
#include "kernels/kernels.h"
#include "common/mathf.h"

LT_EXPORT(lt_rmsnorm)
void lt_rmsnorm(const float *x, const float *w, float *out, int n, float eps) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    v128_t sq = wasm_f32x4_mul(v, v); /* squared in f32 as llama.cpp does, summed in f64 */
    s0 = wasm_f64x2_add(s0, wasm_f64x2_promote_low_f32x4(sq));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(sq, sq, 2, 3, 0, 1)));
  }
  double sum = wasm_f64x2_extract_lane(s0, 0) + wasm_f64x2_extract_lane(s0, 1) +
               wasm_f64x2_extract_lane(s1, 0) + wasm_f64x2_extract_lane(s1, 1);
  for (; i < n; i++) sum += (double)(x[i] * x[i]);
  float mean = (float)(sum / n);
  float scale = 1.0f / lt_sqrtf(mean + eps);
  v128_t vs = wasm_f32x4_splat(scale);
  i = 0;
  if (w) {
    for (; i + 4 <= n; i += 4)
      wasm_v128_store(out + i, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(x + i), vs), wasm_v128_load(w + i)));
    for (; i < n; i++) out[i] = x[i] * scale * w[i];
  } else {
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(x + i), vs));
    for (; i < n; i++) out[i] = x[i] * scale;
  }
}
