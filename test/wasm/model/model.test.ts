import { describe, expect, it } from 'vitest';
import {
  FLAVORS, Rng, dequantizeQ8_0, f16ToNumber, kernels, numberToF16, quantizeQ8_0Weights, relErr, type Kernels,
} from '../harness.ts';
import { Slot, Status, ptr } from '../../../src/wasm/exports.ts';
import { referenceModel, type RefConfig, type RefLayer, type RefWeights } from './reference.ts';

type WType = 0 | 1 | 8; // F32, F16, Q8_0

/** Store a weight of the given type; returns its pointer and the exact values the kernel sees. */
function storeWeight(k: Kernels, w: Float32Array, K: number, type: WType): { p: number; values: ArrayLike<number> } {
  if (type === 0) return { p: k.put(w), values: w };
  if (type === 1) {
    const h = Uint16Array.from(w, numberToF16);
    return { p: k.put(h), values: Array.from(h, f16ToNumber) };
  }
  const q = quantizeQ8_0Weights(w, K);
  return { p: k.put(q), values: dequantizeQ8_0(q, w.length / K, K) };
}

function randomModel(k: Kernels, rng: Rng, c: RefConfig, nCtx: number, type: WType, tied: boolean) {
  const m = ptr(k.ex.lt_model_new(c.nVocab, c.nEmbd, c.nLayer, c.nHead, c.nHeadKv, c.headDim, c.nFf, nCtx,
    c.ropeDim, c.ropeNeox ? 1 : 0, c.ropeBase, c.rmsEps));
  expect(m, `lt_model_new: status ${k.ex.lt_last_error()}`).not.toBe(0);
  const set = (layer: number, slot: number, ne0: number, ne1: number, t: WType, scale: number) => {
    const w = rng.normals(ne0 * ne1, scale);
    const { p, values } = storeWeight(k, w, ne0, t);
    expect(k.ex.lt_model_set_tensor(m, layer, slot, t, ne0, ne1, p)).toBe(0);
    return values;
  };
  const norm = (layer: number, slot: number) => {
    const w = Float32Array.from({ length: c.nEmbd }, () => 1 + 0.1 * rng.normal());
    expect(k.ex.lt_model_set_tensor(m, layer, slot, 0, c.nEmbd, 1, k.put(w))).toBe(0);
    return w;
  };
  const qDim = c.nHead * c.headDim, kvDim = c.nHeadKv * c.headDim;
  const s = 1 / Math.sqrt(c.nEmbd);
  const weights: RefWeights = {
    tokenEmbd: set(-1, Slot.TOKEN_EMBD, c.nEmbd, c.nVocab, type, 1),
    outputNorm: norm(-1, Slot.OUTPUT_NORM),
    output: tied ? null : set(-1, Slot.OUTPUT, c.nEmbd, c.nVocab, type, s),
    layers: [],
  };
  for (let l = 0; l < c.nLayer; l++) {
    const L: RefLayer = {
      attnNorm: norm(l, Slot.ATTN_NORM),
      wq: set(l, Slot.ATTN_Q, c.nEmbd, qDim, type, s),
      wk: set(l, Slot.ATTN_K, c.nEmbd, kvDim, type, s),
      wv: set(l, Slot.ATTN_V, c.nEmbd, kvDim, type, s),
      wo: set(l, Slot.ATTN_OUT, qDim, c.nEmbd, type, 1 / Math.sqrt(qDim)),
      ffnNorm: norm(l, Slot.FFN_NORM),
      wGate: set(l, Slot.FFN_GATE, c.nEmbd, c.nFf, type, s),
      wUp: set(l, Slot.FFN_UP, c.nEmbd, c.nFf, type, s),
      // F16 keeps row length n_ff (e.g. 172, not a multiple of 32), as llama.cpp's Q8_0 files do
      wDown: set(l, Slot.FFN_DOWN, c.nFf, c.nEmbd, type === 8 && c.nFf % 32 ? 1 : type, 1 / Math.sqrt(c.nFf)),
    };
    weights.layers.push(L);
  }
  return { m, weights };
}

const CONFIG: RefConfig = {
  nVocab: 96, nEmbd: 64, nLayer: 2, nHead: 8, nHeadKv: 4, headDim: 8, nFf: 172, ropeDim: 8, ropeNeox: false,
  ropeBase: 10000, rmsEps: 1e-5,
};

describe.each(FLAVORS)('llama forward pass (%s)', (flavor) => {
  it.each([
    ['F32, separate output, normal RoPE', CONFIG, 0, false, 1e-5],
    ['F32, tied output, NeoX RoPE on half the head', { ...CONFIG, headDim: 16, ropeDim: 8, ropeNeox: true, nHead: 4, nHeadKv: 2 }, 0, true, 1e-5],
    ['F16, q_dim != n_embd, MHA', { ...CONFIG, nHead: 6, nHeadKv: 6, headDim: 12, ropeDim: 12, nFf: 96 }, 1, false, 1e-5],
    ['Q8_0 (ffn_down F16), GQA', CONFIG, 8, false, 3e-2],
    ['Q8_0 everywhere, tied', { ...CONFIG, nFf: 128 }, 8, true, 3e-2],
  ] as const)('%s: logits match a float64 reference', async (_name, c, type, tied, tol) => {
    const k = await kernels(flavor);
    const rng = new Rng();
    const nCtx = 24;
    const { m, weights } = randomModel(k, rng, c, nCtx, type as WType, tied);
    expect(k.ex.lt_model_check(m)).toBe(0);
    const ref = referenceModel(c, weights);
    for (let pos = 0; pos < nCtx; pos++) {
      const token = rng.int(0, c.nVocab);
      const p = ptr(k.ex.lt_forward(m, token, pos));
      expect(p).toBe(ptr(k.ex.lt_model_logits(m)));
      const got = k.f32(p, c.nVocab), want = ref.forward(token, pos);
      // Q8_0 quantizes activations (the reference uses exact ones)
      expect(relErr(got, want), `pos ${pos} ${rng.label}`).toBeLessThanOrEqual(tol);
    }
  });

  it('allocates nothing per token', async () => {
    const k = await kernels(flavor);
    const { m } = randomModel(k, new Rng(), CONFIG, 16, 8, false);
    expect(k.ex.lt_model_check(m)).toBe(0);
    const top = k.ex.lt_heap_top();
    for (let pos = 0; pos < 16; pos++) expect(k.ex.lt_forward(m, pos, pos)).not.toBe(0);
    expect(k.ex.lt_heap_top()).toBe(top);
  });

  it('validates configs, slots, shapes and types, and reports missing tensors', async () => {
    const k = await kernels(flavor);
    const c = CONFIG;
    const args = [c.nVocab, c.nEmbd, c.nLayer, c.nHead, c.nHeadKv, c.headDim, c.nFf, 8, c.ropeDim, 0, c.ropeBase, c.rmsEps] as const;
    // n_head not a multiple of n_head_kv; odd rope dim; rope dim beyond the head
    for (const bad of [{ 4: 3 }, { 8: 7 }, { 8: 10 }, { 7: 0 }]) {
      const a = [...args];
      for (const [i, v] of Object.entries(bad)) a[Number(i)] = v;
      expect(k.ex.lt_model_new(...(a as unknown as typeof args))).toBe(0);
      expect(k.ex.lt_last_error()).toBe(Status.ERR_ARG);
    }
    // a KV cache beyond 4 GiB
    expect(k.ex.lt_model_new(c.nVocab, c.nEmbd, 64, c.nHead, c.nHeadKv, 1024, c.nFf, 1 << 16, 8, 0, 1e4, 1e-5)).toBe(0);
    expect(k.ex.lt_last_error()).toBe(Status.ERR_OOM);

    const m = ptr(k.ex.lt_model_new(...args));
    expect(m).not.toBe(0);
    const p = k.alloc(c.nEmbd * c.nVocab * 4);
    const set = (layer: number, slot: number, type: number, ne0: number, ne1: number) =>
      k.ex.lt_model_set_tensor(m, layer, slot, type, ne0, ne1, p);
    expect(set(-1, Slot.TOKEN_EMBD, 0, c.nEmbd, c.nVocab)).toBe(0);
    expect(set(0, Slot.TOKEN_EMBD, 0, c.nEmbd, c.nVocab)).toBe(-Status.ERR_ARG); // global slot needs layer -1
    expect(set(-1, Slot.ATTN_Q, 0, c.nEmbd, c.nEmbd)).toBe(-Status.ERR_ARG); // layer slot needs a layer
    expect(set(2, Slot.ATTN_Q, 0, c.nEmbd, c.nEmbd)).toBe(-Status.ERR_ARG); // no layer 2
    expect(set(0, 17, 0, c.nEmbd, c.nEmbd)).toBe(-Status.ERR_ARG);
    expect(set(0, Slot.ATTN_K, 0, c.nEmbd, c.nEmbd)).toBe(-Status.ERR_SHAPE); // k is n_head_kv * head_dim rows
    expect(set(0, Slot.FFN_DOWN, 8, c.nFf, c.nEmbd)).toBe(-Status.ERR_SHAPE); // Q8_0 rows of 172
    expect(set(0, Slot.FFN_DOWN, 1, c.nFf, c.nEmbd)).toBe(0);
    expect(set(0, Slot.ATTN_Q, 2, c.nEmbd, c.nEmbd)).toBe(-Status.ERR_UNSUPPORTED_TYPE); // Q4_0
    expect(k.ex.lt_last_error()).toBe(Status.ERR_UNSUPPORTED_TYPE);
    expect(set(0, Slot.ATTN_NORM, 1, c.nEmbd, 1)).toBe(-Status.ERR_UNSUPPORTED_TYPE); // norms are F32
    expect(k.ex.lt_model_check(m)).toBe(-Status.ERR_MISSING_TENSOR);
    expect(k.ex.lt_forward(m, 0, 0)).toBe(0);
    expect(k.ex.lt_last_error()).toBe(Status.ERR_MISSING_TENSOR);
  });

  it('rejects out-of-range tokens and positions', async () => {
    const k = await kernels(flavor);
    const { m } = randomModel(k, new Rng(), CONFIG, 4, 0, true);
    expect(k.ex.lt_model_check(m)).toBe(0);
    for (const [tok, pos] of [[-1, 0], [CONFIG.nVocab, 0], [0, 4], [0, -1]]) {
      expect(k.ex.lt_forward(m, tok, pos)).toBe(0);
      expect(k.ex.lt_last_error()).toBe(Status.ERR_ARG);
    }
    expect(k.ex.lt_forward(m, 0, 3)).not.toBe(0);
  });
});
