/* Model creation and weight binding (see model.h). All validation happens
 * here, at load time, so lt_forward can trust its inputs. */
#include "model/model.h"
#include "common/alloc.h"
#include "kernels/kernels.h"

static int last_error;

int lt_set_error(int status) {
  last_error = status;
  return -status;
}

LT_EXPORT(lt_last_error)
int lt_last_error(void) { return last_error; }

/* Room for `count` elements of `size` bytes, 16-byte aligned (SIMD loads and
 * stores); 0 on overflow or when memory cannot grow. */
static void *alloc_array(uint64_t count, uint64_t size) {
  uint64_t bytes = count * size;
  if (bytes > 0xFFFFFFFFull) return 0;
  return lt_alloc((size_t)bytes, 16);
}

static int imax(int a, int b) { return a > b ? a : b; }

LT_EXPORT(lt_model_new)
lt_model *lt_model_new(int n_vocab, int n_embd, int n_layer, int n_head, int n_head_kv,
                       int head_dim, int n_ff, int n_ctx, int rope_dim, int rope_neox,
                       float rope_base, float rms_eps) {
  if (n_vocab <= 0 || n_embd <= 0 || n_layer <= 0 || n_head <= 0 || n_head_kv <= 0 ||
      head_dim <= 0 || n_ff <= 0 || n_ctx <= 0 || n_head % n_head_kv != 0 ||
      rope_dim < 0 || rope_dim > head_dim || rope_dim % 2 != 0 || !(rope_base > 0) ||
      !(rms_eps >= 0)) {
    lt_set_error(LT_ERR_ARG);
    return 0;
  }
  lt_model *m = lt_alloc(sizeof(lt_model), 16);
  if (!m) goto oom;
  *m = (lt_model){0};
  m->tern_tab = LT_TERN_TAB_EXACT;
  m->n_vocab = n_vocab; m->n_embd = n_embd; m->n_layer = n_layer; m->n_head = n_head;
  m->n_head_kv = n_head_kv; m->head_dim = head_dim; m->n_ff = n_ff; m->n_ctx = n_ctx;
  m->rope_dim = rope_dim; m->rope_neox = rope_neox ? 1 : 0;
  m->rope_base = rope_base; m->rms_eps = rms_eps;
  m->q_dim = n_head * head_dim;
  m->kv_dim = n_head_kv * head_dim;

  uint64_t kv = (uint64_t)n_layer * n_ctx * m->kv_dim;
  /* the largest matmul input: n_embd (q/k/v/gate/up/output), q_dim (attn out), n_ff (down) */
  int max_k = imax(imax(n_embd, m->q_dim), n_ff);
  int max_k32 = (max_k + LT_QK8_0 - 1) / LT_QK8_0 * LT_QK8_0;
  m->max_k32 = max_k32;
  int half = rope_dim / 2 > 0 ? rope_dim / 2 : 1;
  if (!(m->layers = alloc_array((uint64_t)n_layer * LT_N_LAYER_SLOTS, sizeof(lt_tensor)))) goto oom;
  if (!(m->k_cache = alloc_array(kv, sizeof(float)))) goto oom;
  if (!(m->v_cache = alloc_array(kv, sizeof(float)))) goto oom;
  if (!(m->x = alloc_array((uint64_t)LT_NB * n_embd, sizeof(float)))) goto oom;
  if (!(m->xb = alloc_array(imax(n_embd, m->q_dim), sizeof(float)))) goto oom;
  if (!(m->q = alloc_array((uint64_t)LT_NB * m->q_dim, sizeof(float)))) goto oom;
  if (!(m->att_out = alloc_array((uint64_t)LT_NB * m->q_dim, sizeof(float)))) goto oom;
  if (!(m->att = alloc_array((uint64_t)n_head * n_ctx, sizeof(float)))) goto oom;
  if (!(m->hb = alloc_array((uint64_t)LT_NB * n_ff, sizeof(float)))) goto oom;
  if (!(m->hb2 = alloc_array((uint64_t)LT_NB * n_ff, sizeof(float)))) goto oom;
  if (!(m->logits = alloc_array(n_vocab, sizeof(float)))) goto oom;
  if (!(m->xq = alloc_array(max_k32, 1))) goto oom;
  if (!(m->xd = alloc_array(max_k32 / LT_QK8_0, sizeof(float)))) goto oom;
  if (!(m->inv_freq = alloc_array(half, sizeof(float)))) goto oom;
  if (!(m->rope_cos = alloc_array((uint64_t)LT_NB * half, sizeof(float)))) goto oom;
  if (!(m->rope_sin = alloc_array((uint64_t)LT_NB * half, sizeof(float)))) goto oom;
  if (lt_model_alloc_scratch(m, &m->scratch[0]) < 0) goto oom;
  for (uint64_t i = 0; i < (uint64_t)n_layer * LT_N_LAYER_SLOTS; i++) m->layers[i] = (lt_tensor){0};
  lt_rope_inv_freq(rope_base, rope_dim, m->inv_freq);
  last_error = LT_OK;
  return m;
oom:
  lt_set_error(LT_ERR_OOM);
  return 0;
}

static uint32_t round16(size_t n) { return (uint32_t)((n + 15) / 16 * 16); }

/* One thread's private buffers, for LT_NB tokens each (model.h). 0, or -LT_ERR_OOM. */
int lt_model_alloc_scratch(lt_model *m, lt_scratch *s) {
  lt_scratch t = {0};
  t.xb_stride = round16((size_t)imax(m->n_embd, m->q_dim) * sizeof(float)) / sizeof(float);
  t.xs_stride = (uint32_t)m->max_k32;
  t.xq_stride = (uint32_t)m->max_k32;
  t.tab_stride = round16(LT_TAB_BYTES(m->max_k32));
  t.mad_stride = round16(LT_MADACT_BYTES(m->max_k32));
  if (!(t.xq = alloc_array((uint64_t)LT_NB * t.xq_stride, 1))) return -LT_ERR_OOM;
  if (!(t.xd = alloc_array((uint64_t)LT_NB * (t.xq_stride / LT_QK8_0), sizeof(float)))) return -LT_ERR_OOM;
  if (!(t.xs = alloc_array((uint64_t)LT_NB * t.xs_stride, sizeof(float)))) return -LT_ERR_OOM;
  if (!(t.tab = alloc_array((uint64_t)LT_NB * t.tab_stride, 1))) return -LT_ERR_OOM;
  if (!(t.mad = alloc_array((uint64_t)LT_NB * t.mad_stride, 1))) return -LT_ERR_OOM;
  if (!(t.tmp = alloc_array((uint64_t)LT_NB * 32, sizeof(float)))) return -LT_ERR_OOM;
  if (!(t.xb = alloc_array((uint64_t)LT_NB * t.xb_stride, sizeof(float)))) return -LT_ERR_OOM;
  *s = t; /* xb last: marks the set complete */
  return 0;
}

static int is_norm(int slot) {
  return slot == LT_SLOT_OUTPUT_NORM || slot == LT_SLOT_ATTN_NORM || slot == LT_SLOT_FFN_NORM ||
         slot >= LT_FIRST_OPTIONAL_SLOT; /* biases and sub-norms: F32 vectors too */
}

/* Graph variant: qwen2 adds q/k/v biases; bitnet b1.58 adds the two sub-norms and (usually)
 * squared ReLU. Set before lt_model_check; it decides which optional tensors are required. */
LT_EXPORT(lt_model_set_arch)
int lt_model_set_arch(lt_model *m, int qkv_bias, int sub_norms, int ffn_act) {
  if (!m || (ffn_act != LT_ACT_SILU && ffn_act != LT_ACT_RELU2)) return lt_set_error(LT_ERR_ARG);
  m->qkv_bias = qkv_bias ? 1 : 0;
  m->sub_norms = sub_norms ? 1 : 0;
  m->ffn_act = ffn_act;
  m->checked = 0;
  return LT_OK;
}

/* The LUT tables ternary weights are multiplied with: LT_TERN_TAB_EXACT (2, the default) is
 * BitNet b1.58's int8-activation product exactly (int16 tables, two lookups per index vector);
 * LT_TERN_TAB_I8 (3) rounds the tables of those activations to int8 (one lookup): faster, logit
 * NMSE ~1e-3 (figures in src/model/llama.ts TernaryTables). May be changed between forward calls. */
LT_EXPORT(lt_model_set_ternary_tables)
int lt_model_set_ternary_tables(lt_model *m, int mode) {
  if (!m || (mode != LT_TERN_TAB_EXACT && mode != LT_TERN_TAB_I8)) return lt_set_error(LT_ERR_ARG);
  m->tern_tab = mode;
  return LT_OK;
}

/* Expected (ne0, ne1) of a slot under the model's config. */
static void expected_shape(const lt_model *m, int slot, int *ne0, int *ne1) {
  *ne1 = 1;
  switch (slot) {
    case LT_SLOT_TOKEN_EMBD: case LT_SLOT_OUTPUT: *ne0 = m->n_embd; *ne1 = m->n_vocab; break;
    case LT_SLOT_OUTPUT_NORM: case LT_SLOT_ATTN_NORM: case LT_SLOT_FFN_NORM: *ne0 = m->n_embd; break;
    case LT_SLOT_ATTN_Q: *ne0 = m->n_embd; *ne1 = m->q_dim; break;
    case LT_SLOT_ATTN_K: case LT_SLOT_ATTN_V: *ne0 = m->n_embd; *ne1 = m->kv_dim; break;
    case LT_SLOT_ATTN_OUT: *ne0 = m->q_dim; *ne1 = m->n_embd; break;
    case LT_SLOT_FFN_GATE: case LT_SLOT_FFN_UP: *ne0 = m->n_embd; *ne1 = m->n_ff; break;
    case LT_SLOT_FFN_DOWN: *ne0 = m->n_ff; *ne1 = m->n_embd; break;
    case LT_SLOT_ATTN_Q_BIAS: case LT_SLOT_ATTN_SUB_NORM: *ne0 = m->q_dim; break;
    case LT_SLOT_ATTN_K_BIAS: case LT_SLOT_ATTN_V_BIAS: *ne0 = m->kv_dim; break;
    case LT_SLOT_FFN_SUB_NORM: *ne0 = m->n_ff; break;
    default: *ne0 = *ne1 = -1;
  }
}

LT_EXPORT(lt_model_set_tensor)
int lt_model_set_tensor(lt_model *m, int layer, int slot, int type, int ne0, int ne1, const void *data) {
  if (!m || !data || slot < 0 || slot >= LT_SLOT_COUNT) return lt_set_error(LT_ERR_ARG);
  int global = slot < LT_N_GLOBAL_SLOTS;
  if (global ? layer != -1 : (layer < 0 || layer >= m->n_layer)) return lt_set_error(LT_ERR_ARG);

  if (is_norm(slot)) {
    if (type != LT_F32) return lt_set_error(LT_ERR_UNSUPPORTED_TYPE);
  } else if (type != LT_F32 && type != LT_F16 && type != LT_Q8_0) {
    return lt_set_error(LT_ERR_UNSUPPORTED_TYPE);
  }
  int want0, want1;
  expected_shape(m, slot, &want0, &want1);
  if (ne0 != want0 || ne1 != want1) return lt_set_error(LT_ERR_SHAPE);
  if (type == LT_Q8_0 && ne0 % LT_QK8_0 != 0) return lt_set_error(LT_ERR_SHAPE);

  lt_tensor t = {data, type, ne0, ne1, 0, LT_KIND_PLAIN, 0, 0, 0, 0};
  if (type == LT_Q8_0) {
#ifdef LT_RELAXED
    t.relaxed_ok = !lt_q8_0_has_min(data, (size_t)ne1 * (ne0 / LT_QK8_0));
#endif
  }
  if (global) m->global[slot] = t;
  else m->layers[(size_t)layer * LT_N_LAYER_SLOTS + (slot - LT_N_GLOBAL_SLOTS)] = t;
  m->checked = 0;
  return LT_OK;
}

/* A weight repacked by lt_repack_lut (kind LT_KIND_LUT) or lt_repack_mad (LT_KIND_MAD)
 * from a GGUF tensor of `type`: the layout parameters come from lt_repack_info. */
LT_EXPORT(lt_model_set_tensor_packed)
int lt_model_set_tensor_packed(lt_model *m, int layer, int slot, int type, int ne0, int ne1, const void *data, int kind) {
  if (!m || !data || slot < 0 || slot >= LT_SLOT_COUNT || is_norm(slot)) return lt_set_error(LT_ERR_ARG);
  int global = slot < LT_N_GLOBAL_SLOTS;
  if (global ? layer != -1 : (layer < 0 || layer >= m->n_layer)) return lt_set_error(LT_ERR_ARG);
  int32_t info[5];
  if (!lt_repack_info(type, info)) return lt_set_error(LT_ERR_UNSUPPORTED_TYPE);
  int want0, want1;
  expected_shape(m, slot, &want0, &want1);
  if (ne0 != want0 || ne1 != want1) return lt_set_error(LT_ERR_SHAPE);
  int bits = info[0], G = info[1], asym = info[2];
  if (kind == LT_KIND_LUT) {
    asym = info[4]; /* Q2_K: the two-level layout */
    if (!lt_lut_weight_bytes(bits, ne1, ne0, G, asym) || !lt_lut_ags(ne0)) return lt_set_error(LT_ERR_SHAPE);
  } else if (kind == LT_KIND_MAD) {
    if (bits == LT_TERN_BITS) bits = 2; /* the MAD layout takes ternary as 2-bit codes, zero 1 */
    if (!lt_mad_weight_bytes(bits, ne1, ne0, G, asym) || ne0 % LT_MAD_ABLK) return lt_set_error(LT_ERR_SHAPE);
  } else {
    return lt_set_error(LT_ERR_ARG);
  }
  lt_tensor t = {data, type, ne0, ne1, 0, kind, bits, G, asym, (float)info[3]};
  if (global) m->global[slot] = t;
  else m->layers[(size_t)layer * LT_N_LAYER_SLOTS + (slot - LT_N_GLOBAL_SLOTS)] = t;
  m->checked = 0;
  return LT_OK;
}

LT_EXPORT(lt_model_check)
int lt_model_check(lt_model *m) {
  if (!m) return lt_set_error(LT_ERR_ARG);
  if (!m->global[LT_SLOT_TOKEN_EMBD].data || !m->global[LT_SLOT_OUTPUT_NORM].data)
    return lt_set_error(LT_ERR_MISSING_TENSOR);
  for (size_t i = 0; i < (size_t)m->n_layer * LT_N_LAYER_SLOTS; i++) {
    int slot = (int)(i % LT_N_LAYER_SLOTS) + LT_N_GLOBAL_SLOTS;
    int need = slot < LT_FIRST_OPTIONAL_SLOT ||
               (m->qkv_bias && slot >= LT_SLOT_ATTN_Q_BIAS && slot <= LT_SLOT_ATTN_V_BIAS) ||
               (m->sub_norms && (slot == LT_SLOT_ATTN_SUB_NORM || slot == LT_SLOT_FFN_SUB_NORM));
    if (need && !m->layers[i].data) return lt_set_error(LT_ERR_MISSING_TENSOR);
    if (!need) m->layers[i].data = 0; /* not part of this graph */
  }
  /* tied embeddings: the output head is the embedding matrix */
  m->output = m->global[LT_SLOT_OUTPUT].data ? &m->global[LT_SLOT_OUTPUT] : &m->global[LT_SLOT_TOKEN_EMBD];
  m->checked = 1;
  return LT_OK;
}

/* Exported so tests and TypeScript can read the buffers without mirroring the struct. */
LT_EXPORT(lt_model_logits) float *lt_model_logits(lt_model *m) { return m->logits; }

/* The RoPE inverse frequencies (rope_dim/2 floats, base^(-2i/rope_dim)). The
 * loader may rescale them in place before the first forward: per-dimension
 * factors (a GGUF's rope_freqs.weight, as Llama 3.1+ ship) and linear
 * position scaling both divide the frequencies. */
LT_EXPORT(lt_model_rope_freqs) float *lt_model_rope_freqs(lt_model *m) { return m->inv_freq; }
