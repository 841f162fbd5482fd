/* lutra threads: a spin-then-wait barrier over shared memory and a minimal job loop.
 *
 * Thread 0 (the engine worker) and N−1 kernel workers share one lt_thr_ctl in the shared
 * memory. Workers park in lt_thr_worker(): they spin on the job generation counter, then
 * sleep in memory.atomic.wait32. Thread 0 writes a job (kind + args + row range) into the
 * control block and calls lt_thr_run(): it bumps the generation (notifying sleepers only
 * if any), runs its own row slice, and waits at the barrier until every thread is done.
 * A job = one kernel id + up to LT_THR_NARGS 32-bit args; rows are split in blocks of
 * `gran` rows. New kinds (e.g. a whole forward pass that uses lt_thr_barrier() between
 * layers) are added to the switch in threads.c.
 *
 * Layout (byte offsets, all i32): 0 gen, 4 nthreads, 8 kind, 12 stop, 16 bar_count,
 * 20 bar_gen, 24 spin, 28 waiters, 32 job_waiters, 36 row0, 40 row1, 44 gran,
 * 48 abort, 64.. args[32], 192.. status[16].
 *
 * Abort (for a pool whose worker died): lt_thr_abort() sets `abort` and wakes every
 * sleeper; from then on every wait returns at once, lt_thr_run returns -LT_ERR_THREAD
 * without posting, and workers leave lt_thr_worker. A pool that was aborted is not
 * reused: its owner tears it down and builds a new one.
 *
 * LT_JOB_CALL runs a C function on every thread: args[0] is a pointer to
 * `int fn(void *ctx, lt_thr_ctl *c, int tid, int nthreads)` (a table index: the same in
 * every instance of the module), args[1] is ctx. The function may call lt_thr_barrier()
 * any number of times, the same number on every thread, and must return early (after
 * its next barrier) when lt_thr_aborted(c) says so. Used by the forward pass (model/).
 */
#ifndef LT_THREADS_H
#define LT_THREADS_H
#include "../lutra.h"

#define LT_THR_NARGS 32
#define LT_THR_MAX 16

typedef struct lt_thr_ctl {
  int32_t gen, nthreads, kind, stop;
  int32_t bar_count, bar_gen, spin, waiters;
  int32_t job_waiters, row0, row1, gran;
  int32_t abort;
  int32_t pad[3];
  uint32_t args[LT_THR_NARGS];
  int32_t status[LT_THR_MAX];
} lt_thr_ctl;

enum { LT_JOB_NONE = 0, LT_JOB_LUT_MM = 1, LT_JOB_MAD_MM = 2, LT_JOB_STREAM = 3, LT_JOB_LUT_BUILD = 4,
       LT_JOB_CALL = 5 };

typedef int (*lt_thr_fn)(void *ctx, struct lt_thr_ctl *c, int tid, int nthreads);

void lt_thr_barrier(lt_thr_ctl *c, int tid);
int lt_thr_run(lt_thr_ctl *c, int kind, int row0, int row1, int gran);
void lt_thr_abort(lt_thr_ctl *c);
static inline int lt_thr_aborted(const lt_thr_ctl *c) { return __atomic_load_n(&c->abort, __ATOMIC_SEQ_CST); }
#endif
