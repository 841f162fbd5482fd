import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, dequantizeQ8_0, f16ToNumber, kernels, numberToF16, quantizeQ8_0Weights } from '../harness.ts';
import { Status } from '../../../src/wasm/exports.ts';

describe.each(FLAVORS)('lt_get_row (%s)', (flavor) => {
  it('reads one row of F32, F16 and Q8_0 matrices exactly', async () => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const M = 9, K = 96, row = rng.int(0, M);
    const W = rng.normals(M * K);
    const out = k.alloc(K * 4);

    expect(k.ex.lt_get_row(0, k.put(W), row, K, out)).toBe(0);
    expect(Array.from(k.f32(out, K))).toEqual(Array.from(W.subarray(row * K, row * K + K)));

    const Wh = Uint16Array.from(W, numberToF16);
    expect(k.ex.lt_get_row(1, k.put(Wh), row, K, out)).toBe(0);
    expect(Array.from(k.f32(out, K))).toEqual(Array.from(Wh.subarray(row * K, row * K + K), f16ToNumber));

    const Wq = quantizeQ8_0Weights(W, K);
    expect(k.ex.lt_get_row(8, k.put(Wq), row, K, out)).toBe(0);
    expect(Array.from(k.f32(out, K))).toEqual(Array.from(dequantizeQ8_0(Wq, M, K).subarray(row * K, row * K + K)));

    expect(k.ex.lt_get_row(2, k.put(Wq), row, K, out)).toBe(-Status.ERR_UNSUPPORTED_TYPE);
  });
});
