import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels } from '../harness.ts';

/** RoPE in float64: normal mode rotates pairs (2i, 2i+1), NeoX mode (i, i + ropeDim/2). */
function refRope(x: Float32Array, nHeads: number, headDim: number, ropeDim: number, pos: number, base: number, neox: boolean) {
  const out = Float64Array.from(x);
  for (let h = 0; h < nHeads; h++)
    for (let i = 0; i < ropeDim / 2; i++) {
      const theta = pos * base ** ((-2 * i) / ropeDim);
      const [a, b] = neox ? [h * headDim + i, h * headDim + i + ropeDim / 2] : [h * headDim + 2 * i, h * headDim + 2 * i + 1];
      out[a] = x[a] * Math.cos(theta) - x[b] * Math.sin(theta);
      out[b] = x[a] * Math.sin(theta) + x[b] * Math.cos(theta);
    }
  return out;
}

describe.each(FLAVORS)('RoPE (%s)', (flavor) => {
  it('inverse frequencies and angles are correctly rounded floats', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    for (const [base, dim] of [[10000, 8], [10000, 128], [500000, 64], [1e6, 6]] as const) {
      const pf = k.alloc(dim * 2), pc = k.alloc(dim * 2), ps = k.alloc(dim * 2);
      k.ex.lt_rope_inv_freq(base, dim, pf);
      const f = k.f32(pf, dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const exact = base ** ((-2 * i) / dim);
        expect(Math.abs(f[i] - exact) / exact, `base ${base} dim ${dim} i ${i}`).toBeLessThanOrEqual(2 ** -24);
      }
      const pos = rng.int(0, 200000);
      k.ex.lt_rope_angles(pos, pf, dim / 2, pc, ps);
      for (let i = 0; i < dim / 2; i++) {
        const t = pos * f[i]; // the angle from the f32 frequency, in double
        expect(Math.abs(k.f32(pc, dim / 2)[i] - Math.cos(t)), `${rng.label} pos ${pos}`).toBeLessThanOrEqual(2 ** -24);
        expect(Math.abs(k.f32(ps, dim / 2)[i] - Math.sin(t)), `${rng.label} pos ${pos}`).toBeLessThanOrEqual(2 ** -24);
      }
    }
  });

  it.each([
    [8, 8, 8, false], [8, 8, 8, true], [4, 16, 16, false], [4, 16, 16, true], [3, 128, 128, false], [3, 128, 128, true],
    [2, 64, 32, false], [2, 64, 32, true], [5, 12, 6, false], [5, 12, 6, true], [1, 10, 10, false], [1, 10, 10, true],
  ] as const)('rotates %i heads of %i dims (rope_dim %i, neox %s)', async (nHeads, headDim, ropeDim, neox) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const base = 10000;
    const pos = rng.int(0, 4096);
    const x = rng.normals(nHeads * headDim);
    const pf = k.alloc(ropeDim * 2), pc = k.alloc(ropeDim * 2), ps = k.alloc(ropeDim * 2), px = k.put(x);
    k.ex.lt_rope_inv_freq(base, ropeDim, pf);
    k.ex.lt_rope_angles(pos, pf, ropeDim / 2, pc, ps);
    k.ex.lt_rope(px, nHeads, headDim, ropeDim, pc, ps, neox ? 1 : 0);
    const ref = refRope(x, nHeads, headDim, ropeDim, pos, base, neox);
    const got = k.f32(px, x.length);
    for (let i = 0; i < x.length; i++) {
      // the angle pos*freq carries the f32 frequency's rounding: |d theta| <= pos * 2^-24
      expect(Math.abs(got[i] - ref[i]), `${rng.label} i=${i} pos=${pos}`).toBeLessThanOrEqual((4 + pos) * 2 ** -23 * 4);
      // dims past rope_dim are untouched
      if (i % headDim >= ropeDim) expect(got[i]).toBe(x[i]);
    }
  });
});
