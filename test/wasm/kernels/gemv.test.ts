import { describe, expect, it } from 'vitest';
import {
  FLAVORS, Rng, dequantizeQ8_0, f16ToNumber, kernels, numberToF16, quantizeQ8_0Activations,
  quantizeQ8_0Weights, relErr, type Kernels,
} from '../harness.ts';

/** y = W x in float64, W row-major M x K. */
function refGemv(W: ArrayLike<number>, x: ArrayLike<number>, M: number, K: number): Float64Array {
  const y = new Float64Array(M);
  for (let r = 0; r < M; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += W[r * K + k] * x[k];
    y[r] = s;
  }
  return y;
}

/**
 * ||y - ref|| / || |W| |x| ||: the error relative to the size of the terms summed,
 * which does not blow up when a row's products cancel (the right measure for
 * quantization error, which is per term).
 */
function termErr(y: ArrayLike<number>, ref: ArrayLike<number>, W: ArrayLike<number>, x: ArrayLike<number>, M: number, K: number): number {
  const absW = Array.from({ length: M * K }, (_, i) => Math.abs(W[i]));
  const absX = Array.from({ length: K }, (_, i) => Math.abs(x[i]));
  const mag = refGemv(absW, absX, M, K);
  let num = 0, den = 0;
  for (let r = 0; r < M; r++) {
    num += (y[r] - ref[r]) ** 2;
    den += mag[r] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Run a product over all rows, then again split into uneven row ranges, checking rows outside a range stay untouched. */
function runRanges(k: Kernels, M: number, rng: Rng, call: (py: number, r0: number, r1: number) => void): Float32Array {
  const py = k.alloc(M * 4);
  k.f32(py, M).fill(NaN);
  call(py, 0, M);
  const full = Float32Array.from(k.f32(py, M));
  // split at random cut points (ranges of any length, including 1..3 rows)
  const cuts = [0, M];
  for (let i = 0; i < 3; i++) cuts.push(rng.int(0, M + 1));
  cuts.sort((a, b) => a - b);
  const sentinel = 12345.5;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [r0, r1] = [cuts[i], cuts[i + 1]];
    if (r0 === r1) continue;
    k.f32(py, M).fill(sentinel);
    call(py, r0, r1);
    const y = k.f32(py, M);
    for (let r = 0; r < M; r++) {
      if (r >= r0 && r < r1) expect(y[r], `row ${r} in [${r0},${r1}) ${rng.label}`).toBe(full[r]);
      else expect(y[r], `row ${r} outside [${r0},${r1}) ${rng.label}`).toBe(sentinel);
    }
  }
  return full;
}

const SHAPES_ANY_K: Array<[number, number]> = [
  [1, 64], [3, 172], [7, 33], [13, 1], [2, 3], [5, 8], [6, 4], [64, 64], [37, 260], [512, 64], [9, 1027], [256, 1024],
];
const SHAPES_Q8: Array<[number, number]> = [[1, 32], [3, 64], [7, 96], [13, 288], [64, 64], [5, 4096], [256, 1024], [33, 384]];

describe.each(FLAVORS)('GEMV (%s)', (flavor) => {
  it.each(SHAPES_ANY_K)('F32 weights, M=%i K=%i', async (M, K) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const W = rng.normals(M * K), x = rng.normals(K);
    const pW = k.put(W), px = k.put(x);
    const y = runRanges(k, M, rng, (py, r0, r1) => k.ex.lt_gemv_f32(pW, px, py, K, r0, r1));
    // per term: a row whose products cancel (M = 1 makes that likely) would blow up relErr
    expect(termErr(y, refGemv(W, x, M, K), W, x, M, K), rng.label).toBeLessThanOrEqual(1e-5);
  });

  it.each(SHAPES_ANY_K)('F16 weights, M=%i K=%i', async (M, K) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const W = rng.normals(M * K, 0.5), x = rng.normals(K);
    const Wh = new Uint16Array(M * K);
    for (let i = 0; i < W.length; i++) Wh[i] = numberToF16(W[i]);
    // a few subnormal and tiny weights to exercise every path of the widening
    for (let i = 0; i < Math.min(8, W.length); i++) {
      const j = rng.int(0, W.length);
      Wh[j] = rng.int(0, 0x400) | (rng.int(0, 2) << 15);
      W[j] = f16ToNumber(Wh[j]);
    }
    const Wv = Array.from(Wh, f16ToNumber);
    const pW = k.put(Wh), px = k.put(x);
    const y = runRanges(k, M, rng, (py, r0, r1) => k.ex.lt_gemv_f16(pW, px, py, K, r0, r1));
    // exact f16 values: only f32 accumulation error (per term, as above)
    expect(termErr(y, refGemv(Wv, x, M, K), Wv, x, M, K), rng.label).toBeLessThanOrEqual(1e-5);
    // against the f32 weights before rounding to f16 (each term is off by at most 2^-11)
    expect(termErr(y, refGemv(W, x, M, K), W, x, M, K), rng.label).toBeLessThanOrEqual(1e-3);
    if (M >= 64) expect(relErr(y, refGemv(W, x, M, K)), rng.label).toBeLessThanOrEqual(1e-3);
  });

  it.each(SHAPES_Q8)('Q8_0 weights, M=%i K=%i', async (M, K) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const W = rng.normals(M * K, 0.1), x = rng.normals(K);
    const Wq = quantizeQ8_0Weights(W, K);
    const Wd = dequantizeQ8_0(Wq, M, K);
    const pW = k.put(Wq), px = k.put(x);
    const pq = k.alloc(K), pd = k.alloc((K / 32) * 4);
    k.ex.lt_quantize_q8_0(px, K, pq, pd);
    // the activation quantization matches its f32-step replay bit for bit
    const xa = quantizeQ8_0Activations(x);
    expect(Array.from(k.i8(pq, K)), rng.label).toEqual(Array.from(xa.q));
    expect(Array.from(k.f32(pd, K / 32)), rng.label).toEqual(Array.from(xa.d));
    expect(k.ex.lt_q8_0_has_min(pW, (M * K) / 32)).toBe(0);
    for (const relaxedOk of [1, 0]) {
      const y = runRanges(k, M, rng, (py, r0, r1) => k.ex.lt_gemv_q8_0(pW, pq, pd, py, K, r0, r1, relaxedOk));
      // same quantized activations: exact integer block sums, f32 scaling and accumulation only
      const xq = new Float64Array(K);
      for (let i = 0; i < K; i++) xq[i] = xa.q[i] * xa.d[Math.floor(i / 32)];
      expect(relErr(y, refGemv(Wd, xq, M, K)), `relaxedOk=${relaxedOk} ${rng.label}`).toBeLessThanOrEqual(1e-5);
      // exact activations: includes the activation quantization error (relative to the
      // terms for any shape; relative to the result where enough rows make it stable)
      const exact = refGemv(Wd, x, M, K);
      expect(termErr(y, exact, Wd, x, M, K), `relaxedOk=${relaxedOk} ${rng.label}`).toBeLessThanOrEqual(1e-2);
      if (M >= 64) expect(relErr(y, exact), `relaxedOk=${relaxedOk} ${rng.label}`).toBeLessThanOrEqual(1e-2);
    }
  });

  it('Q8_0 weights holding -128 are detected and multiplied exactly on the safe path', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const M = 6, K = 64;
    const Wq = quantizeQ8_0Weights(rng.normals(M * K), K);
    for (let i = 0; i < 20; i++) {
      const r = rng.int(0, M), b = rng.int(0, K / 32), j = rng.int(0, 32);
      Wq[(r * (K / 32) + b) * 34 + 2 + j] = 0x80; // -128
    }
    const x = rng.normals(K);
    for (let i = 0; i < K; i += 2) x[i] = -Math.abs(x[i]); // plenty of negative activations
    const pW = k.put(Wq), px = k.put(x), pq = k.alloc(K), pd = k.alloc(8), py = k.alloc(M * 4);
    expect(k.ex.lt_q8_0_has_min(pW, (M * K) / 32)).toBe(1);
    k.ex.lt_quantize_q8_0(px, K, pq, pd);
    k.ex.lt_gemv_q8_0(pW, pq, pd, py, K, 0, M, 0);
    const xa = quantizeQ8_0Activations(x);
    const xq = Array.from(xa.q, (q, i) => q * xa.d[Math.floor(i / 32)]);
    expect(relErr(k.f32(py, M), refGemv(dequantizeQ8_0(Wq, M, K), xq, M, K)), rng.label).toBeLessThanOrEqual(1e-5);
  });

  it('quantizes an all-zero activation block to zeros with scale 0', async () => {
    const k = await kernels(flavor);
    const x = new Float32Array(64);
    x[40] = 3;
    const px = k.put(x), pq = k.alloc(64), pd = k.alloc(8);
    k.ex.lt_quantize_q8_0(px, 64, pq, pd);
    expect(Array.from(k.f32(pd, 2))).toEqual([0, f16ToNumber(numberToF16(Math.fround(3 / 127)))]);
    expect(k.i8(pq, 64)[40]).toBe(127);
    expect(k.i8(pq, 64).reduce((a, b) => a + Math.abs(b), 0)).toBe(127);
  });
});
