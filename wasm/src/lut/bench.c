/* Benchmark helpers: a strong streaming-read kernel (8 independent accumulators, unrolled
 * v128 loads) for the memory-bandwidth roofline, and a fast filler. */
#include "lut.h"

LT_EXPORT(lt_lut_bench_stream)
uint32_t lt_lut_bench_stream(const uint8_t *p, uint32_t bytes) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (uint32_t i = 0; i + 128 <= bytes; i += 128) {
    a0 = wasm_i32x4_add(a0, wasm_v128_load(p + i));
    a1 = wasm_i32x4_add(a1, wasm_v128_load(p + i + 16));
    a2 = wasm_i32x4_add(a2, wasm_v128_load(p + i + 32));
    a3 = wasm_i32x4_add(a3, wasm_v128_load(p + i + 48));
    a4 = wasm_i32x4_add(a4, wasm_v128_load(p + i + 64));
    a5 = wasm_i32x4_add(a5, wasm_v128_load(p + i + 80));
    a6 = wasm_i32x4_add(a6, wasm_v128_load(p + i + 96));
    a7 = wasm_i32x4_add(a7, wasm_v128_load(p + i + 112));
  }
  v128_t s = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3)),
                            wasm_i32x4_add(wasm_i32x4_add(a4, a5), wasm_i32x4_add(a6, a7)));
  return (uint32_t)(wasm_i32x4_extract_lane(s, 0) ^ wasm_i32x4_extract_lane(s, 1) ^
                    wasm_i32x4_extract_lane(s, 2) ^ wasm_i32x4_extract_lane(s, 3)) & 0x7FFFFFFF;
}

/* Fill with pseudo-random bytes in 0x30..0x3F: any 4 of them form a normal positive f32
 * (no denormals/NaN in scale fields), and nibble codes stay arbitrary. Timing of the
 * kernels does not depend on values. */
LT_EXPORT(lt_lut_bench_fill)
void lt_lut_bench_fill(uint8_t *p, uint32_t bytes, uint32_t seed) {
  uint32_t x = seed | 1;
  for (uint32_t i = 0; i + 4 <= bytes; i += 4) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    uint32_t v = (x & 0x0F0F0F0Fu) | 0x30303030u;
    __builtin_memcpy(p + i, &v, 4);
  }
}
