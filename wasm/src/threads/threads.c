#include "threads.h"

int lt_lut_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero,
              const uint8_t *tab, int mode, int ags, int ntok, uint32_t tstride,
              float *y, uint32_t ystride, int row0, int row1);
int lt_mad_mm(const uint8_t *W, int bits, int K, int G, int asym, float zero,
              const uint8_t *acts, int ablk, int ntok, uint32_t astride,
              float *y, uint32_t ystride, int row0, int row1);
int lt_lut_build(uint8_t *tab, const float *x, int K, int ags, int mode);
uint32_t lt_lut_bench_stream(const uint8_t *p, uint32_t bytes);

#define LD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)

/* Wait until *p != v: spin `spin` atomic loads, then sleep (counting sleepers in *w so
 * the releaser only pays for notify when someone sleeps). Returns early once *abort is
 * set (lt_thr_abort wakes sleepers). */
static void wait_change(int32_t *p, int32_t v, int32_t spin, int32_t *w, const int32_t *abort) {
  for (int i = 0; i < spin; i++)
    if (LD(p) != v) return;
  while (LD(p) == v) {
    if (LD(abort)) return;
    __atomic_fetch_add(w, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_wait32((int *)p, v, -1);
    __atomic_fetch_sub(w, 1, __ATOMIC_SEQ_CST);
  }
}
static void bump(int32_t *p, int32_t *w) {
  __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
  if (LD(w) > 0) __builtin_wasm_memory_atomic_notify((int *)p, 0xFFFFFFFFu);
}

LT_EXPORT(lt_thr_ctl_bytes) uint32_t lt_thr_ctl_bytes(void) { return sizeof(lt_thr_ctl); }

LT_EXPORT(lt_thr_init)
void lt_thr_init(lt_thr_ctl *c, int nthreads, int spin) {
  __builtin_memset(c, 0, sizeof(*c));
  c->nthreads = nthreads; c->spin = spin;
}

/* All nthreads threads call it; returns when all have arrived. */
LT_EXPORT(lt_thr_barrier)
void lt_thr_barrier(lt_thr_ctl *c, int tid) {
  int32_t n = c->nthreads;
  if (n <= 1) return;
  int32_t g = LD(&c->bar_gen);
  if (__atomic_fetch_add(&c->bar_count, 1, __ATOMIC_SEQ_CST) == n - 1) {
    __atomic_store_n(&c->bar_count, 0, __ATOMIC_SEQ_CST);
    bump(&c->bar_gen, &c->waiters);
  } else {
    wait_change(&c->bar_gen, g, c->spin, &c->waiters, &c->abort);
  }
}

static void exec(lt_thr_ctl *c, int tid) {
  int n = c->nthreads, g = c->gran > 0 ? c->gran : 1;
  int nb = (c->row1 - c->row0) / g;
  int r0 = c->row0 + (int)((int64_t)nb * tid / n) * g, r1 = c->row0 + (int)((int64_t)nb * (tid + 1) / n) * g;
  const uint32_t *a = c->args;
  int st = 0;
  float zero; __builtin_memcpy(&zero, &a[5], 4);
  switch (c->kind) {
  case LT_JOB_LUT_MM:
    if (r1 > r0)
      st = lt_lut_mm((const uint8_t *)a[0], (int)a[1], (int)a[2], (int)a[3], (int)a[4], zero, (const uint8_t *)a[6],
                     (int)a[7], (int)a[8], (int)a[9], a[10], (float *)a[11], a[12], r0, r1);
    break;
  case LT_JOB_MAD_MM:
    if (r1 > r0)
      st = lt_mad_mm((const uint8_t *)a[0], (int)a[1], (int)a[2], (int)a[3], (int)a[4], zero, (const uint8_t *)a[6],
                     (int)a[7], (int)a[8], a[9], (float *)a[10], a[11], r0, r1);
    break;
  case LT_JOB_STREAM: { /* args: ptr, bytes (multiple of 256·n); rows unused */
    uint32_t part = a[1] / (uint32_t)n;
    st = (int)lt_lut_bench_stream((const uint8_t *)a[0] + part * (uint32_t)tid, part);
    break;
  }
  case LT_JOB_LUT_BUILD: /* args: tab, x, K, ags, mode, ntok, tstride; tokens split over threads */
    for (int t = tid; t < (int)a[5]; t += n)
      st |= lt_lut_build((uint8_t *)a[0] + (size_t)t * a[6], (const float *)a[1] + (size_t)t * a[2], (int)a[2], (int)a[3], (int)a[4]);
    break;
  case LT_JOB_CALL: /* args: fn, ctx (see threads.h) */
    st = ((lt_thr_fn)(uintptr_t)a[0])((void *)(uintptr_t)a[1], c, tid, n);
    break;
  }
  c->status[tid] = st;
}

/* Worker thread `tid` (1..n−1): parks until thread 0 posts a job; returns on stop.
 * start_gen: the generation when the worker was launched (0 for a fresh ctl). */
LT_EXPORT(lt_thr_worker)
void lt_thr_worker(lt_thr_ctl *c, int tid, int start_gen) {
  int32_t seen = start_gen;
  for (;;) {
    wait_change(&c->gen, seen, c->spin, &c->job_waiters, &c->abort);
    seen = LD(&c->gen);
    if (LD(&c->stop) || LD(&c->abort)) return;
    exec(c, tid);
    lt_thr_barrier(c, tid);
  }
}

/* Thread 0: run the job described in c (kind, args, row0/row1/gran) on all threads.
 * Returns the first non-zero status (negative error) or 0 / stream checksum. */
LT_EXPORT(lt_thr_run)
int lt_thr_run(lt_thr_ctl *c, int kind, int row0, int row1, int gran) {
  if (lt_thr_aborted(c)) return -LT_ERR_THREAD;
  c->kind = kind; c->row0 = row0; c->row1 = row1; c->gran = gran;
  if (c->nthreads > 1) bump(&c->gen, &c->job_waiters);
  exec(c, 0);
  lt_thr_barrier(c, 0);
  if (lt_thr_aborted(c)) return -LT_ERR_THREAD;
  for (int i = 0; i < c->nthreads; i++)
    if (c->status[i] < 0) return c->status[i];
  return c->status[0];
}

/* Ask the workers to return from lt_thr_worker. */
LT_EXPORT(lt_thr_stop)
void lt_thr_stop(lt_thr_ctl *c) {
  __atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
  bump(&c->gen, &c->job_waiters);
}

/* Give up on this pool (a worker died, or is about to be terminated): wake everyone; every
 * wait returns from now on (see threads.h). Safe to call from any thread, any time. */
LT_EXPORT(lt_thr_abort)
void lt_thr_abort(lt_thr_ctl *c) {
  __atomic_store_n(&c->abort, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify((int *)&c->gen, 0xFFFFFFFFu);
  __builtin_wasm_memory_atomic_notify((int *)&c->bar_gen, 0xFFFFFFFFu);
}

/* Set the number of threads taking part in the next jobs (≤ the workers parked + 1).
 * Workers with tid ≥ n stay parked but would wake on a post: use only while they are not
 * launched, or launch exactly n−1 workers. */
LT_EXPORT(lt_thr_set_threads) void lt_thr_set_threads(lt_thr_ctl *c, int n) { c->nthreads = n; }
LT_EXPORT(lt_thr_args) uint32_t *lt_thr_args(lt_thr_ctl *c) { return c->args; }
