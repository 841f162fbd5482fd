/** The two builds of lutra's kernels (wasm/build.sh). */
export type SimdFlavor = 'simd128' | 'relaxed';

/**
 * The smallest module that uses a relaxed-SIMD instruction: one function that
 * returns i8x16.relaxed_swizzle of two zero vectors. If the engine validates it,
 * the relaxed build will run.
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x2b, 0x01, 0x29, 0x00, // code: 1 body of 41 bytes, no locals
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0xfd, 0x80, 0x02, // i8x16.relaxed_swizzle (0xfd 0x100)
  0x0b, // end
]);

const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0x0b,
]);

export function supportsSimd128(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

export function supportsRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** The fastest flavor this engine can run; throws when it has no SIMD at all. */
export function detectFlavor(): SimdFlavor {
  if (supportsRelaxedSimd()) return 'relaxed';
  if (supportsSimd128()) return 'simd128';
  throw new Error('This JavaScript engine has no WebAssembly SIMD128 support');
}
