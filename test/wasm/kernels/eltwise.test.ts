import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels, relErr } from '../harness.ts';

describe.each(FLAVORS)('element-wise (%s)', (flavor) => {
  it.each([1, 7, 64, 172, 1001])('silu(g) * u and a + b, n=%i', async (n) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const g = rng.normals(n, 4), u = rng.normals(n);
    if (n > 2) { g[0] = -120; g[1] = 120; } // exp overflow on either side
    const pg = k.put(g), pu = k.put(u), po = k.alloc(n * 4);
    k.ex.lt_silu_mul(pg, pu, po, n);
    const want = Array.from(g, (v, i) => (v / (1 + Math.exp(-v))) * u[i]);
    expect(relErr(k.f32(po, n), want), rng.label).toBeLessThanOrEqual(1e-6);
    expect(k.f32(po, n).every(Number.isFinite)).toBe(true);
    k.ex.lt_add(pg, pu, pg, n);
    expect(relErr(k.f32(pg, n), Array.from(g, (v, i) => v + u[i])), rng.label).toBeLessThanOrEqual(1e-7);
  });
});
