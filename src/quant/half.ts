/**
 * IEEE half (F16) and bfloat16 (BF16) conversions, as ggml does them:
 * f32 → f16 rounds to nearest even (what `_cvtss_sh`/`vcvt` and ggml's scalar
 * fallback `ggml_compute_fp32_to_fp16` produce), f32 → bf16 rounds to nearest
 * even with NaN kept quiet (ggml's `ggml_compute_fp32_to_bf16`).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → f16 bits, round to nearest even; overflow gives ±inf, NaN stays NaN. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal half: value = m · 2^-24, m = mant24 >> (14 - e)
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rem > half || (rem === half && (m & 1) !== 0)) m++;
    return sign | m; // m may carry into the exponent field: the smallest normal, correct
  }
  let m = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1) !== 0)) m++;
  return sign | ((e << 10) + m); // a carry may reach 0x7c00: +inf, correct
}

let F16_TABLE: Float32Array | undefined;

function buildF16Table(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
}

/** f16 bits → number (exact). */
export function f16BitsToNumber(h: number): number {
  return (F16_TABLE ??= buildF16Table())[h & 0xffff];
}

/** The whole f16 → f32 table (65536 entries), for hot loops. */
export function f16Table(): Float32Array {
  return (F16_TABLE ??= buildF16Table());
}

/** Round a number to the nearest f16 value. */
export function roundF16(x: number): number {
  return f16BitsToNumber(f32ToF16Bits(x));
}

/** f32 → bf16 bits (ggml: round to nearest even, NaN → quiet NaN). */
export function f32ToBF16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

/** bf16 bits → number (exact). */
export function bf16BitsToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}
