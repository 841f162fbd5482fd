import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels, relErr } from '../harness.ts';

describe.each(FLAVORS)('lt_softmax (%s)', (flavor) => {
  it.each([1, 2, 5, 8, 33, 256, 2049])('n=%i', async (n) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const x = rng.normals(n, 5);
    if (n > 3) x[1] = 80; // a large value: the max must be subtracted first
    const mx = Math.max(...x);
    const e = Array.from(x, (v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    const px = k.put(x);
    k.ex.lt_softmax(px, n);
    const y = k.f32(px, n);
    expect(relErr(y, e.map((v) => v / s)), rng.label).toBeLessThanOrEqual(1e-6);
    let sum = 0;
    for (const v of y) sum += v;
    expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
  });
});
