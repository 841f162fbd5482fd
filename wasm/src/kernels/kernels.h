/* lutra's multiply-add kernels and the element-wise operators of a forward
 * pass (f32 activations throughout).
 *
 * Every matrix-vector product takes a row range [row0, row1) of the output so
 * a worker pool can split one product by rows; y is indexed by global row.
 * Weights are row-major as ggml stores them: row r holds the K weights that
 * multiply x, i.e. ggml's ne0 = K and ne1 = M (the number of rows).
 */
#ifndef LT_KERNELS_H
#define LT_KERNELS_H

#include "lutra.h"

#define LT_QK8_0 32          /* elements per Q8_0 block */
#define LT_Q8_0_BLOCK_BYTES 34 /* fp16 scale + 32 int8 */

/* y[r] = W[r,:] . x for r in [row0, row1). W is F32 (K floats per row). */
void lt_gemv_f32(const float *W, const float *x, float *y, int K, int row0, int row1);

/* W is F16 (K halves per row); x and y are f32. */
void lt_gemv_f16(const uint16_t *W, const float *x, float *y, int K, int row0, int row1);

/* Q8_0 activations: x quantized once per product input, as llama.cpp does:
 * per block of 32, d = max|x|/127 (stored rounded to f16, kept here as the
 * f32 value of that f16) and q = nearest-even(x * 127/max|x|). K % 32 == 0. */
void lt_quantize_q8_0(const float *x, int K, int8_t *xq, float *xd);

/* y[r] = sum over blocks of d_w * d_x * (q_w . q_x), for Q8_0 weights (K/32
 * blocks of 34 bytes per row). `relaxed_ok` says the weights hold no -128
 * (always true for llama.cpp's quantizer), which the relaxed build needs to
 * use i32x4.relaxed_dot_i8x16_i7x16_add; the plain SIMD128 build ignores it. */
void lt_gemv_q8_0(const uint8_t *W, const int8_t *xq, const float *xd, float *y, int K,
                  int row0, int row1, int relaxed_ok);

/* 1 if any Q8_0 quant in `n_blocks` blocks is -128 (see lt_gemv_q8_0). */
int lt_q8_0_has_min(const uint8_t *W, size_t n_blocks);

/* out[0..K) = row `row` of a weight matrix of type F32, F16 or Q8_0, as f32
 * (the embedding lookup). Returns 0, or -LT_ERR_UNSUPPORTED_TYPE. */
int lt_get_row(int type, const void *W, int row, int K, float *out);

/* out = x * w / sqrt(mean(x^2) + eps) (w may be 0: no weight). In place is fine. */
void lt_rmsnorm(const float *x, const float *w, float *out, int n, float eps);

/* RoPE. inv_freq[i] = base^(-2i/rope_dim) for i < rope_dim/2 (lt_rope_inv_freq);
 * per position the angles pos*inv_freq[i] become cos/sin tables
 * (lt_rope_angles), which lt_rope applies to every head of x (n_heads heads
 * of head_dim values; only the first rope_dim values of each head rotate).
 * Normal (llama) mode rotates adjacent pairs (2i, 2i+1); NeoX mode rotates
 * (i, i + rope_dim/2). */
void lt_rope_inv_freq(float base, int rope_dim, float *inv_freq);
void lt_rope_angles(int pos, const float *inv_freq, int n, float *cos_out, float *sin_out);
void lt_rope(float *x, int n_heads, int head_dim, int rope_dim, const float *cos_t,
             const float *sin_t, int neox);

/* In place: x = exp(x - max) / sum. */
void lt_softmax(float *x, int n);

/* Grouped-query attention for one token over positions [0, n_pos), for query
 * heads [h0, h1). q: n_head * head_dim; k_cache/v_cache: one layer,
 * n_pos rows of kv_stride floats (row t = all KV heads at position t); query
 * head h reads KV head h / (n_head / n_head_kv). att: scratch of
 * n_head * att_stride floats (att_stride >= n_pos). out: n_head * head_dim. */
void lt_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                  float *att, int att_stride, int n_head, int n_head_kv, int head_dim,
                  int kv_stride, int n_pos, float scale, int h0, int h1);

/* out = silu(g) * u = g / (1 + exp(-g)) * u (SwiGLU). In place on g or u is fine. */
void lt_silu_mul(const float *g, const float *u, float *out, int n);

/* out = a + b. In place is fine. */
void lt_add(const float *a, const float *b, float *out, int n);

#endif
