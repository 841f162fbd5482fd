import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, f16ToNumber, kernels, numberToF16 } from '../harness.ts';

describe.each(FLAVORS)('f16 <-> f32 (%s)', (flavor) => {
  it('widens all 65536 halves exactly (SIMD and scalar)', async () => {
    const k = await kernels(flavor);
    const n = 65536 + 5; // not a multiple of 8: the scalar tail runs too
    const src = new Uint16Array(n);
    for (let i = 0; i < n; i++) src[i] = i & 0xffff;
    const ps = k.put(src), pd = k.alloc(n * 4);
    k.ex.lt_f16_to_f32_array(ps, pd, n);
    const out = k.f32(pd, n);
    for (let h = 0; h < n; h++) {
      const want = f16ToNumber(h & 0xffff);
      if (Number.isNaN(want)) expect(Number.isNaN(out[h]), `h=${h}`).toBe(true);
      else if (!Object.is(out[h], want)) expect(out[h], `h=0x${h.toString(16)}`).toBe(want);
    }
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x8001, 0x7e00]) {
      const want = f16ToNumber(h);
      const got = k.ex.lt_f16_to_f32_scalar(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else expect(got).toBe(want);
    }
  });

  it('narrows f32 to the nearest half, ties to even, with overflow, subnormals and NaN', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const vals: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e10, Infinity, -Infinity, NaN,
      2 ** -14, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, 2 ** -26, 1e-30, -1e-8,
      1 + 2 ** -11, 1 + 3 * 2 ** -11, 2048 + 1, 2048 + 3, 0.1, 1 / 3];
    // every half value, its neighbours' midpoints, and random floats over the whole range
    for (let h = 0; h < 0x7c00; h += 7) {
      const v = f16ToNumber(h), next = f16ToNumber(h + 1);
      vals.push(v, -v, (v + next) / 2, Math.fround((v + next) / 2 + 1e-12));
    }
    for (let i = 0; i < 20000; i++) vals.push(Math.fround((rng.next() - 0.5) * 2 ** rng.int(-30, 20)));
    const src = Float32Array.from(vals);
    const ps = k.put(src), pd = k.alloc(src.length * 2);
    k.ex.lt_f32_to_f16_array(ps, pd, src.length);
    const out = k.u16(pd, src.length);
    for (let i = 0; i < src.length; i++) {
      const want = numberToF16(src[i]);
      if (out[i] !== want) expect(`0x${out[i].toString(16)}`, `${src[i]} (${rng.label})`).toBe(`0x${want.toString(16)}`);
      if (i < 64) expect(k.ex.lt_f32_to_f16_scalar(src[i]) & 0xffff, `${src[i]}`).toBe(want);
    }
  });
});
