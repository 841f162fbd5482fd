/**
 * LUT or multiply-add, timed on this browser (DESIGN §2: "choose per tensor by measurement").
 *
 * At 4 bits the two kernels are within ±15 % of each other on Chromium's relaxed SIMD
 * (bench/results/kernels.md), and which one wins depends on how the engine lowers swizzles and
 * 8-bit dot products: the fixed table in kernel-choice.ts is Chromium's answer. So for the 4-bit
 * types both layouts can take (CALIBRATED_TYPES), loading times one GEMV of each on a random
 * weight (256 rows, fewer for long rows) of the tensor's type and row length, in a separate small instance of the same
 * module, and runs the faster one. The weight is hot in cache: that times the kernels' compute,
 * which is what decode is bound by here (bench/results/e2e.md). A few ms per (type, row length),
 * once per page: results are cached for the life of the module.
 *
 * The 1–3-bit and ternary types stay on the table: LUT leads there by 1.3–2×, and Q2_K's LUT
 * layout is less than half the bytes of its MAD layout, which the memory plan counts on.
 */
import { quantize } from '../quant/index.ts';
import type { SimdFlavor } from '../wasm/flavor.ts';
import { scratchKernels } from '../wasm/module.ts';
import { lutExports } from '../kernels/lut.ts';
import { CALIBRATED_TYPES, lutBytes, madBytes } from './kernel-choice.ts';

export interface KernelCalibration {
  type: number;
  /** Row length (ne0) the kernels were timed at. */
  K: number;
  /** Median ms of one GEMV of the sample weight on each kernel. */
  lutMs: number;
  madMs: number;
  kind: 'lut' | 'mad';
}

/** Rows of the sample weight: 256, fewer for long rows (at most 2^20 weights to quantize in JS). */
const rowsFor = (K: number) => Math.max(32, Math.min(256, Math.floor((1 << 20) / K / 32) * 32));
const REPS = 15;
/** Each timing sample runs enough calls to last ~1 ms: performance.now() may be coarse (5–100 µs). */
const SAMPLE_MS = 1;
/** MAD activation block (LT_MAD_ABLK in wasm/src/model/model.h). */
const MAD_ABLK = 32;
/** LUT table scale block for an input of length K (lt_lut_ags in wasm/src/model/model.h). */
const lutAgs = (K: number) => (K % 64 === 0 ? 64 : K % 32 === 0 ? 32 : K % 16 === 0 ? 16 : 0);

const cache = new Map<string, Promise<KernelCalibration>>();

/** Whether a weight of this type and shape has its kernel timed at load. */
export function isCalibrated(type: number, K: number, M: number): boolean {
  return CALIBRATED_TYPES.has(type) && lutBytes(type, M, K) > 0 && madBytes(type, M, K) > 0 && K % MAD_ABLK === 0 && lutAgs(K) > 0;
}

/** Time both kernels for (type, K) on `flavor`; cached per module. */
export function calibrateKernel(flavor: SimdFlavor, type: number, K: number): Promise<KernelCalibration> {
  const key = `${flavor}:${type}:${K}`;
  let p = cache.get(key);
  if (!p) {
    p = measure(flavor, type, K);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function measure(flavor: SimdFlavor, type: number, K: number): Promise<KernelCalibration> {
  const M = rowsFor(K);
  const blocks = quantize(type, Float32Array.from({ length: M * K }, () => (Math.random() - 0.5) * 0.04));
  const wl = lutBytes(type, M, K), wm = madBytes(type, M, K);
  const inst = await scratchKernels(flavor, blocks.length + wl + wm + K * 4 * 4 + (1 << 20));
  const { alloc, memory } = inst;
  const k = lutExports(inst.exports);
  const src = alloc(blocks.length), Wl = alloc(wl), Wm = alloc(wm), x = alloc(K * 4), y = alloc(M * 4);
  const ags = lutAgs(K);
  const tab = alloc(k.lt_lut_table_bytes(K, ags, 0)), act = alloc(k.lt_mad_act_bytes(K, MAD_ABLK));
  new Uint8Array(memory.buffer, src, blocks.length).set(blocks);
  const xs = new Float32Array(memory.buffer, x, K);
  for (let i = 0; i < K; i++) xs[i] = Math.random() - 0.5;
  if (k.lt_repack_lut(Wl, type, src, 0, 0, 0, 0, M, K, 0, 0, M) !== 0 || k.lt_repack_mad(Wm, type, src, 0, 0, 0, 0, M, K, 0, 0, M) !== 0) {
    throw new Error(`kernel calibration: repacking type ${type} at K=${K} failed`);
  }
  const info = alloc(32);
  k.lt_repack_info(type, info);
  const [bits, G, asym, zero, lutAsym] = new Int32Array(memory.buffer, info, 5);
  k.lt_lut_build(tab, x, K, ags, 0);
  k.lt_mad_quant(act, x, K, MAD_ABLK);
  const lut = () => k.lt_lut_mm(Wl, bits, K, G, lutAsym, zero, tab, 0, ags, 1, 0, y, M, 0, M);
  const mad = () => k.lt_mad_mm(Wm, bits, K, G, asym, zero, act, MAD_ABLK, 1, 0, y, M, 0, M);
  // warm-up (tier-up, caches), which also sizes the samples
  let calls = 0;
  const w0 = performance.now();
  while (performance.now() - w0 < 2 * SAMPLE_MS) { lut(); mad(); calls++; }
  const per = Math.max(1, Math.round(calls / 2));
  const time = (f: () => number) => { const t0 = performance.now(); for (let i = 0; i < per; i++) f(); return (performance.now() - t0) / per; };
  const tl: number[] = [], tm: number[] = [];
  for (let r = 0; r < REPS; r++) { tl.push(time(lut)); tm.push(time(mad)); } // interleaved: a slow moment hits both
  const lutMs = median(tl), madMs = median(tm);
  return { type, K, lutMs, madMs, kind: lutMs <= madMs ? 'lut' : 'mad' };
}
