import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels } from '../harness.ts';

/** Distance in units in the last place between a float32 result and the exact value. */
function ulpErr(got: number, exact: number): number {
  if (got === exact) return 0;
  if (!Number.isFinite(exact) || !Number.isFinite(got)) return Infinity;
  const a = Math.abs(exact);
  // f32 ulp at |exact|: 2^(e-23), at least the subnormal quantum 2^-149
  const e = a > 0 ? Math.max(Math.floor(Math.log2(a)), -126) : -126;
  return Math.abs(got - exact) / 2 ** (e - 23);
}

describe.each(FLAVORS)('elementary functions (%s)', (flavor) => {
  it('expf is within 2 ulp over the float range, SIMD and scalar bit-identical', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const xs: number[] = [0, -0, 1, -1, 0.5, 88.72, 88.7228, 88.72283, 88.722839, 88.7229, 89, 100, Infinity,
      -87.3, -88, -100, -103.97, -103.972, -103.9721, -104, -200, -Infinity, 1e-8, -1e-8, 2 ** -30, Math.LN2, -Math.LN2 / 2];
    for (let i = 0; i < 40000; i++) xs.push(rng.uniform(-104, 89));
    for (let i = 0; i < 10000; i++) xs.push(rng.uniform(-20, 20));
    for (let i = 0; i < 2000; i++) xs.push((rng.next() - 0.5) * 2 ** rng.int(-40, 0));
    const x = Float32Array.from(xs);
    const px = k.put(x), py = k.alloc(x.length * 4);
    k.ex.lt_expf_array(px, py, x.length);
    const y = k.f32(py, x.length);
    let worst = 0, at = 0;
    for (let i = 0; i < x.length; i++) {
      const exact = Math.exp(x[i]);
      const want = Math.fround(exact);
      if (want === Infinity || want === 0) { // overflow / total underflow must be exact
        expect(y[i], `exp(${x[i]})`).toBe(want);
        continue;
      }
      const u = ulpErr(y[i], exact);
      if (u > worst) { worst = u; at = x[i]; }
      if (i % 97 === 0) expect(Object.is(k.ex.lt_expf_scalar(x[i]), y[i]), `scalar vs simd at ${x[i]}`).toBe(true);
    }
    expect(worst, `worst at x=${at} (${rng.label})`).toBeLessThanOrEqual(2);
    expect(Number.isNaN(k.ex.lt_expf_scalar(NaN))).toBe(true);
    const pn = k.put(new Float32Array([NaN, 1, NaN, -1])), po = k.alloc(16);
    k.ex.lt_expf_array(pn, po, 4);
    expect(Number.isNaN(k.f32(po, 4)[0]) && Number.isNaN(k.f32(po, 4)[2])).toBe(true);
  });

  it('double exp/log/sin/cos are accurate to a few double ulps', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    for (let i = 0; i < 3000; i++) {
      const x = rng.uniform(-700, 700);
      expect(Math.abs(k.ex.lt_test_exp_f64(x) / Math.exp(x) - 1), `exp ${x}`).toBeLessThan(1e-15);
      const y = Math.exp(rng.uniform(-700, 700));
      const ly = Math.log(y);
      expect(Math.abs(k.ex.lt_test_log_f64(y) - ly), `log ${y}`).toBeLessThan(1e-15 * Math.max(1, Math.abs(ly)));
      // RoPE angles: position (up to ~1e6) times a frequency in (0, 1]
      const t = rng.uniform(0, 1) * 10 ** rng.int(0, 7);
      expect(Math.abs(k.ex.lt_test_sin_f64(t) - Math.sin(t)), `sin ${t}`).toBeLessThan(1e-15 * Math.max(1, t) + 1e-16);
      expect(Math.abs(k.ex.lt_test_cos_f64(-t) - Math.cos(t)), `cos ${t}`).toBeLessThan(1e-15 * Math.max(1, t) + 1e-16);
    }
    expect(k.ex.lt_test_log_f64(1)).toBe(0);
    expect(k.ex.lt_test_log_f64(5e-324)).toBeCloseTo(Math.log(5e-324), 10);
    expect(Number.isNaN(k.ex.lt_test_log_f64(-1))).toBe(true);
  });
});
