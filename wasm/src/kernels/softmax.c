/* Softmax in place: x = exp(x - max) / sum, the sum accumulated in double
 * (as llama.cpp does) so long attention rows lose nothing to rounding. */
#include "kernels/kernels.h"
#include "common/mathf.h"

LT_EXPORT(lt_softmax)
void lt_softmax(float *x, int n) {
  if (n <= 0) return;
  float mx = x[0];
  int i = 0;
  if (n >= 4) {
    v128_t m = wasm_v128_load(x);
    for (i = 4; i + 4 <= n; i += 4) m = wasm_f32x4_max(m, wasm_v128_load(x + i));
    mx = lt_hmax_f32x4(m);
  }
  for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;

  v128_t vm = wasm_f32x4_splat(mx);
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t e = lt_expf4(wasm_f32x4_sub(wasm_v128_load(x + i), vm));
    wasm_v128_store(x + i, e);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_promote_low_f32x4(e));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 0, 1)));
  }
  double sum = wasm_f64x2_extract_lane(s0, 0) + wasm_f64x2_extract_lane(s0, 1) +
               wasm_f64x2_extract_lane(s1, 0) + wasm_f64x2_extract_lane(s1, 1);
  for (; i < n; i++) {
    x[i] = lt_expf(x[i] - mx);
    sum += x[i];
  }
  v128_t inv = wasm_f32x4_splat((float)(1.0 / sum));
  i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), inv));
  for (; i < n; i++) x[i] *= (float)(1.0 / sum);
}
