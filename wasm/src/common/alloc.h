/* Bump allocator over the shared linear memory.
 *
 * Everything lutra keeps in memory (weights, KV cache, activations, scratch)
 * is laid out once at load time and never freed, so a bump pointer is all the
 * allocator there is: no free lists, no per-token allocation, no fragmentation.
 */
#ifndef LT_COMMON_ALLOC_H
#define LT_COMMON_ALLOC_H

#include "lutra.h"

/* `bytes` at an `align`-byte boundary (a power of two; 0 means 16), growing
 * the memory when needed. Returns 0 when memory cannot grow (or bad align).
 * The bytes are not cleared (fresh pages are zero; nothing is ever reused). */
void *lt_alloc(size_t bytes, size_t align);

/* First byte past the last allocation (the current heap top). */
size_t lt_heap_top(void);

#endif
