/**
 * Typed access to lutra's LUT / multiply-add kernels, repacking and thread job loop
 * (wasm/src/lut, wasm/src/threads). Pointers are byte offsets into the shared memory.
 * Layouts are documented in wasm/src/lut/lut.h.
 */
import { LutraError } from '../errors.ts';

type Ptr = number;

export const TabMode = { I8: 0, F32: 1, TOKEN: 2 } as const;
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
