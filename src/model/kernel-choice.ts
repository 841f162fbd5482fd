/**
 * Which kernel multiplies each weight, decided from its GGUF type and shape alone (so the
 * memory plan knows every placed size before a byte is read).
 *
 *   'lut'  repacked at load into the LUT layout (wasm/src/lut/lut.h), lt_lut_mm
 *   'mad'  repacked at load into the multiply-add layout, lt_mad_mm
 *   'f32' / 'f16' / 'q8_0'  the GGUF bytes as stored, the plain GEMV kernels (wasm/src/kernels)
 *   'dequant-f32' / 'dequant-q8_0'  a type (or shape) no repacker takes: dequantized at load
 *          (src/quant, exact to ggml) and run as F32, or requantized to Q8_0 when the F32 copy
 *          would be large (> 16M weights)
 */
import { GGMLType } from '../gguf/ggml-types.ts';
import type { GGUFTensorInfo } from '../gguf/types.ts';
import { QUANT_CODECS } from '../quant/index.ts';
import type { SimdFlavor } from '../wasm/flavor.ts';

export type KernelKind = 'lut' | 'mad' | 'f32' | 'f16' | 'q8_0' | 'dequant-f32' | 'dequant-q8_0';

/** lt_repack_info of each type the repackers take: bits (8 = ternary), group, asym, zero. */
export const REPACK_INFO: Readonly<Record<number, { bits: number; G: number; asym: boolean; zero: number }>> = {
  [GGMLType.Q4_0]: { bits: 4, G: 32, asym: false, zero: 8 },
  [GGMLType.Q4_1]: { bits: 4, G: 32, asym: true, zero: 0 },
  [GGMLType.Q2_K]: { bits: 2, G: 16, asym: true, zero: 0 },
  [GGMLType.Q3_K]: { bits: 3, G: 16, asym: false, zero: 4 },
  [GGMLType.Q4_K]: { bits: 4, G: 32, asym: true, zero: 0 },
  [GGMLType.TQ1_0]: { bits: 8, G: 256, asym: false, zero: 1 },
  [GGMLType.TQ2_0]: { bits: 8, G: 256, asym: false, zero: 1 },
};

/**
 * LUT or multiply-add, per type and wasm flavor: the one table of this choice. For the 4-bit
 * types (CALIBRATED_TYPES) loading times both kernels on this browser and takes the faster
 * (kernel-calibration.ts); the table is their answer on Chromium and the fallback. From
 * bench/results/kernels.md (best-of-15, one thread): LUT ÷ MAD time is 0.48–0.64 at 2 bits,
 * 0.59–0.72 at 3 bits, 0.72–0.88 ternary (relaxed), 0.34–0.46 at 1–3 bits and ternary
 * (simd128): LUT. At 4 bits the relaxed flavor is at parity for GEMV (0.83–1.14) and MAD wins
 * the batch-8 GEMM (prefill), so MAD; on simd128 (no 8-bit dot product for MAD) LUT wins
 * 4 bits too (0.61–0.72).
 */
export const KERNEL_BY_TYPE: Readonly<Record<number, Record<SimdFlavor, 'lut' | 'mad'>>> = {
  [GGMLType.Q2_K]: { relaxed: 'lut', simd128: 'lut' },
  [GGMLType.Q3_K]: { relaxed: 'lut', simd128: 'lut' },
  [GGMLType.TQ1_0]: { relaxed: 'lut', simd128: 'lut' },
  [GGMLType.TQ2_0]: { relaxed: 'lut', simd128: 'lut' },
  [GGMLType.Q4_0]: { relaxed: 'mad', simd128: 'lut' },
  [GGMLType.Q4_1]: { relaxed: 'mad', simd128: 'lut' },
  [GGMLType.Q4_K]: { relaxed: 'mad', simd128: 'lut' },
};

/** Weights above this count are requantized to Q8_0 rather than dequantized to F32. */
export const DEQUANT_F32_MAX = 16 << 20;

const PLANES = (bits: number) => (bits === 8 ? 2 : bits);

/** Bytes per 32 rows × 256 weights of the two-level K-quant LUT layout (LT_KQ_REC in wasm/src/lut/lut.h). */
const KQ_REC = 64 * 2 * 16 + 8 * 64 + 256;

/** Bytes of an [M][K] weight in the LUT layout (lt_lut_weight_bytes); 0 if it does not fit. */
export function lutBytes(type: number, M: number, K: number): number {
  const q = REPACK_INFO[type];
  // Q2_K keeps its 4-bit sub-scales and mins (0.34 B/weight): the two-level layout
  if (type === GGMLType.Q2_K) return M % 32 || K % 256 || K > 65536 ? 0 : (M / 32) * (K / 256) * KQ_REC;
  if (!q || M % 32 || K % q.G || K % 16 || !(K % 64 === 0 || K % 32 === 0 || K % 16 === 0)) return 0;
  const rec = (q.G / 4) * PLANES(q.bits) * 16 + 128 + (q.asym ? 128 : 0);
  return (M / 32) * (K / q.G) * rec;
}

/** Bytes of an [M][K] weight in the MAD layout (lt_mad_weight_bytes); 0 if it does not fit. */
export function madBytes(type: number, M: number, K: number): number {
  const q = REPACK_INFO[type];
  if (!q) return 0;
  const bits = q.bits === 8 ? 2 : q.bits;
  const R = Math.max(q.G, 32);
  if (M % 16 || K % q.G || K % R || K % 32) return 0;
  const rec = (R / 32) * 64 * bits + (R / q.G) * (64 + (q.asym ? 64 : 0));
  return (M / 16) * (K / R) * rec;
}

/** Whether src/quant can dequantize the type (the fallback path). */
export function canDequantize(type: number): boolean {
  return QUANT_CODECS.has(type);
}

/**
 * The kernel for a weight of this type and shape ([ne0 = K, ne1 = M]); undefined if none can run
 * it. `measured`: the kernel timed faster on this browser for the type (kernel-calibration.ts),
 * which 'auto' takes over the table.
 */
export function chooseKernel(type: number, K: number, M: number, flavor: SimdFlavor, prefer: 'auto' | 'lut' | 'mad' = 'auto',
    measured?: 'lut' | 'mad'): KernelKind | undefined {
  if (type === GGMLType.F32) return 'f32';
  if (type === GGMLType.F16) return 'f16';
  if (type === GGMLType.Q8_0) return 'q8_0';
  const pref = KERNEL_BY_TYPE[type] && prefer !== 'auto' ? prefer : measured ?? KERNEL_BY_TYPE[type]?.[flavor];
  if (pref === 'lut' && lutBytes(type, M, K)) return 'lut';
  if (pref === 'mad' && madBytes(type, M, K)) return 'mad';
  // the other repacked layout when the preferred one does not take the shape
  if (pref && lutBytes(type, M, K)) return 'lut';
  if (pref && madBytes(type, M, K)) return 'mad';
  if (!canDequantize(type)) return undefined;
  return M * K > DEQUANT_F32_MAX && K % 32 === 0 ? 'dequant-q8_0' : 'dequant-f32';
}

/** Bytes the weight takes in wasm memory under `kind`. */
export function kernelBytes(kind: KernelKind, t: GGUFTensorInfo, K: number, M: number): number {
  switch (kind) {
    case 'lut': return lutBytes(t.type, M, K);
    case 'mad': return madBytes(t.type, M, K);
    case 'dequant-f32': return M * K * 4;
    case 'dequant-q8_0': return (M * K / 32) * 34;
    default: return t.byteSize;
  }
}

/** Placed bytes for planning, independent of the flavor and of a load-time measurement (the larger of the choices). */
export function plannedBytes(t: GGUFTensorInfo, K: number, M: number): number {
  let best = 0;
  for (const flavor of ['relaxed', 'simd128'] as const) {
    for (const measured of [undefined, 'lut', 'mad'] as const) {
      if (measured && !CALIBRATED_TYPES.has(t.type)) continue;
      const kind = chooseKernel(t.type, K, M, flavor, 'auto', measured);
      if (kind) best = Math.max(best, kernelBytes(kind, t, K, M));
    }
  }
  return best || t.byteSize;
}

/** The 4-bit types whose kernel kernel-calibration.ts times at load: both layouts take them, neither is clearly faster. */
export const CALIBRATED_TYPES: ReadonlySet<number> = new Set([GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q4_K]);

/** Whether the GGUF bytes pass through a staging buffer (repacked or dequantized at load). */
export function isStaged(kind: KernelKind): boolean {
  return kind === 'lut' || kind === 'mad' || kind === 'dequant-f32' || kind === 'dequant-q8_0';
}

/** ggml type id → the C ABI's lt_kind for a repacked weight. */
export const LT_KIND = { lut: 1, mad: 2 } as const;
