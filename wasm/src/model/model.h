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
  LT_SLOT_COUNT = 12,
};

#define LT_N_GLOBAL_SLOTS 3
#define LT_N_LAYER_SLOTS (LT_SLOT_COUNT - LT_N_GLOBAL_SLOTS)

/* A weight as set by TypeScript: ggml type, ggml dims (ne0 = row length). */
typedef struct {
  const void *data; /* 0 = not set */
  int32_t type;
  int32_t ne0, ne1;
  int32_t relaxed_ok; /* Q8_0 without -128 quants: see lt_gemv_q8_0 */
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
  float *xb;   /* [max(n_embd, q_dim)] */
  int8_t *xq;  /* [max_k32] */
  float *xd;   /* [max_k32 / 32] */
} lt_scratch;

#define LT_MAX_THREADS 16

typedef struct lt_model {
  /* config */
  int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx, rope_dim, rope_neox;
  float rope_base, rms_eps;
  int32_t q_dim, kv_dim; /* n_head * head_dim, n_head_kv * head_dim */
  int32_t checked;       /* lt_model_check passed */

  lt_tensor global[LT_N_GLOBAL_SLOTS];
  lt_tensor *layers; /* [n_layer][LT_N_LAYER_SLOTS], indexed by slot - LT_N_GLOBAL_SLOTS */
  const lt_tensor *output; /* OUTPUT, or TOKEN_EMBD when tied */

  /* KV cache, f32: [n_layer][n_ctx][kv_dim] each */
  float *k_cache, *v_cache;

  /* activations (nothing is allocated per token) */
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
  int32_t cur_pos;        /* the position being run, for every thread */
  lt_scratch scratch[LT_MAX_THREADS]; /* [t] for t >= 1, allocated on first use */
} lt_model;

lt_model *lt_model_new(int n_vocab, int n_embd, int n_layer, int n_head, int n_head_kv,
                       int head_dim, int n_ff, int n_ctx, int rope_dim, int rope_neox,
                       float rope_base, float rms_eps);
int lt_model_set_tensor(lt_model *m, int layer, int slot, int type, int ne0, int ne1, const void *data);
int lt_model_check(lt_model *m);
float *lt_forward(lt_model *m, int token, int pos);
int lt_last_error(void);

/* internal: record a failure for lt_last_error and return -status */
int lt_set_error(int status);

#endif
