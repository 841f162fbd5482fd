import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels, relErr } from '../harness.ts';

describe.each(FLAVORS)('lt_rmsnorm (%s)', (flavor) => {
  it.each([1, 3, 8, 64, 172, 4099])('n=%i, with and without weight, in place', async (n) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const x = rng.normals(n, 3), w = rng.normals(n);
    const eps = 1e-5;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[i] * x[i];
    const s = 1 / Math.sqrt(ss / n + eps);
    const px = k.put(x), pw = k.put(w), po = k.alloc(n * 4);
    k.ex.lt_rmsnorm(px, pw, po, n, eps);
    expect(relErr(k.f32(po, n), Array.from(x, (v, i) => v * s * w[i])), rng.label).toBeLessThanOrEqual(1e-6);
    k.ex.lt_rmsnorm(px, 0, po, n, eps);
    expect(relErr(k.f32(po, n), Array.from(x, (v) => v * s)), rng.label).toBeLessThanOrEqual(1e-6);
    k.ex.lt_rmsnorm(px, pw, px, n, eps);
    expect(relErr(k.f32(px, n), Array.from(x, (v, i) => v * s * w[i])), rng.label).toBeLessThanOrEqual(1e-6);
  });
});
