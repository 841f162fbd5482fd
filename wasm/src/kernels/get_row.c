/* One row of a weight matrix as f32: the token-embedding lookup. Only one
 * row is read per token, so this is simple rather than fast. */
#include "kernels/kernels.h"
#include "common/f16.h"

LT_EXPORT(lt_get_row)
int lt_get_row(int type, const void *W, int row, int K, float *out) {
  switch (type) {
    case LT_F32: {
      const float *w = (const float *)W + (size_t)row * K;
      for (int k = 0; k < K; k++) out[k] = w[k];
      return LT_OK;
    }
    case LT_F16: {
      const uint16_t *w = (const uint16_t *)W + (size_t)row * K;
      for (int k = 0; k < K; k++) out[k] = lt_f16_to_f32(w[k]);
      return LT_OK;
    }
    case LT_Q8_0: {
      int nb = K / LT_QK8_0;
      const uint8_t *w = (const uint8_t *)W + (size_t)row * nb * LT_Q8_0_BLOCK_BYTES;
      for (int b = 0; b < nb; b++, w += LT_Q8_0_BLOCK_BYTES) {
        float d = lt_f16_to_f32((uint16_t)(w[0] | (w[1] << 8)));
        for (int i = 0; i < LT_QK8_0; i++) out[b * LT_QK8_0 + i] = d * (float)(int8_t)w[2 + i];
      }
      return LT_OK;
    }
    default:
      return -LT_ERR_UNSUPPORTED_TYPE;
  }
}
