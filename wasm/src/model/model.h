/* A llama-architecture model in linear memory: config, weight pointers,
 * KV cache and all activation scratch, laid out once by lt_model_new.
 *
 * TypeScript (src/model/) reads the GGUF, creates the model, copies each
 * tensor into memory from lt_alloc and hands it over with
 * lt_model_set_tensor; lt_forward then runs one token. The slot numbers are
 * part of the ABI: src/wasm/exports.ts mirrors them.
 */
#ifndef LT_MODEL_H
#define LT_MODEL_H

#include "lutra.h"

enum lt_slot {
  /* global tensors (layer = -1) */
  LT_SLOT_TOKEN_EMBD = 0, /* [n_embd, n_vocab] */
  LT_SLOT_OUTPUT_NORM = 1, /* [n_embd], F32 */
  LT_SLOT_OUTPUT = 2,     /* [n_embd, n_vocab]; absent = tied to TOKEN_EMBD */
  /* per-layer tensors */
  LT_SLOT_ATTN_NORM = 3,  /* [n_embd], F32 */
  LT_SLOT_ATTN_Q = 4,     /* [n_embd, n_head * head_dim] */
  LT_SLOT_ATTN_K = 5,     /* [n_embd, n_head_kv * head_dim] */
  LT_SLOT_ATTN_V = 6,     /* [n_embd, n_head_kv * head_dim] */
  LT_SLOT_ATTN_OUT = 7,   /* [n_head * head_dim, n_embd] */
  LT_SLOT_FFN_NORM = 8,   /* [n_embd], F32 */
  LT_SLOT_FFN_GATE = 9,   /* [n_embd, n_ff] */
  LT_SLOT_FFN_UP = 10,    /* [n_embd, n_ff] */
  LT_SLOT_FFN_DOWN = 11,  /* [n_ff, n_embd] */
  /* optional per-layer tensors (F32), by architecture (lt_model_set_arch) */
  LT_SLOT_ATTN_Q_BIAS = 12,   /* [q_dim]  qwen2 */
  LT_SLOT_ATTN_K_BIAS = 13,   /* [kv_dim] qwen2 */
  LT_SLOT_ATTN_V_BIAS = 14,   /* [kv_dim] qwen2 */
  LT_SLOT_ATTN_SUB_NORM = 15, /* [q_dim]  bitnet: rmsnorm of the attention output before Wo */
  LT_SLOT_FFN_SUB_NORM = 16,  /* [n_ff]   bitnet: rmsnorm of the FFN activation before Wdown */
  LT_SLOT_COUNT = 17,
};
#define LT_FIRST_OPTIONAL_SLOT LT_SLOT_ATTN_Q_BIAS

/* Architecture variants of the graph (lt_model_set_arch). */
enum lt_ffn_act { LT_ACT_SILU = 0, LT_ACT_RELU2 = 1 };

#define LT_N_GLOBAL_SLOTS 3
#define LT_N_LAYER_SLOTS (LT_SLOT_COUNT - LT_N_GLOBAL_SLOTS)

/* How a weight is multiplied (lt_tensor.kind). */
enum lt_kind {
  LT_KIND_PLAIN = 0, /* F32 / F16 / Q8_0 as stored in the GGUF (wasm/src/kernels) */
  LT_KIND_LUT = 1,   /* repacked to the LUT layout (wasm/src/lut/lut.h), lt_lut_mm */
  LT_KIND_MAD = 2,   /* repacked to the MAD layout (wasm/src/lut/lut.h), lt_mad_mm */
};

/* A weight as set by TypeScript: ggml type, ggml dims (ne0 = row length). */
typedef struct {
  const void *data; /* 0 = not set */
  int32_t type;     /* the GGUF type it came from */
  int32_t ne0, ne1;
  int32_t relaxed_ok; /* Q8_0 without -128 quants: see lt_gemv_q8_0 */
  int32_t kind;       /* enum lt_kind */
  int32_t bits, G, asym; /* repacked layouts: lt_repack_info of the type */
  float zero;
} lt_tensor;

/* A matmul input: f32, plus its Q8_0 form, made on first use by a Q8_0 weight
 * and then shared by every weight that reads the same input (q/k/v, gate/up). */
typedef struct {
  const float *x;
  int K;
  int quantized;
  int8_t *xq;
  float *xd;
} lt_act;

/* One thread's private matmul-input buffers (the normed input, and the Q8_0 form of
 * whatever input it multiplies): every thread prepares its own copy instead of waiting
 * at a barrier for one thread to make a shared one. Thread 0 uses the model's xb/xq/xd. */
typedef struct {
  /* each for LT_NB tokens, token t at t·stride */
  float *xb;   /* [max(n_embd, q_dim)]: normed input, matmul output */
  int8_t *xq;  /* [max_k32] Q8_0 quants */
  float *xd;   /* [max_k32 / 32] Q8_0 scales (stride xq_stride / 32) */
  float *xs;   /* [max_k32]: a sub-normed matmul input (bitnet) */
  uint8_t *tab; /* LUT tables of one input (int8 or per-token mode), LT_TAB_BYTES(max_k32) */
  uint8_t *mad; /* MAD int8 activations of one input, LT_MADACT_BYTES(max_k32) */
  float *tmp;   /* [32]: a partial row block */
  uint32_t xb_stride, xs_stride, xq_stride, tab_stride, mad_stride;
} lt_scratch;

/* Tokens per prefill block (lt_forward_block): the mpGEMM kernels reuse each weight tile for
 * up to 8 tokens (LT_MAXTOK in wasm/src/lut). */
#define LT_NB 8

/* Upper bounds of lt_lut_table_bytes (ags >= 16, int8 or per-token mode) and lt_mad_act_bytes. */
#define LT_TAB_BYTES(K) ((size_t)(K) * 8 + 16 + (size_t)(K) / 2 + 64)
#define LT_MADACT_BYTES(K) ((size_t)(K) * 2 + (size_t)(K) / 2 + 64)

#define LT_MAX_THREADS 16

typedef struct lt_model {
  /* config */
  int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx, rope_dim, rope_neox;
  float rope_base, rms_eps;
  int32_t q_dim, kv_dim; /* n_head * head_dim, n_head_kv * head_dim */
  int32_t checked;       /* lt_model_check passed */
  int32_t qkv_bias, sub_norms, ffn_act; /* lt_model_set_arch: which optional tensors and FFN activation */
  int32_t tern_tab; /* LUT table mode of ternary weights: LT_TERN_TAB_EXACT or LT_TERN_TAB_I8 */

  lt_tensor global[LT_N_GLOBAL_SLOTS];
  lt_tensor *layers; /* [n_layer][LT_N_LAYER_SLOTS], indexed by slot - LT_N_GLOBAL_SLOTS */
  const lt_tensor *output; /* OUTPUT, or TOKEN_EMBD when tied */

  /* KV cache, f32: [n_layer][n_ctx][kv_dim] each */
  float *k_cache, *v_cache;

  /* activations (nothing is allocated per token); x, q, att_out, hb, hb2, rope_cos/sin hold
   * LT_NB tokens (a prefill block), token t at t·(the size given) */
  float *x;       /* residual stream [n_embd] */
  float *xb;      /* normed input [max(n_embd, q_dim)] */
  float *q;       /* [q_dim] */
  float *att_out; /* [q_dim] */
  float *att;     /* attention scores [n_head][n_ctx] */
  float *hb, *hb2; /* [n_ff] */
  float *logits;  /* [n_vocab] */
  int8_t *xq;     /* Q8_0 activation quants [max_k] */
  float *xd;      /* Q8_0 activation scales [max_k / 32] */
  float *inv_freq; /* [rope_dim / 2] */
  float *rope_cos, *rope_sin; /* [rope_dim / 2], for the current position */

  /* multi-threaded forward (forward.c) */
  int32_t max_k32;        /* the largest matmul input, rounded up to 32 */
  int32_t cur_pos;        /* the (first) position being run, for every thread */
  int32_t cur_n;          /* tokens in the block being run */
  lt_scratch scratch[LT_MAX_THREADS]; /* [0] allocated by lt_model_new, [t >= 1] on first use */
} lt_model;

lt_model *lt_model_new(int n_vocab, int n_embd, int n_layer, int n_head, int n_head_kv,
                       int head_dim, int n_ff, int n_ctx, int rope_dim, int rope_neox,
                       float rope_base, float rms_eps);
int lt_model_set_tensor(lt_model *m, int layer, int slot, int type, int ne0, int ne1, const void *data);
int lt_model_set_tensor_packed(lt_model *m, int layer, int slot, int type, int ne0, int ne1, const void *data, int kind);
int lt_model_check(lt_model *m);
int lt_model_set_arch(lt_model *m, int qkv_bias, int sub_norms, int ffn_act);
int lt_model_set_ternary_tables(lt_model *m, int mode);
float *lt_forward(lt_model *m, int token, int pos);
float *lt_forward_block(lt_model *m, const int32_t *tokens, int n, int pos);
int lt_model_alloc_scratch(lt_model *m, lt_scratch *s);
int lt_last_error(void);

/* The LUT kernels' entry points (wasm/src/lut). */
int lt_repack_info(int type, int32_t *out);
uint32_t lt_lut_table_bytes(int K, int ags, int mode);
int lt_lut_build(uint8_t *tab, const float *x, int K, int ags, int mode);
int lt_lut_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero, const uint8_t *tab, int mode, int ags,
              int ntok, uint32_t tstride, float *y, uint32_t ystride, int row0, int row1);
uint32_t lt_mad_act_bytes(int K, int ablk);
int lt_mad_quant(uint8_t *dst, const float *x, int K, int ablk);
int lt_mad_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero, const uint8_t *acts, int ablk, int ntok,
              uint32_t astride, float *y, uint32_t ystride, int row0, int row1);
int lt_lut_dequant_row(const uint8_t *W, int bits, int K, int G, int asym, float zero, int row, float *out);
int lt_mad_dequant_row(const uint8_t *W, int bits, int K, int G, int asym, float zero, int row, float *out);
uint32_t lt_lut_weight_bytes(int bits, int M, int K, int G, int asym);
int lt_repack_lut(uint8_t *dst, int type, const uint8_t *src, const float *d, const float *m, float zero,
                  int bits, int M, int K, int G, int row0, int row1);
int lt_repack_mad(uint8_t *dst, int type, const uint8_t *src, const float *d, const float *m, float zero,
                  int bits, int M, int K, int G, int row0, int row1);
int lt_repack_weight(uint8_t *dst, int type, const uint8_t *src, int M, int K, int kind);
uint32_t lt_mad_weight_bytes(int bits, int M, int K, int G, int asym);

/* Activation-block size of the LUT int8 tables for an input of length K (0: none fits). */
static inline int lt_lut_ags(int K) { return K % 64 == 0 ? 64 : K % 32 == 0 ? 32 : K % 16 == 0 ? 16 : 0; }
#define LT_MAD_ABLK 32 /* MAD activation quantization block */
#define LT_TERN_BITS 8 /* lut.h's LT_TERN */
/* Table modes for ternary weights (lut.h): BitNet's per-token int8 activations, then exact int16
 * tables (LT_TAB_TOK, the default) or int8 tables with one scale per lt_lut_ags(K) (LT_TAB_TOK_I8). */
#define LT_TERN_TAB_EXACT 2
#define LT_TERN_TAB_I8 3

/* internal: record a failure for lt_last_error and return -status */
int lt_set_error(int status);

#endif
