/**
 * Typed access to lutra's LUT / multiply-add kernels, repacking and thread job loop
 * (wasm/src/lut, wasm/src/threads). Pointers are byte offsets into the shared memory.
 * Layouts are documented in wasm/src/lut/lut.h.
 */
import { LutraError } from '../errors.ts';

type Ptr = number;

/** LUT table modes (lut.h): int8, f32 (exact), per-token int8 activations with exact int16 tables, the same activations with int8 tables. */
export const TabMode = { I8: 0, F32: 1, TOKEN: 2, TOKEN_I8: 3 } as const;
export const Job = { LUT_MM: 1, MAD_MM: 2, STREAM: 3, LUT_BUILD: 4 } as const;
/** Byte offsets inside lt_thr_ctl (threads.h). */
export const CTL_ARGS = 64;

export interface LutExports {
  lt_lut_table_bytes(K: number, ags: number, mode: number): number;
  lt_lut_build(tab: Ptr, x: Ptr, K: number, ags: number, mode: number): number;
  lt_lut_mm(W: Ptr, bits: number, K: number, G: number, asym: number, zero: number, tab: Ptr, mode: number,
    ags: number, ntok: number, tstride: number, y: Ptr, ystride: number, row0: number, row1: number): number;
  lt_mad_act_bytes(K: number, ablk: number): number;
  lt_mad_quant(dst: Ptr, x: Ptr, K: number, ablk: number): number;
  lt_mad_mm(W: Ptr, bits: number, K: number, G: number, asym: number, zero: number, acts: Ptr, ablk: number,
    ntok: number, astride: number, y: Ptr, ystride: number, row0: number, row1: number): number;
  lt_repack_info(type: number, out: Ptr): number;
  lt_lut_weight_bytes(bits: number, M: number, K: number, G: number, asym: number): number;
  lt_mad_weight_bytes(bits: number, M: number, K: number, G: number, asym: number): number;
  lt_repack_lut(dst: Ptr, type: number, src: Ptr, d: Ptr, m: Ptr, zero: number, bits: number, M: number,
    K: number, G: number, row0: number, row1: number): number;
  lt_repack_mad(dst: Ptr, type: number, src: Ptr, d: Ptr, m: Ptr, zero: number, bits: number, M: number,
    K: number, G: number, row0: number, row1: number): number;
  lt_lut_dequant_row(W: Ptr, bits: number, K: number, G: number, asym: number, zero: number, row: number, out: Ptr): number;
  lt_mad_dequant_row(W: Ptr, bits: number, K: number, G: number, asym: number, zero: number, row: number, out: Ptr): number;
  lt_lut_bench_stream(p: Ptr, bytes: number): number;
  lt_lut_bench_fill(p: Ptr, bytes: number, seed: number): void;
  lt_thr_ctl_bytes(): number;
  lt_thr_init(ctl: Ptr, nthreads: number, spin: number): void;
  lt_thr_worker(ctl: Ptr, tid: number, startGen: number): void;
  lt_thr_run(ctl: Ptr, kind: number, row0: number, row1: number, gran: number): number;
  lt_thr_stop(ctl: Ptr): void;
  lt_thr_set_threads(ctl: Ptr, n: number): void;
  lt_thr_barrier(ctl: Ptr, tid: number): void;
}

/** A kernel refused a shape (M/K/G/row range not multiples of its tile) or an argument. */
export class KernelShapeError extends LutraError {
  override readonly name: string = 'KernelShapeError';
  constructor(message: string) {
    super('KERNEL_SHAPE', message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  2: 'unsupported tensor type',
  3: 'shape not supported by the kernel (M must be a multiple of 32 for LUT / 16 for MAD, K of G, G of 16, row ranges of the row block)',
  5: 'bad argument',
};

/** Throws KernelShapeError for a negative status; returns the value otherwise. */
export function check(rc: number, what: string): number {
  if (rc < 0) throw new KernelShapeError(`${what}: ${STATUS_TEXT[-rc] ?? `error ${-rc}`}`);
  return rc;
}

/** The kernel functions of an instance's exports. */
export function lutExports(exports: Record<string, WebAssembly.ExportValue>): LutExports {
  return exports as unknown as LutExports;
}

/** "bits" value of the ternary LUT layout (balanced planes); the MAD layout takes ternary as bits 2, zero 1. */
export const TERNARY = 8;

/** A repacked weight as the kernels see it. */
export interface LutWeight {
  ptr: number; bits: number; M: number; K: number; G: number; asym: boolean;
  /** symmetric layouts: w = d·(q − zero) */
  zero: number;
  layout: 'lut' | 'mad';
}

/** What a GGUF type becomes in lutra's layouts, or null when it has no LUT/MAD path. */
export function repackInfo(k: LutExports, type: number, scratch: number, view: () => ArrayBuffer):
    { bits: number; G: number; asym: boolean; zero: number } | null {
  if (!k.lt_repack_info(type, scratch)) return null;
  const [bits, G, asym, zero] = new Int32Array(view(), scratch, 4);
  return { bits, G, asym: asym !== 0, zero };
}

/**
 * Repack rows [row0, row1) of a GGUF tensor (its blocks at `src`) into `dst` (sized by
 * weightBytes). Threads may repack disjoint row slices of one tensor concurrently
 * (multiples of 32 rows for 'lut', 16 for 'mad').
 */
export function repackGguf(k: LutExports, layout: 'lut' | 'mad', dst: number, type: number, src: number,
    M: number, K: number, row0 = 0, row1 = M): void {
  const fn = layout === 'lut' ? k.lt_repack_lut : k.lt_repack_mad;
  check(fn(dst, type, src, 0, 0, 0, 0, M, K, 0, row0, row1), `repack ${layout} type ${type} ${M}×${K}`);
}

export function weightBytes(k: LutExports, layout: 'lut' | 'mad', bits: number, M: number, K: number, G: number, asym: boolean): number {
  const b = layout === 'mad' && bits === TERNARY ? 2 : bits;
  const n = layout === 'lut' ? k.lt_lut_weight_bytes(b, M, K, G, +asym) : k.lt_mad_weight_bytes(b, M, K, G, +asym);
  if (!n) throw new KernelShapeError(`${layout} layout cannot take ${M}×${K} at ${bits} bits, group ${G}`);
  return n;
}

/** y[n][r] for rows [row0, row1) of ntok tokens whose tables (lt_lut_build) are tstride bytes apart. */
export function lutMatmul(k: LutExports, w: LutWeight, tab: number, mode: number, ags: number, ntok: number,
    tstride: number, y: number, ystride: number, row0 = 0, row1 = w.M): void {
  check(k.lt_lut_mm(w.ptr, w.bits, w.K, w.G, +w.asym, w.zero, tab, mode, ags, ntok, tstride, y, ystride, row0, row1), 'lt_lut_mm');
}
