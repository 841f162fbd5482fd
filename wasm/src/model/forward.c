/* The llama forward pass for one token at one position (decode).
 *
 *   x = embedding[token]
 *   for each layer:
 *     h = rmsnorm(x) * attn_norm
 *     q, k, v = Wq h, Wk h, Wv h;  rotate q and k (RoPE);  k, v -> cache[pos]
 *     x += Wo attention(q, cache[0..pos])
 *     h = rmsnorm(x) * ffn_norm
 *     x += Wdown (silu(Wgate h) * Wup h)
 *   logits = Woutput (rmsnorm(x) * output_norm)
 *
 * Every buffer was allocated by lt_model_new; nothing is allocated here.
 */
#include "model/model.h"
#include "kernels/kernels.h"
#include "common/mathf.h"

/* y = W x for a weight of any supported type (types were checked at load). */
static void matvec(const lt_tensor *w, lt_act *a, float *y) {
  int K = w->ne0, M = w->ne1;
  switch (w->type) {
    case LT_F32:
      lt_gemv_f32(w->data, a->x, y, K, 0, M);
      break;
    case LT_F16:
      lt_gemv_f16(w->data, a->x, y, K, 0, M);
      break;
    case LT_Q8_0:
      if (!a->quantized) {
        lt_quantize_q8_0(a->x, a->K, a->xq, a->xd);
        a->quantized = 1;
      }
      lt_gemv_q8_0(w->data, a->xq, a->xd, y, K, 0, M, w->relaxed_ok);
      break;
  }
}

/* Layer l's weight in a per-layer slot. */
static inline const lt_tensor *layer_weight(const lt_model *m, int l, int slot) {
  return &m->layers[(size_t)l * LT_N_LAYER_SLOTS + (slot - LT_N_GLOBAL_SLOTS)];
}

static lt_act input(lt_model *m, const float *x, int K) {
  return (lt_act){x, K, 0, m->xq, m->xd};
}

LT_EXPORT(lt_forward)
float *lt_forward(lt_model *m, int token, int pos) {
  if (!m || !m->checked) { lt_set_error(LT_ERR_MISSING_TENSOR); return 0; }
  if (token < 0 || token >= m->n_vocab || pos < 0 || pos >= m->n_ctx) { lt_set_error(LT_ERR_ARG); return 0; }

  const int n_embd = m->n_embd, head_dim = m->head_dim, kv_dim = m->kv_dim;
  const lt_tensor *embd = &m->global[LT_SLOT_TOKEN_EMBD];
  lt_get_row(embd->type, embd->data, token, n_embd, m->x);
  lt_rope_angles(pos, m->inv_freq, m->rope_dim / 2, m->rope_cos, m->rope_sin);
  const float att_scale = 1.0f / lt_sqrtf((float)head_dim);

  for (int l = 0; l < m->n_layer; l++) {
    float *k_layer = m->k_cache + (size_t)l * m->n_ctx * kv_dim;
    float *v_layer = m->v_cache + (size_t)l * m->n_ctx * kv_dim;
    float *k = k_layer + (size_t)pos * kv_dim, *v = v_layer + (size_t)pos * kv_dim;

    /* attention block */
    lt_rmsnorm(m->x, layer_weight(m, l, LT_SLOT_ATTN_NORM)->data, m->xb, n_embd, m->rms_eps);
    lt_act a = input(m, m->xb, n_embd);
    matvec(layer_weight(m, l, LT_SLOT_ATTN_Q), &a, m->q);
    matvec(layer_weight(m, l, LT_SLOT_ATTN_K), &a, k); /* straight into the cache */
    matvec(layer_weight(m, l, LT_SLOT_ATTN_V), &a, v);
    lt_rope(m->q, m->n_head, head_dim, m->rope_dim, m->rope_cos, m->rope_sin, m->rope_neox);
    lt_rope(k, m->n_head_kv, head_dim, m->rope_dim, m->rope_cos, m->rope_sin, m->rope_neox);
    lt_attention(m->q, k_layer, v_layer, m->att_out, m->att, m->n_ctx, m->n_head, m->n_head_kv,
                 head_dim, kv_dim, pos + 1, att_scale, 0, m->n_head);
    a = input(m, m->att_out, m->q_dim);
    matvec(layer_weight(m, l, LT_SLOT_ATTN_OUT), &a, m->xb);
    lt_add(m->x, m->xb, m->x, n_embd);

    /* feed-forward block (SwiGLU) */
    lt_rmsnorm(m->x, layer_weight(m, l, LT_SLOT_FFN_NORM)->data, m->xb, n_embd, m->rms_eps);
    a = input(m, m->xb, n_embd);
    matvec(layer_weight(m, l, LT_SLOT_FFN_GATE), &a, m->hb);
    matvec(layer_weight(m, l, LT_SLOT_FFN_UP), &a, m->hb2);
    lt_silu_mul(m->hb, m->hb2, m->hb, m->n_ff);
    a = input(m, m->hb, m->n_ff);
    matvec(layer_weight(m, l, LT_SLOT_FFN_DOWN), &a, m->xb);
    lt_add(m->x, m->xb, m->x, n_embd);
  }

  lt_rmsnorm(m->x, m->global[LT_SLOT_OUTPUT_NORM].data, m->xb, n_embd, m->rms_eps);
  lt_act a = input(m, m->xb, n_embd);
  matvec(m->output, &a, m->logits);
  return m->logits;
}
