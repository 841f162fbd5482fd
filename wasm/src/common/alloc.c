/* Bump allocator: see alloc.h.
 *
 * The heap starts at __heap_base (placed by the linker after static data and
 * the default stack). The top lives in linear memory, i.e. it is shared by
 * every instance of the module over the same memory; it is advanced with a
 * compare-and-swap so a kernel worker allocating concurrently cannot get the
 * same bytes. Zero means "not initialised yet": the first caller starts at
 * __heap_base (static data in a shared memory is initialised once, by the
 * first instance, so a constant initialiser would also work; zero is simpler
 * to reason about).
 */
#include "common/alloc.h"

extern unsigned char __heap_base;

static uintptr_t heap_top;

#define PAGE_BYTES 65536ull

/* Make the memory at least `end` bytes long. Another thread may grow it at
 * the same time; memory.grow is atomic, so on failure we re-check the size. */
static int ensure_memory(uint64_t end) {
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE_BYTES;
  while (have < end) {
    uint64_t pages = (end - have + PAGE_BYTES - 1) / PAGE_BYTES;
    if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) {
      uint64_t now = (uint64_t)__builtin_wasm_memory_size(0) * PAGE_BYTES;
      if (now < end) return 0;
    }
    have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE_BYTES;
  }
  return 1;
}

LT_EXPORT(lt_alloc)
void *lt_alloc(size_t bytes, size_t align) {
  if (align == 0) align = 16;
  if (align & (align - 1)) return 0;
  for (;;) {
    uintptr_t seen = __atomic_load_n(&heap_top, __ATOMIC_ACQUIRE);
    uint64_t top = seen ? seen : (uintptr_t)&__heap_base;
    uint64_t start = (top + align - 1) & ~(uint64_t)(align - 1);
    uint64_t end = start + bytes;
    /* wasm32: the last byte must be addressable, and 0 stays "failure". */
    if (end > 0xFFFFFFFFull) return 0;
    if (!ensure_memory(end)) return 0;
    if (__atomic_compare_exchange_n(&heap_top, &seen, (uintptr_t)end, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return (void *)(uintptr_t)start;
  }
}

LT_EXPORT(lt_heap_top)
size_t lt_heap_top(void) {
  uintptr_t top = __atomic_load_n(&heap_top, __ATOMIC_ACQUIRE);
  return top ? top : (uintptr_t)&__heap_base;
}
