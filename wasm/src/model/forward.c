/* The llama forward pass for one token at one position (decode), on one thread or on
 * every thread of the worker pool (wasm/src/threads).
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
 * Threads. Thread 0 (the engine worker) looks up the embedding and the RoPE angles,
 * then posts ONE job (LT_JOB_CALL → forward_job) that every thread runs; the kernel
 * workers are parked in lt_thr_worker. Inside, each operator is split so a thread's
 * share is contiguous, and threads meet at a barrier only where the next operator reads
 * what others wrote. Per layer that is 5 barriers:
 *
 *   [private] rmsnorm(x) → own xb (and own Q8_0 copy): every thread, redundantly
 *   Q, K, V rows, in whole heads (q heads, then k heads, then v heads, all of the same
 *     length), each thread ropes the q/k heads it made           ── barrier 1
 *   attention, by query heads (contiguous: GQA groups stay together) ── barrier 2
 *   Wo rows (blocks of 16), x[rows] += result                   ── barrier 3
 *   [private] rmsnorm(x); gate and up rows (blocks of 16), silu·up on them ── barrier 4
 *   Wdown rows (blocks of 16), x[rows] += result                ── barrier 5
 *
 * and the output head split by rows, joined by the job's own final barrier. The
 * matmul inputs made by other threads (attention output, silu·up) are quantized to Q8_0
 * by each thread into its own buffer: O(K) work that saves a barrier. Every value is
 * computed by the same code on the same data as with one thread, so the logits are
 * bit-identical for any thread count. With one thread there is no job and no barrier.
 *
 * Every buffer was allocated by lt_model_new (per-thread scratch on the first
 * multi-threaded call); nothing is allocated per token.
 */
#include "model/model.h"
#include "kernels/kernels.h"
#include "common/alloc.h"
#include "common/mathf.h"
#include "threads/threads.h"

/* Rows per block when a matmul is split by rows: 32 f32 outputs = two 64-byte lines, so
 * two threads never write the same cache line of y; a multiple of the 4 rows the GEMV
 * kernels do per pass and of the LUT (32) and MAD (16) layouts' row blocks. */
#define ROW_BLOCK 32

/* The pool lt_forward posts to (0: run on the calling thread alone). Static data lives in
 * the shared memory, so it is one setting for every instance of the module. */
static lt_thr_ctl *forward_pool;

/* The matmul input of n tokens (token t at x + t·xs): f32, plus the forms the weights that
 * read it need, each made in this thread's buffers on first use and then shared by every
 * weight that reads the same input (q/k/v share one, gate/up share one): Q8_0 quants for
 * Q8_0 weights, LUT tables (int8 with one scale per `ags` activations, or per-token int8 for
 * ternary weights: exact or int8 tables, lt_model_set_ternary_tables) for LUT weights, int8
 * activations for MAD weights. */
typedef struct {
  const float *x;
  uint32_t xs;
  int K, n;
  int quantized;
  int tab_mode; /* -1: no tables yet, else the LT_TAB_* mode they were built in */
  int tern_tab; /* the table mode of ternary weights (lt_model.tern_tab) */
  int mad_done;
  const lt_scratch *s;
} act_t;

#define TAB_I8 0

static inline act_t make_act(const lt_model *m, const float *x, uint32_t xs, int K, int n, const lt_scratch *s) {
  return (act_t){x, xs, K, n, 0, -1, m->tern_tab, 0, s};
}

/* Rows [r0, r1) (multiples of the layout's row block) of a repacked weight, every token:
 * one mpGEMV (n = 1) or mpGEMM (n > 1) call. */
static void packed_rows(const lt_tensor *w, act_t *a, const uint8_t *W, float *y, uint32_t ys, int r0, int r1) {
  const int K = w->ne0;
  const lt_scratch *s = a->s;
  if (w->kind == LT_KIND_LUT) {
    const int mode = w->bits == LT_TERN_BITS ? a->tern_tab : TAB_I8;
    if (a->tab_mode != mode) {
      for (int t = 0; t < a->n; t++) lt_lut_build(s->tab + (size_t)t * s->tab_stride, a->x + (size_t)t * a->xs, K, lt_lut_ags(K), mode);
      a->tab_mode = mode;
    }
    lt_lut_mm(W, w->bits, K, w->G, w->asym, w->zero, s->tab, mode, lt_lut_ags(K), a->n, s->tab_stride, y, ys, r0, r1);
  } else {
    if (!a->mad_done) {
      for (int t = 0; t < a->n; t++) lt_mad_quant(s->mad + (size_t)t * s->mad_stride, a->x + (size_t)t * a->xs, K, LT_MAD_ABLK);
      a->mad_done = 1;
    }
    lt_mad_mm(W, w->bits, K, w->G, w->asym, w->zero, s->mad, LT_MAD_ABLK, a->n, s->mad_stride, y, ys, r0, r1);
  }
}

/* y[t·ys + row0..row1) = W x_t for every token t, for a weight of any supported type. */
static void matvec_rows(const lt_tensor *w, act_t *a, float *y, uint32_t ys, int row0, int row1) {
  if (row1 <= row0) return;
  const int K = w->ne0, n = a->n;
  const lt_scratch *s = a->s;
  if (w->kind != LT_KIND_PLAIN) {
    /* the kernels write whole row blocks: a partial block at either end goes through tmp */
    const int B = w->kind == LT_KIND_LUT ? 32 : 16;
    const uint32_t rbb = w->kind == LT_KIND_LUT ? lt_lut_weight_bytes(w->bits, 32, K, w->G, w->asym)
                                                : lt_mad_weight_bytes(w->bits, 16, K, w->G, w->asym);
    const uint8_t *W = w->data;
    for (int r = row0; r < row1;) {
      int bs = r / B * B;
      if (r == bs && bs + B <= row1) { /* the aligned run */
        int end = row1 / B * B;
        packed_rows(w, a, W, y, ys, bs, end);
        r = end;
      } else {
        int end = bs + B < row1 ? bs + B : row1;
        packed_rows(w, a, W + (size_t)(bs / B) * rbb, s->tmp, 32, 0, B);
        for (int t = 0; t < n; t++)
          for (int i = r; i < end; i++) y[(size_t)t * ys + i] = s->tmp[t * 32 + i - bs];
        r = end;
      }
    }
    return;
  }
  for (int t = 0; t < n; t++) {
    const float *x = a->x + (size_t)t * a->xs;
    float *yt = y + (size_t)t * ys;
    switch (w->type) {
      case LT_F32:
        lt_gemv_f32(w->data, x, yt, K, row0, row1);
        break;
      case LT_F16:
        lt_gemv_f16(w->data, x, yt, K, row0, row1);
        break;
      case LT_Q8_0: {
        int8_t *xq = s->xq + (size_t)t * s->xq_stride;
        float *xd = s->xd + (size_t)t * (s->xq_stride / LT_QK8_0);
        if (!(a->quantized & (1 << t))) {
          lt_quantize_q8_0(x, a->K, xq, xd);
          a->quantized |= 1 << t;
        }
        lt_gemv_q8_0(w->data, xq, xd, yt, K, row0, row1, w->relaxed_ok);
        break;
      }
    }
  }
}

/* Layer l's weight in a per-layer slot. */
static inline const lt_tensor *layer_weight(const lt_model *m, int l, int slot) {
  return &m->layers[(size_t)l * LT_N_LAYER_SLOTS + (slot - LT_N_GLOBAL_SLOTS)];
}

/* [*u0, *u1): thread tid's share of `units` equal units (balanced to within one). */
static inline void share(int units, int tid, int n, int *u0, int *u1) {
  *u0 = (int)((int64_t)units * tid / n);
  *u1 = (int)((int64_t)units * (tid + 1) / n);
}

/* Thread tid's rows of an M-row matmul, in whole blocks of ROW_BLOCK. */
static inline void share_rows(int M, int tid, int n, int *r0, int *r1) {
  int b0, b1;
  share((M + ROW_BLOCK - 1) / ROW_BLOCK, tid, n, &b0, &b1);
  *r0 = b0 * ROW_BLOCK;
  *r1 = b1 * ROW_BLOCK < M ? b1 * ROW_BLOCK : M;
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* Meet the other threads; nonzero if the pool was aborted (then return at once). */
static inline int sync(lt_thr_ctl *c, int tid) {
  if (!c) return 0;
  lt_thr_barrier(c, tid);
  return lt_thr_aborted(c);
}

/* Rows [u0, u1) of the units of one of q/k/v: units [base, base + heads) of head_dim rows, every
 * token (token t's output at y + t·ys, roped at position cur_pos + t). */
static void qkv_part(const lt_model *m, const lt_tensor *w, const lt_tensor *bias, act_t *a, float *y, uint32_t ys,
                     int base, int heads, int u0, int u1, int rope) {
  int h0 = imax(u0 - base, 0), h1 = imin(u1 - base, heads);
  if (h1 <= h0) return;
  matvec_rows(w, a, y, ys, h0 * m->head_dim, h1 * m->head_dim);
  const int half = m->rope_dim / 2 > 0 ? m->rope_dim / 2 : 1;
  for (int t = 0; t < a->n; t++) {
    float *yt = y + (size_t)t * ys;
    if (bias->data) {
      const float *b = bias->data;
      for (int r = h0 * m->head_dim; r < h1 * m->head_dim; r++) yt[r] += b[r];
    }
    if (rope)
      lt_rope(yt + (size_t)h0 * m->head_dim, h1 - h0, m->head_dim, m->rope_dim, m->rope_cos + (size_t)t * half,
              m->rope_sin + (size_t)t * half, m->rope_neox);
  }
}

/* g = relu(g)² · u (BitNet b1.58's squared ReLU gate). */
static void relu2_mul(float *g, const float *u, int n) {
  for (int i = 0; i < n; i++) {
    float r = g[i] > 0 ? g[i] : 0;
    g[i] = r * r * u[i];
  }
}

static int forward_job(void *ctx, lt_thr_ctl *c, int tid, int nth) {
  lt_model *m = ctx;
  const int n_embd = m->n_embd, head_dim = m->head_dim, kv_dim = m->kv_dim, q_dim = m->q_dim, n_ff = m->n_ff;
  const int pos = m->cur_pos, n = m->cur_n;
  const float att_scale = 1.0f / lt_sqrtf((float)head_dim);
  const lt_scratch *sc = &m->scratch[tid];
  float *xb = sc->xb, *xs = sc->xs;
  const uint32_t xbs = sc->xb_stride, xss = sc->xs_stride;

  /* this thread's fixed shares */
  int qkv0, qkv1, hd0, hd1, e0, e1, f0, f1, v0, v1;
  share(m->n_head + 2 * m->n_head_kv, tid, nth, &qkv0, &qkv1);
  share(m->n_head, tid, nth, &hd0, &hd1);
  share_rows(n_embd, tid, nth, &e0, &e1);
  share_rows(n_ff, tid, nth, &f0, &f1);
  share_rows(m->output->ne1, tid, nth, &v0, &v1);

  for (int l = 0; l < m->n_layer; l++) {
    float *k_layer = m->k_cache + (size_t)l * m->n_ctx * kv_dim;
    float *v_layer = m->v_cache + (size_t)l * m->n_ctx * kv_dim;
    float *k = k_layer + (size_t)pos * kv_dim, *v = v_layer + (size_t)pos * kv_dim;

    /* attention block */
    for (int t = 0; t < n; t++)
      lt_rmsnorm(m->x + (size_t)t * n_embd, layer_weight(m, l, LT_SLOT_ATTN_NORM)->data, xb + (size_t)t * xbs, n_embd, m->rms_eps);
    act_t a = make_act(m, xb, xbs, n_embd, n, sc);
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_Q), layer_weight(m, l, LT_SLOT_ATTN_Q_BIAS), &a, m->q, q_dim, 0,
             m->n_head, qkv0, qkv1, 1);
    /* k and v straight into the cache: positions pos..pos+n-1 are consecutive rows */
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_K), layer_weight(m, l, LT_SLOT_ATTN_K_BIAS), &a, k, kv_dim, m->n_head,
             m->n_head_kv, qkv0, qkv1, 1);
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_V), layer_weight(m, l, LT_SLOT_ATTN_V_BIAS), &a, v, kv_dim,
             m->n_head + m->n_head_kv, m->n_head_kv, qkv0, qkv1, 0);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (hd1 > hd0)
      for (int t = 0; t < n; t++) /* causal: token t sees positions 0..pos+t */
        lt_attention(m->q + (size_t)t * q_dim, k_layer, v_layer, m->att_out + (size_t)t * q_dim, m->att, m->n_ctx,
                     m->n_head, m->n_head_kv, head_dim, kv_dim, pos + t + 1, att_scale, hd0, hd1);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (m->sub_norms) { /* bitnet: every thread norms the whole attention output privately */
      for (int t = 0; t < n; t++)
        lt_rmsnorm(m->att_out + (size_t)t * q_dim, layer_weight(m, l, LT_SLOT_ATTN_SUB_NORM)->data, xs + (size_t)t * xss,
                   q_dim, m->rms_eps);
      a = make_act(m, xs, xss, q_dim, n, sc);
    } else {
      a = make_act(m, m->att_out, q_dim, q_dim, n, sc);
    }
    matvec_rows(layer_weight(m, l, LT_SLOT_ATTN_OUT), &a, xb, xbs, e0, e1);
    if (e1 > e0)
      for (int t = 0; t < n; t++) lt_add(m->x + (size_t)t * n_embd + e0, xb + (size_t)t * xbs + e0, m->x + (size_t)t * n_embd + e0, e1 - e0);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    /* feed-forward block (gated: SiLU or squared ReLU) */
    for (int t = 0; t < n; t++)
      lt_rmsnorm(m->x + (size_t)t * n_embd, layer_weight(m, l, LT_SLOT_FFN_NORM)->data, xb + (size_t)t * xbs, n_embd, m->rms_eps);
    a = make_act(m, xb, xbs, n_embd, n, sc);
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_GATE), &a, m->hb, n_ff, f0, f1);
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_UP), &a, m->hb2, n_ff, f0, f1);
    if (f1 > f0) {
      for (int t = 0; t < n; t++) {
        float *g = m->hb + (size_t)t * n_ff + f0, *u = m->hb2 + (size_t)t * n_ff + f0;
        if (m->ffn_act == LT_ACT_RELU2) relu2_mul(g, u, f1 - f0);
        else lt_silu_mul(g, u, g, f1 - f0);
      }
    }
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (m->sub_norms) {
      for (int t = 0; t < n; t++)
        lt_rmsnorm(m->hb + (size_t)t * n_ff, layer_weight(m, l, LT_SLOT_FFN_SUB_NORM)->data, xs + (size_t)t * xss, n_ff,
                   m->rms_eps);
      a = make_act(m, xs, xss, n_ff, n, sc);
    } else {
      a = make_act(m, m->hb, n_ff, n_ff, n, sc);
    }
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_DOWN), &a, xb, xbs, e0, e1);
    if (e1 > e0)
      for (int t = 0; t < n; t++) lt_add(m->x + (size_t)t * n_embd + e0, xb + (size_t)t * xbs + e0, m->x + (size_t)t * n_embd + e0, e1 - e0);
    if (sync(c, tid)) return -LT_ERR_THREAD;
  }

  /* logits of the last token only */
  lt_rmsnorm(m->x + (size_t)(n - 1) * n_embd, m->global[LT_SLOT_OUTPUT_NORM].data, xb, n_embd, m->rms_eps);
  act_t a = make_act(m, xb, xbs, n_embd, 1, sc);
  matvec_rows(m->output, &a, m->logits, 0, v0, v1);
  return 0;
}

/* Private buffers of threads 1..n-1 (thread 0's come from lt_model_new). 0, or -LT_ERR_OOM. */
static int ensure_scratch(lt_model *m, int n) {
  for (int t = 1; t < n; t++)
    if (!m->scratch[t].xb && lt_model_alloc_scratch(m, &m->scratch[t]) < 0) return -LT_ERR_OOM;
  return 0;
}

/* Run lt_forward on this pool from now on (0: on the calling thread alone). The pool's
 * thread count (lt_thr_init, at most LT_MAX_THREADS) is read at every call. */
LT_EXPORT(lt_forward_use_pool)
int lt_forward_use_pool(lt_thr_ctl *c) {
  if (c && (c->nthreads < 1 || c->nthreads > LT_MAX_THREADS)) return lt_set_error(LT_ERR_ARG);
  forward_pool = c;
  return LT_OK;
}

/* Repacking a GGUF weight at load, split by row blocks over the pool's threads (the pool set
 * with lt_forward_use_pool; alone without one). */
typedef struct { uint8_t *dst; const uint8_t *src; int type, M, K, kind; } repack_ctx;

static int repack_job(void *ctx, lt_thr_ctl *c, int tid, int n) {
  const repack_ctx *r = ctx;
  const int B = r->kind == LT_KIND_LUT ? 32 : 16;
  int b0, b1;
  share(r->M / B, tid, n, &b0, &b1);
  if (b1 <= b0) return 0;
  int32_t info[5];
  if (!lt_repack_info(r->type, info)) return -LT_ERR_UNSUPPORTED_TYPE;
  return r->kind == LT_KIND_LUT
             ? lt_repack_lut(r->dst, r->type, r->src, 0, 0, 0, info[0], r->M, r->K, info[1], b0 * B, b1 * B)
             : lt_repack_mad(r->dst, r->type, r->src, 0, 0, 0, info[0], r->M, r->K, info[1], b0 * B, b1 * B);
}

/* dst = the [M][K] GGUF weight at src (type) in the LUT (kind 1) or MAD (kind 2) layout. 0 or -status. */
LT_EXPORT(lt_repack_weight)
int lt_repack_weight(uint8_t *dst, int type, const uint8_t *src, int M, int K, int kind) {
  if ((kind != LT_KIND_LUT && kind != LT_KIND_MAD) || M <= 0 || M % (kind == LT_KIND_LUT ? 32 : 16)) return -LT_ERR_SHAPE;
  repack_ctx r = {dst, src, type, M, K, kind};
  lt_thr_ctl *c = forward_pool;
  if (c && c->nthreads > 1) {
    c->args[0] = (uint32_t)(uintptr_t)repack_job;
    c->args[1] = (uint32_t)(uintptr_t)&r;
    return lt_thr_run(c, LT_JOB_CALL, 0, 0, 1);
  }
  return repack_job(&r, 0, 0, 1);
}

/* Barrier cost probe for benchmarks: `rounds` back-to-back barriers on every thread of the
 * pool, in one job. Returns 0, or -LT_ERR_THREAD. */
static int barrier_job(void *ctx, lt_thr_ctl *c, int tid, int n) {
  int rounds = (int)(uintptr_t)ctx;
  for (int i = 0; i < rounds; i++)
    if (sync(c, tid)) return -LT_ERR_THREAD;
  return 0;
}

LT_EXPORT(lt_pool_barrier_bench)
int lt_pool_barrier_bench(lt_thr_ctl *c, int rounds) {
  c->args[0] = (uint32_t)(uintptr_t)barrier_job;
  c->args[1] = (uint32_t)rounds;
  return lt_thr_run(c, LT_JOB_CALL, 0, 0, 1);
}

/* Run tokens[0..n) at positions pos..pos+n-1 (n <= LT_NB) on every thread of the pool. */
static float *run_block(lt_model *m, const int32_t *tokens, int n, int pos) {
  const lt_tensor *embd = &m->global[LT_SLOT_TOKEN_EMBD];
  const int half = m->rope_dim / 2 > 0 ? m->rope_dim / 2 : 1;
  for (int t = 0; t < n; t++) {
    float *x = m->x + (size_t)t * m->n_embd;
    if (embd->kind == LT_KIND_LUT)
      lt_lut_dequant_row(embd->data, embd->bits, m->n_embd, embd->G, embd->asym, embd->zero, tokens[t], x);
    else if (embd->kind == LT_KIND_MAD)
      lt_mad_dequant_row(embd->data, embd->bits, m->n_embd, embd->G, embd->asym, embd->zero, tokens[t], x);
    else
      lt_get_row(embd->type, embd->data, tokens[t], m->n_embd, x);
    lt_rope_angles(pos + t, m->inv_freq, m->rope_dim / 2, m->rope_cos + (size_t)t * half, m->rope_sin + (size_t)t * half);
  }
  m->cur_pos = pos;
  m->cur_n = n;

  lt_thr_ctl *c = forward_pool;
  int st;
  if (c && c->nthreads > 1) {
    if ((st = ensure_scratch(m, c->nthreads)) < 0) { lt_set_error(-st); return 0; }
    /* the generation bump in lt_thr_run (seq_cst) publishes x, the angles, cur_pos and cur_n */
    c->args[0] = (uint32_t)(uintptr_t)forward_job;
    c->args[1] = (uint32_t)(uintptr_t)m;
    st = lt_thr_run(c, LT_JOB_CALL, 0, 0, 1);
  } else {
    st = forward_job(m, 0, 0, 1);
  }
  if (st < 0) { lt_set_error(-st); return 0; }
  return m->logits;
}

/* One token at one position (decode, mpGEMV): the logits. */
LT_EXPORT(lt_forward)
float *lt_forward(lt_model *m, int token, int pos) {
  if (!m || !m->checked) { lt_set_error(LT_ERR_MISSING_TENSOR); return 0; }
  if (token < 0 || token >= m->n_vocab || pos < 0 || pos >= m->n_ctx) { lt_set_error(LT_ERR_ARG); return 0; }
  int32_t t = token;
  return run_block(m, &t, 1, pos);
}

/* A block of n <= LT_NB tokens at positions pos..pos+n-1 (prefill, mpGEMM: each weight tile
 * is read once for the block); the KV cache is filled for all of them. Returns the logits of
 * the last token. */
LT_EXPORT(lt_forward_block)
float *lt_forward_block(lt_model *m, const int32_t *tokens, int n, int pos) {
  if (!m || !m->checked) { lt_set_error(LT_ERR_MISSING_TENSOR); return 0; }
  if (!tokens || n < 1 || n > LT_NB || pos < 0 || pos + n > m->n_ctx) { lt_set_error(LT_ERR_ARG); return 0; }
  for (int t = 0; t < n; t++)
    if (tokens[t] < 0 || tokens[t] >= m->n_vocab) { lt_set_error(LT_ERR_ARG); return 0; }
  return run_block(m, tokens, n, pos);
}
