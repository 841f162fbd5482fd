/* Grouped-query attention for the newest token (decode).
 *
 * For each query head h: scores over every cached position t <= pos,
 * softmax, then the probability-weighted sum of the cached values. Heads
 * that share a KV head (GQA) read the same cache rows; h0..h1 lets a worker
 * pool split the heads. The K/V cache of a layer is [position][kv_head][dim],
 * so a position's keys for all KV heads are one contiguous row (written
 * straight from the K/V projections).
 */
#include "kernels/kernels.h"
#include "common/simd.h"

static inline float dot(const float *a, const float *b, int n) {
  v128_t acc0 = wasm_f32x4_splat(0), acc1 = acc0;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  if (i + 4 <= n) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    i += 4;
  }
  float s = lt_hsum_f32x4(wasm_f32x4_add(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* out += p * v */
static inline void axpy(float *out, float p, const float *v, int n) {
  v128_t vp = wasm_f32x4_splat(p);
  int i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(out + i), wasm_f32x4_mul(vp, wasm_v128_load(v + i))));
  for (; i < n; i++) out[i] += p * v[i];
}

LT_EXPORT(lt_attention)
void lt_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                  float *att, int att_stride, int n_head, int n_head_kv, int head_dim,
                  int kv_stride, int n_pos, float scale, int h0, int h1) {
  int group = n_head / n_head_kv;
  for (int h = h0; h < h1; h++) {
    const float *qh = q + (size_t)h * head_dim;
    size_t kv_off = (size_t)(h / group) * head_dim;
    float *a = att + (size_t)h * att_stride;
    for (int t = 0; t < n_pos; t++) a[t] = dot(qh, k_cache + (size_t)t * kv_stride + kv_off, head_dim) * scale;
    lt_softmax(a, n_pos);
    float *o = out + (size_t)h * head_dim;
    for (int i = 0; i < head_dim; i++) o[i] = 0.0f;
    for (int t = 0; t < n_pos; t++) axpy(o, a[t], v_cache + (size_t)t * kv_stride + kv_off, head_dim);
  }
}
