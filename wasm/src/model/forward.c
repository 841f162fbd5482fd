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

/* A matmul input: f32, plus the forms the weights that read it need, each made in this
 * thread's buffers on first use and then shared by every weight that reads the same input
 * (q/k/v share one, gate/up share one): Q8_0 quants for Q8_0 weights, LUT tables (int8
 * with one scale per `ags` activations, or per-token int8 for ternary weights) for LUT
 * weights, int8 activations for MAD weights. */
typedef struct {
  const float *x;
  int K;
  int quantized;
  int8_t *xq;
  float *xd;
  int tab_mode; /* -1: no tables yet, else the LT_TAB_* mode they were built in */
  uint8_t *tab;
  int mad_done;
  uint8_t *mad;
  float *tmp;
} act_t;

#define TAB_I8 0
#define TAB_TOK 2

static inline act_t make_act(const float *x, int K, const lt_scratch *s) {
  return (act_t){x, K, 0, s->xq, s->xd, -1, s->tab, 0, s->mad, s->tmp};
}

/* Rows [r0, r1) (multiples of the layout's row block) of a repacked weight. */
static void packed_rows(const lt_tensor *w, act_t *a, const uint8_t *W, float *y, int r0, int r1) {
  const int K = w->ne0;
  if (w->kind == LT_KIND_LUT) {
    const int mode = w->bits == LT_TERN_BITS ? TAB_TOK : TAB_I8;
    if (a->tab_mode != mode) {
      lt_lut_build(a->tab, a->x, K, lt_lut_ags(K), mode);
      a->tab_mode = mode;
    }
    lt_lut_mm(W, w->bits, K, w->G, w->asym, w->zero, a->tab, mode, lt_lut_ags(K), 1, 0, y, 0, r0, r1);
  } else {
    if (!a->mad_done) {
      lt_mad_quant(a->mad, a->x, K, LT_MAD_ABLK);
      a->mad_done = 1;
    }
    lt_mad_mm(W, w->bits, K, w->G, w->asym, w->zero, a->mad, LT_MAD_ABLK, 1, 0, y, 0, r0, r1);
  }
}

/* y[row0..row1) = W x for a weight of any supported type (types were checked at load). */
static void matvec_rows(const lt_tensor *w, act_t *a, float *y, int row0, int row1) {
  if (row1 <= row0) return;
  int K = w->ne0;
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
        packed_rows(w, a, W, y, bs, end);
        r = end;
      } else {
        int end = bs + B < row1 ? bs + B : row1;
        packed_rows(w, a, W + (size_t)(bs / B) * rbb, a->tmp, 0, B);
        for (int i = r; i < end; i++) y[i] = a->tmp[i - bs];
        r = end;
      }
    }
    return;
  }
  switch (w->type) {
    case LT_F32:
      lt_gemv_f32(w->data, a->x, y, K, row0, row1);
      break;
    case LT_F16:
      lt_gemv_f16(w->data, a->x, y, K, row0, row1);
      break;
    case LT_Q8_0:
      if (!a->quantized) {
        lt_quantize_q8_0(a->x, a->K, a->xq, a->xd);
        a->quantized = 1;
      }
      lt_gemv_q8_0(w->data, a->xq, a->xd, y, K, row0, row1, w->relaxed_ok);
      break;
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

/* Rows [u0, u1) of the units of one of q/k/v: units [base, base + heads) of head_dim rows. */
static void qkv_part(const lt_model *m, const lt_tensor *w, const lt_tensor *bias, act_t *a, float *y, int base,
                     int heads, int u0, int u1, int rope) {
  int h0 = imax(u0 - base, 0), h1 = imin(u1 - base, heads);
  if (h1 <= h0) return;
  matvec_rows(w, a, y, h0 * m->head_dim, h1 * m->head_dim);
  if (bias->data) {
    const float *b = bias->data;
    for (int r = h0 * m->head_dim; r < h1 * m->head_dim; r++) y[r] += b[r];
  }
  if (rope)
    lt_rope(y + (size_t)h0 * m->head_dim, h1 - h0, m->head_dim, m->rope_dim, m->rope_cos, m->rope_sin,
            m->rope_neox);
}

/* g = relu(g)² · u (BitNet b1.58's squared ReLU gate). */
static void relu2_mul(float *g, const float *u, int n) {
  for (int i = 0; i < n; i++) {
    float r = g[i] > 0 ? g[i] : 0;
    g[i] = r * r * u[i];
  }
}

static int forward_job(void *ctx, lt_thr_ctl *c, int tid, int n) {
  lt_model *m = ctx;
  const int n_embd = m->n_embd, head_dim = m->head_dim, kv_dim = m->kv_dim, pos = m->cur_pos;
  const float att_scale = 1.0f / lt_sqrtf((float)head_dim);
  float *xb = tid ? m->scratch[tid].xb : m->xb;
  lt_scratch sc = m->scratch[tid];
  if (!tid) { sc.xq = m->xq; sc.xd = m->xd; }

  /* this thread's fixed shares */
  int qkv0, qkv1, hd0, hd1, e0, e1, f0, f1, v0, v1;
  share(m->n_head + 2 * m->n_head_kv, tid, n, &qkv0, &qkv1);
  share(m->n_head, tid, n, &hd0, &hd1);
  share_rows(n_embd, tid, n, &e0, &e1);
  share_rows(m->n_ff, tid, n, &f0, &f1);
  share_rows(m->output->ne1, tid, n, &v0, &v1);

  for (int l = 0; l < m->n_layer; l++) {
    float *k_layer = m->k_cache + (size_t)l * m->n_ctx * kv_dim;
    float *v_layer = m->v_cache + (size_t)l * m->n_ctx * kv_dim;
    float *k = k_layer + (size_t)pos * kv_dim, *v = v_layer + (size_t)pos * kv_dim;

    /* attention block */
    lt_rmsnorm(m->x, layer_weight(m, l, LT_SLOT_ATTN_NORM)->data, xb, n_embd, m->rms_eps);
    act_t a = make_act(xb, n_embd, &sc);
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_Q), layer_weight(m, l, LT_SLOT_ATTN_Q_BIAS), &a, m->q, 0, m->n_head,
             qkv0, qkv1, 1);
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_K), layer_weight(m, l, LT_SLOT_ATTN_K_BIAS), &a, k, m->n_head,
             m->n_head_kv, qkv0, qkv1, 1); /* straight into the cache */
    qkv_part(m, layer_weight(m, l, LT_SLOT_ATTN_V), layer_weight(m, l, LT_SLOT_ATTN_V_BIAS), &a, v,
             m->n_head + m->n_head_kv, m->n_head_kv, qkv0, qkv1, 0);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (hd1 > hd0)
      lt_attention(m->q, k_layer, v_layer, m->att_out, m->att, m->n_ctx, m->n_head, m->n_head_kv,
                   head_dim, kv_dim, pos + 1, att_scale, hd0, hd1);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (m->sub_norms) { /* bitnet: every thread norms the whole attention output privately */
      lt_rmsnorm(m->att_out, layer_weight(m, l, LT_SLOT_ATTN_SUB_NORM)->data, sc.xs, m->q_dim, m->rms_eps);
      a = make_act(sc.xs, m->q_dim, &sc);
    } else {
      a = make_act(m->att_out, m->q_dim, &sc);
    }
    matvec_rows(layer_weight(m, l, LT_SLOT_ATTN_OUT), &a, xb, e0, e1);
    if (e1 > e0) lt_add(m->x + e0, xb + e0, m->x + e0, e1 - e0);
    if (sync(c, tid)) return -LT_ERR_THREAD;

    /* feed-forward block (SwiGLU) */
    lt_rmsnorm(m->x, layer_weight(m, l, LT_SLOT_FFN_NORM)->data, xb, n_embd, m->rms_eps);
    a = make_act(xb, n_embd, &sc);
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_GATE), &a, m->hb, f0, f1);
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_UP), &a, m->hb2, f0, f1);
    if (f1 > f0) {
      if (m->ffn_act == LT_ACT_RELU2) relu2_mul(m->hb + f0, m->hb2 + f0, f1 - f0);
      else lt_silu_mul(m->hb + f0, m->hb2 + f0, m->hb + f0, f1 - f0);
    }
    if (sync(c, tid)) return -LT_ERR_THREAD;

    if (m->sub_norms) {
      lt_rmsnorm(m->hb, layer_weight(m, l, LT_SLOT_FFN_SUB_NORM)->data, sc.xs, m->n_ff, m->rms_eps);
      a = make_act(sc.xs, m->n_ff, &sc);
    } else {
      a = make_act(m->hb, m->n_ff, &sc);
    }
    matvec_rows(layer_weight(m, l, LT_SLOT_FFN_DOWN), &a, xb, e0, e1);
    if (e1 > e0) lt_add(m->x + e0, xb + e0, m->x + e0, e1 - e0);
    if (sync(c, tid)) return -LT_ERR_THREAD;
  }

  lt_rmsnorm(m->x, m->global[LT_SLOT_OUTPUT_NORM].data, xb, n_embd, m->rms_eps);
  act_t a = make_act(xb, n_embd, &sc);
  matvec_rows(m->output, &a, m->logits, v0, v1);
  return 0;
}

/* Private buffers for threads 1..n-1 (thread 0 uses the model's). 0, or -LT_ERR_OOM. */
static int ensure_scratch(lt_model *m, int n) {
  int xb_len = imax(m->n_embd, m->q_dim);
  for (int t = 1; t < n; t++) {
    lt_scratch *s = &m->scratch[t];
    if (s->xb) continue;
    float *xb = lt_alloc((size_t)xb_len * sizeof(float), 64);
    int8_t *xq = lt_alloc((size_t)m->max_k32, 64);
    float *xd = lt_alloc((size_t)(m->max_k32 / LT_QK8_0) * sizeof(float), 64);
    uint8_t *tab = lt_alloc(LT_TAB_BYTES(m->max_k32), 64);
    uint8_t *mad = lt_alloc(LT_MADACT_BYTES(m->max_k32), 64);
    float *tmp = lt_alloc(32 * sizeof(float), 64);
    float *xs = lt_alloc((size_t)m->max_k32 * sizeof(float), 64);
    if (!xb || !xq || !xd || !tab || !mad || !tmp || !xs) return -LT_ERR_OOM;
    s->xq = xq; s->xd = xd; s->tab = tab; s->mad = mad; s->tmp = tmp; s->xs = xs;
    s->xb = xb; /* last: marks the set complete */
  }
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

LT_EXPORT(lt_forward)
float *lt_forward(lt_model *m, int token, int pos) {
  if (!m || !m->checked) { lt_set_error(LT_ERR_MISSING_TENSOR); return 0; }
  if (token < 0 || token >= m->n_vocab || pos < 0 || pos >= m->n_ctx) { lt_set_error(LT_ERR_ARG); return 0; }

  const lt_tensor *embd = &m->global[LT_SLOT_TOKEN_EMBD];
  if (embd->kind == LT_KIND_LUT)
    lt_lut_dequant_row(embd->data, embd->bits, m->n_embd, embd->G, embd->asym, embd->zero, token, m->x);
  else if (embd->kind == LT_KIND_MAD)
    lt_mad_dequant_row(embd->data, embd->bits, m->n_embd, embd->G, embd->asym, embd->zero, token, m->x);
  else
    lt_get_row(embd->type, embd->data, token, m->n_embd, m->x);
  lt_rope_angles(pos, m->inv_freq, m->rope_dim / 2, m->rope_cos, m->rope_sin);
  m->cur_pos = pos;

  lt_thr_ctl *c = forward_pool;
  int st;
  if (c && c->nthreads > 1) {
    if ((st = ensure_scratch(m, c->nthreads)) < 0) { lt_set_error(-st); return 0; }
    /* the generation bump in lt_thr_run (seq_cst) publishes x, the angles and cur_pos */
    c->args[0] = (uint32_t)(uintptr_t)forward_job;
    c->args[1] = (uint32_t)(uintptr_t)m;
    st = lt_thr_run(c, LT_JOB_CALL, 0, 0, 1);
  } else {
    st = forward_job(m, 0, 0, 1);
  }
  if (st < 0) { lt_set_error(-st); return 0; }
  return m->logits;
}
