import { describe, expect, it } from 'vitest';
import { FLAVORS, Rng, kernels, relErr } from '../harness.ts';

/** One token's grouped-query attention in float64. */
function refAttention(q: Float32Array, kc: Float32Array, vc: Float32Array, nHead: number, nHeadKv: number, headDim: number, nPos: number) {
  const kvStride = nHeadKv * headDim, group = nHead / nHeadKv, scale = 1 / Math.sqrt(headDim);
  const out = new Float64Array(nHead * headDim);
  for (let h = 0; h < nHead; h++) {
    const kvh = Math.floor(h / group);
    const s = new Float64Array(nPos);
    for (let t = 0; t < nPos; t++) {
      let d = 0;
      for (let i = 0; i < headDim; i++) d += q[h * headDim + i] * kc[t * kvStride + kvh * headDim + i];
      s[t] = d * scale;
    }
    const mx = Math.max(...s);
    let z = 0;
    for (let t = 0; t < nPos; t++) z += (s[t] = Math.exp(s[t] - mx));
    for (let t = 0; t < nPos; t++)
      for (let i = 0; i < headDim; i++) out[h * headDim + i] += (s[t] / z) * vc[t * kvStride + kvh * headDim + i];
  }
  return out;
}

describe.each(FLAVORS)('lt_attention (%s)', (flavor) => {
  it.each([
    [8, 4, 8, 1], [8, 4, 8, 37], [8, 8, 16, 100], [32, 8, 64, 300], [6, 2, 12, 5], [4, 1, 7, 50], [2, 2, 128, 513],
  ] as const)('n_head %i, n_head_kv %i, head_dim %i, %i positions', async (nHead, nHeadKv, headDim, nPos) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const nCtx = nPos + 3, kvStride = nHeadKv * headDim;
    const q = rng.normals(nHead * headDim), kc = rng.normals(nCtx * kvStride), vc = rng.normals(nCtx * kvStride);
    const pq = k.put(q), pk = k.put(kc), pv = k.put(vc);
    const po = k.alloc(q.length * 4), pa = k.alloc(nHead * nCtx * 4);
    const ref = refAttention(q, kc, vc, nHead, nHeadKv, headDim, nPos);
    k.ex.lt_attention(pq, pk, pv, po, pa, nCtx, nHead, nHeadKv, headDim, kvStride, nPos, 1 / Math.sqrt(headDim), 0, nHead);
    expect(relErr(k.f32(po, q.length), ref), rng.label).toBeLessThanOrEqual(1e-5);
    // split by heads: same result
    const full = Float32Array.from(k.f32(po, q.length));
    k.f32(po, q.length).fill(0);
    const cut = rng.int(0, nHead + 1);
    k.ex.lt_attention(pq, pk, pv, po, pa, nCtx, nHead, nHeadKv, headDim, kvStride, nPos, 1 / Math.sqrt(headDim), 0, cut);
    k.ex.lt_attention(pq, pk, pv, po, pa, nCtx, nHead, nHeadKv, headDim, kvStride, nPos, 1 / Math.sqrt(headDim), cut, nHead);
    expect(Array.from(k.f32(po, q.length))).toEqual(Array.from(full));
  });
});
