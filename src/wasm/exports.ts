/**
 * Typed view of the C functions lutra's wasm module exports (wasm/src/).
 *
 * Pointers are byte offsets into the shared memory (wasm32). The C prototypes
 * are given next to each entry; keep both in step when the C side changes.
 */
import type { KernelExports } from './module.ts';

type Ptr = number;

/** Pointers come back from wasm as signed i32: above 2 GiB they are negative until made unsigned. */
export function ptr(p: number): number {
  return p >>> 0;
}

/** Slots of a llama model's weights: mirrors `enum lt_slot` in wasm/src/model/model.h. */
export const Slot = {
  TOKEN_EMBD: 0,
  OUTPUT_NORM: 1,
  OUTPUT: 2,
  ATTN_NORM: 3,
  ATTN_Q: 4,
  ATTN_K: 5,
  ATTN_V: 6,
  ATTN_OUT: 7,
  FFN_NORM: 8,
  FFN_GATE: 9,
  FFN_UP: 10,
  FFN_DOWN: 11,
  ATTN_Q_BIAS: 12,
  ATTN_K_BIAS: 13,
  ATTN_V_BIAS: 14,
  ATTN_SUB_NORM: 15,
  FFN_SUB_NORM: 16,
} as const;
export type SlotId = (typeof Slot)[keyof typeof Slot];

/** Status codes: mirrors `enum lt_status` in wasm/src/lutra.h (failing calls return them negated). */
export const Status = {
  OK: 0,
  ERR_OOM: 1,
  ERR_UNSUPPORTED_TYPE: 2,
  ERR_SHAPE: 3,
  ERR_MISSING_TENSOR: 4,
  ERR_ARG: 5,
  ERR_THREAD: 6,
} as const;

export function statusName(code: number): string {
  const c = Math.abs(code);
  for (const [k, v] of Object.entries(Status)) if (v === c) return k;
  return `status ${code}`;
}

export interface LutraExports {
  // common/alloc.c
  /** void *lt_alloc(size_t bytes, size_t align): 0 when memory cannot grow. */
  lt_alloc(bytes: number, align: number): Ptr;
  /** size_t lt_heap_top(void) */
  lt_heap_top(): number;

  // common/f16.c
  lt_f16_to_f32_array(src: Ptr, dst: Ptr, n: number): void;
  lt_f32_to_f16_array(src: Ptr, dst: Ptr, n: number): void;
  lt_f16_to_f32_scalar(h: number): number;
  lt_f32_to_f16_scalar(f: number): number;

  // common/expf.c, common/mathd.c (test hooks)
  lt_expf_array(x: Ptr, y: Ptr, n: number): void;
  lt_expf_scalar(x: number): number;
  lt_test_exp_f64(x: number): number;
  lt_test_log_f64(x: number): number;
  lt_test_sin_f64(x: number): number;
  lt_test_cos_f64(x: number): number;

  // kernels/
  lt_gemv_f32(W: Ptr, x: Ptr, y: Ptr, K: number, row0: number, row1: number): void;
  lt_gemv_f16(W: Ptr, x: Ptr, y: Ptr, K: number, row0: number, row1: number): void;
  lt_quantize_q8_0(x: Ptr, K: number, xq: Ptr, xd: Ptr): void;
  lt_gemv_q8_0(W: Ptr, xq: Ptr, xd: Ptr, y: Ptr, K: number, row0: number, row1: number, relaxedOk: number): void;
  lt_q8_0_has_min(W: Ptr, nBlocks: number): number;
  lt_get_row(type: number, W: Ptr, row: number, K: number, out: Ptr): number;
  lt_rmsnorm(x: Ptr, w: Ptr, out: Ptr, n: number, eps: number): void;
  lt_rope_inv_freq(base: number, ropeDim: number, invFreq: Ptr): void;
  lt_rope_angles(pos: number, invFreq: Ptr, n: number, cos: Ptr, sin: Ptr): void;
  lt_rope(x: Ptr, nHeads: number, headDim: number, ropeDim: number, cos: Ptr, sin: Ptr, neox: number): void;
  lt_softmax(x: Ptr, n: number): void;
  lt_attention(
    q: Ptr, kCache: Ptr, vCache: Ptr, out: Ptr, att: Ptr, attStride: number, nHead: number, nHeadKv: number,
    headDim: number, kvStride: number, nPos: number, scale: number, h0: number, h1: number,
  ): void;
  lt_silu_mul(g: Ptr, u: Ptr, out: Ptr, n: number): void;
  lt_add(a: Ptr, b: Ptr, out: Ptr, n: number): void;

  // model/
  /** lt_model *lt_model_new(...): 0 on failure (see lt_last_error). */
  lt_model_new(
    nVocab: number, nEmbd: number, nLayer: number, nHead: number, nHeadKv: number, headDim: number,
    nFf: number, nCtx: number, ropeDim: number, ropeNeox: number, ropeBase: number, rmsEps: number,
  ): Ptr;
  /** int lt_model_set_tensor(model, layer (-1 = global), slot, ggml type, ne0, ne1, data): 0 or -status. */
  lt_model_set_tensor(model: Ptr, layer: number, slot: number, type: number, ne0: number, ne1: number, data: Ptr): number;
  /** int lt_model_set_tensor_packed(model, layer, slot, ggml type, ne0, ne1, data, kind (1 LUT, 2 MAD)): 0 or -status. */
  lt_model_set_tensor_packed(model: Ptr, layer: number, slot: number, type: number, ne0: number, ne1: number, data: Ptr, kind: number): number;
  /** int lt_repack_lut / lt_repack_mad(dst, ggml type, src, d, m, zero, bits, M, K, G, row0, row1): 0 or -status. */
  lt_repack_lut(dst: Ptr, type: number, src: Ptr, d: Ptr, m: Ptr, zero: number, bits: number, M: number, K: number, G: number, row0: number, row1: number): number;
  lt_repack_mad(dst: Ptr, type: number, src: Ptr, d: Ptr, m: Ptr, zero: number, bits: number, M: number, K: number, G: number, row0: number, row1: number): number;
  /** int lt_repack_weight(dst, ggml type, src, M, K, kind (1 LUT, 2 MAD)): repack split over the forward pool's threads. */
  lt_repack_weight(dst: Ptr, type: number, src: Ptr, M: number, K: number, kind: number): number;
  /** uint32_t lt_lut_weight_bytes / lt_mad_weight_bytes(bits, M, K, G, asym): 0 if the shape does not fit. */
  lt_lut_weight_bytes(bits: number, M: number, K: number, G: number, asym: number): number;
  lt_mad_weight_bytes(bits: number, M: number, K: number, G: number, asym: number): number;
  /** int lt_model_set_arch(model, qkv_bias, sub_norms, ffn_act (0 SiLU, 1 squared ReLU)): 0 or -status. */
  lt_model_set_arch(model: Ptr, qkvBias: number, subNorms: number, ffnAct: number): number;
  /** int lt_model_set_ternary_tables(model, mode (2 exact int16 tables, 3 int8 tables)): 0 or -status. */
  lt_model_set_ternary_tables(model: Ptr, mode: number): number;
  /** int lt_model_check(model): 0 or -status. */
  lt_model_check(model: Ptr): number;
  /** float *lt_forward(model, token, pos): the logits (n_vocab floats), or 0 on error. */
  lt_forward(model: Ptr, token: number, pos: number): Ptr;
  /** float *lt_forward_block(model, tokens (int32[n]), n (<= 8), pos): a prefill block; the last token's logits, or 0. */
  lt_forward_block(model: Ptr, tokens: Ptr, n: number, pos: number): Ptr;
  lt_model_logits(model: Ptr): Ptr;
  /** float *lt_model_rope_freqs(model): rope_dim/2 inverse frequencies, rescalable before the first forward. */
  lt_model_rope_freqs(model: Ptr): Ptr;
  /** The status of the last failing call. */
  lt_last_error(): number;
  /** int lt_forward_use_pool(lt_thr_ctl *c): lt_forward runs on this pool's threads (0: alone). */
  lt_forward_use_pool(ctl: Ptr): number;
  /** int lt_pool_barrier_bench(ctl, rounds): `rounds` barriers on every thread, one job. */
  lt_pool_barrier_bench(ctl: Ptr, rounds: number): number;

  // threads/
  lt_thr_ctl_bytes(): number;
  lt_thr_init(ctl: Ptr, nthreads: number, spin: number): void;
  /** void lt_thr_worker(ctl, tid, start_gen): a kernel worker's job loop; returns on stop or abort. */
  lt_thr_worker(ctl: Ptr, tid: number, startGen: number): void;
  lt_thr_stop(ctl: Ptr): void;
  /** Abort the pool: every wait returns, lt_thr_run fails with -ERR_THREAD. */
  lt_thr_abort(ctl: Ptr): void;
}

/** The kernel module's exports with their C signatures. */
export function lutraExports(exports: KernelExports): LutraExports {
  for (const name of ['lt_alloc', 'lt_model_new', 'lt_forward', 'lt_gemv_f32']) {
    if (typeof exports[name] !== 'function') throw new Error(`wasm module does not export ${name}: rebuild wasm/dist`);
  }
  return exports as unknown as LutraExports;
}
