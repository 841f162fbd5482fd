/* lutra — the C side's public ABI.
 *
 * The module is freestanding (no libc): its only import is the shared
 * WebAssembly.Memory, so the same bytes instantiate in the engine worker and
 * in every kernel worker. Everything TypeScript calls is marked LT_EXPORT.
 * Pointers are byte offsets into that memory (wasm32).
 */
#ifndef LUTRA_H
#define LUTRA_H

#include <stdint.h>
#include <stddef.h>

#define LT_EXPORT(name) __attribute__((export_name(#name))) 

/* ggml type ids as they appear in GGUF tensor infos (ggml.h's enum ggml_type). */
enum lt_ggml_type {
  LT_F32 = 0, LT_F16 = 1, LT_Q4_0 = 2, LT_Q4_1 = 3, LT_Q5_0 = 6, LT_Q5_1 = 7,
  LT_Q8_0 = 8, LT_Q8_1 = 9, LT_Q2_K = 10, LT_Q3_K = 11, LT_Q4_K = 12, LT_Q5_K = 13,
  LT_Q6_K = 14, LT_Q8_K = 15, LT_IQ4_NL = 20, LT_BF16 = 30, LT_TQ1_0 = 34, LT_TQ2_0 = 35,
};

/* Error codes returned (negated) by functions that can fail. TypeScript maps
 * them to typed errors (src/errors.ts). */
enum lt_status {
  LT_OK = 0,
  LT_ERR_OOM = 1,              /* lt_alloc could not grow memory */
  LT_ERR_UNSUPPORTED_TYPE = 2, /* tensor type has no kernel yet */
  LT_ERR_SHAPE = 3,            /* tensor shape inconsistent with the config */
  LT_ERR_MISSING_TENSOR = 4,   /* a required tensor was never set */
  LT_ERR_ARG = 5,              /* bad argument (slot, layer, position...) */
  LT_ERR_THREAD = 6,           /* the worker pool was aborted (a kernel worker died) */
};

#endif
