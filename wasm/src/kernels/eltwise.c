/* Element-wise operators: SwiGLU's silu(g) * u, and the residual add. */
#include "kernels/kernels.h"
#include "common/mathf.h"

LT_EXPORT(lt_silu_mul)
void lt_silu_mul(const float *g, const float *u, float *out, int n) {
  int i = 0;
  v128_t one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    v128_t x = wasm_v128_load(g + i);
    /* x / (1 + exp(-x)); for x < -89, exp(-x) = inf and the quotient is -0 */
    v128_t s = wasm_f32x4_div(x, wasm_f32x4_add(one, lt_expf4(wasm_f32x4_neg(x))));
    wasm_v128_store(out + i, wasm_f32x4_mul(s, wasm_v128_load(u + i)));
  }
  for (; i < n; i++) out[i] = g[i] / (1.0f + lt_expf(-g[i])) * u[i];
}

LT_EXPORT(lt_add)
void lt_add(const float *a, const float *b, float *out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (; i < n; i++) out[i] = a[i] + b[i];
}
