/* Rotary position embedding.
 *
 * The rotation angle of pair i at position p is p * base^(-2i/rope_dim).
 * Both factors are computed in double (common/mathd.c) and only the final
 * cos/sin are rounded to float, once per token, shared by every layer and
 * head. Computing them here rather than taking tables from TypeScript keeps
 * the memory cost at rope_dim floats instead of n_ctx * rope_dim (64 MB for
 * a 128k-context, head_dim 128 model) and keeps the per-token work in C.
 *
 * inv_freq is stored as f32 but lt_rope_angles recomputes in double from it;
 * the float rounding of inv_freq (relative 6e-8) is the same order as
 * llama.cpp's float theta, and far below what changes a logit.
 */
#include "kernels/kernels.h"
#include "common/mathf.h"

LT_EXPORT(lt_rope_inv_freq)
void lt_rope_inv_freq(float base, int rope_dim, float *inv_freq) {
  for (int i = 0; i < rope_dim / 2; i++)
    inv_freq[i] = (float)lt_pow_f64((double)base, -2.0 * i / rope_dim);
}

LT_EXPORT(lt_rope_angles)
void lt_rope_angles(int pos, const float *inv_freq, int n, float *cos_out, float *sin_out) {
  for (int i = 0; i < n; i++) {
    double s, c;
    lt_sincos_f64((double)pos * (double)inv_freq[i], &s, &c);
    cos_out[i] = (float)c;
    sin_out[i] = (float)s;
  }
}

LT_EXPORT(lt_rope)
void lt_rope(float *x, int n_heads, int head_dim, int rope_dim, const float *cos_t,
             const float *sin_t, int neox) {
  int half = rope_dim / 2;
  for (int h = 0; h < n_heads; h++) {
    float *v = x + (size_t)h * head_dim;
    if (neox) {
      /* pairs (i, i + half): both halves are contiguous, so vectorise directly */
      int i = 0;
      for (; i + 4 <= half; i += 4) {
        v128_t a = wasm_v128_load(v + i), b = wasm_v128_load(v + i + half);
        v128_t c = wasm_v128_load(cos_t + i), s = wasm_v128_load(sin_t + i);
        wasm_v128_store(v + i, wasm_f32x4_sub(wasm_f32x4_mul(a, c), wasm_f32x4_mul(b, s)));
        wasm_v128_store(v + i + half, wasm_f32x4_add(wasm_f32x4_mul(a, s), wasm_f32x4_mul(b, c)));
      }
      for (; i < half; i++) {
        float a = v[i], b = v[i + half];
        v[i] = a * cos_t[i] - b * sin_t[i];
        v[i + half] = a * sin_t[i] + b * cos_t[i];
      }
    } else {
      /* adjacent pairs (2i, 2i+1): de-interleave 4 pairs, rotate, re-interleave */
      int i = 0;
      for (; i + 4 <= half; i += 4) {
        v128_t p0 = wasm_v128_load(v + 2 * i), p1 = wasm_v128_load(v + 2 * i + 4);
        v128_t a = wasm_i32x4_shuffle(p0, p1, 0, 2, 4, 6), b = wasm_i32x4_shuffle(p0, p1, 1, 3, 5, 7);
        v128_t c = wasm_v128_load(cos_t + i), s = wasm_v128_load(sin_t + i);
        v128_t ra = wasm_f32x4_sub(wasm_f32x4_mul(a, c), wasm_f32x4_mul(b, s));
        v128_t rb = wasm_f32x4_add(wasm_f32x4_mul(a, s), wasm_f32x4_mul(b, c));
        wasm_v128_store(v + 2 * i, wasm_i32x4_shuffle(ra, rb, 0, 4, 1, 5));
        wasm_v128_store(v + 2 * i + 4, wasm_i32x4_shuffle(ra, rb, 2, 6, 3, 7));
      }
      for (; i < half; i++) {
        float a = v[2 * i], b = v[2 * i + 1];
        v[2 * i] = a * cos_t[i] - b * sin_t[i];
        v[2 * i + 1] = a * sin_t[i] + b * cos_t[i];
      }
    }
  }
}
