/* The C memory functions, for a module without libc.
 *
 * Clang may emit calls to memcpy/memmove/memset (struct copies, zeroing
 * loops), and a freestanding build must provide them. With bulk memory the
 * compiler lowers __builtin_memcpy/memset to the memory.copy / memory.fill
 * instructions, which handle overlap and are as fast as the engine can make
 * them, so each function is a single instruction.
 */
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}

/* memory.copy is defined to behave as if through a temporary: overlap is fine. */
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  for (size_t i = 0; i < n; i++)
    if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
  return 0;
}
