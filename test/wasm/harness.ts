/**
 * Test harness for the C kernels: one fresh shared memory and instance per
 * call, typed exports, helpers to place arrays in memory, a seeded random
 * source (seed printed in failure messages), and float64 references of the
 * number formats (f16, Q8_0) the kernels use.
 */
import { compileKernels, createSharedMemory, instantiateKernels } from '../../src/wasm/module.ts';
import type { SimdFlavor } from '../../src/wasm/flavor.ts';
import { lutraExports, ptr, type LutraExports } from '../../src/wasm/exports.ts';

export const FLAVORS: SimdFlavor[] = ['simd128', 'relaxed'];

const modules = new Map<SimdFlavor, Promise<WebAssembly.Module>>();

export interface Kernels {
  ex: LutraExports;
  memory: WebAssembly.Memory;
  /** Allocate and copy (16-byte aligned unless `align` says otherwise). */
  put(data: Float32Array | Uint8Array | Int8Array | Uint16Array, align?: number): number;
  alloc(bytes: number, align?: number): number;
  f32(p: number, n: number): Float32Array;
  u8(p: number, n: number): Uint8Array;
  i8(p: number, n: number): Int8Array;
  u16(p: number, n: number): Uint16Array;
}

export async function kernels(flavor: SimdFlavor, initialBytes = 32 << 20): Promise<Kernels> {
  if (!modules.has(flavor)) modules.set(flavor, compileKernels(flavor));
  const memory = createSharedMemory(initialBytes);
  const inst = await instantiateKernels(await modules.get(flavor)!, memory);
  const ex = lutraExports(inst.exports);
  const alloc = (bytes: number, align = 16) => {
    const p = ptr(ex.lt_alloc(bytes, align));
    if (p === 0) throw new Error(`lt_alloc(${bytes}) failed`);
    return p;
  };
  return {
    ex,
    memory,
    alloc,
    put(data, align = 16) {
      const p = alloc(data.byteLength, align);
      new Uint8Array(memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return p;
    },
    f32: (p, n) => new Float32Array(memory.buffer, p, n),
    u8: (p, n) => new Uint8Array(memory.buffer, p, n),
    i8: (p, n) => new Int8Array(memory.buffer, p, n),
    u16: (p, n) => new Uint16Array(memory.buffer, p, n),
  };
}

/** A seeded PRNG (mulberry32). The seed comes from LUTRA_SEED or the clock, and is in `label`. */
export class Rng {
  readonly seed: number;
  private s: number;
  constructor(seed = Number(process.env.LUTRA_SEED ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0)) {
    this.seed = seed >>> 0;
    this.s = this.seed;
  }
  get label(): string {
    return `seed ${this.seed} (rerun with LUTRA_SEED=${this.seed})`;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  normals(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal() * scale;
    return a;
  }
}

/** ||a - b||₂ / ||b||₂ with b the reference (float64). */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

// ---- number formats -------------------------------------------------------------------

/** f16 bits -> value (exact). */
export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** value -> f16 bits, round to nearest even (reference for the C conversion). */
export function numberToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // halfway to 2^16 and beyond: inf
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24); // subnormal (1024 encodes 2^-14 itself)
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  let n = roundEven((a / 2 ** e - 1) * 1024);
  if (n === 1024) { e++; n = 0; }
  return sign | ((e + 15) << 10) | n;
}

/** Round half to even (what f32x4.nearest does). */
export function roundEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Q8_0 weights: 34-byte blocks (f16 scale, 32 int8), as llama.cpp's reference quantizer writes them. */
export function quantizeQ8_0Weights(w: Float32Array, K: number): Uint8Array {
  const M = w.length / K, nb = K / 32;
  const out = new Uint8Array(M * nb * 34);
  const dv = new DataView(out.buffer);
  for (let r = 0; r < M; r++)
    for (let b = 0; b < nb; b++) {
      const o = (r * nb + b) * 34;
      let amax = 0;
      for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(w[r * K + b * 32 + i]));
      const d = Math.fround(amax / 127);
      const id = d ? Math.fround(1 / d) : 0;
      dv.setUint16(o, numberToF16(d), true);
      for (let i = 0; i < 32; i++) {
        const v = Math.fround(w[r * K + b * 32 + i] * id); // roundf: halves away from zero
        dv.setInt8(o + 2 + i, Math.sign(v) * Math.round(Math.abs(v)));
      }
    }
  return out;
}

/** Dequantized Q8_0 weights (exact values). */
export function dequantizeQ8_0(q: Uint8Array, M: number, K: number): Float64Array {
  const nb = K / 32, out = new Float64Array(M * K);
  const dv = new DataView(q.buffer, q.byteOffset, q.byteLength);
  for (let r = 0; r < M; r++)
    for (let b = 0; b < nb; b++) {
      const o = (r * nb + b) * 34, d = f16ToNumber(dv.getUint16(o, true));
      for (let i = 0; i < 32; i++) out[r * K + b * 32 + i] = d * dv.getInt8(o + 2 + i);
    }
  return out;
}

/** The activation quantization the C code does (lt_quantize_q8_0), replayed in f32 steps. */
export function quantizeQ8_0Activations(x: Float32Array): { q: Int8Array; d: Float64Array } {
  const nb = x.length / 32, q = new Int8Array(x.length), d = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b * 32 + i]));
    d[b] = f16ToNumber(numberToF16(Math.fround(amax / 127)));
    const id = amax ? Math.fround(127 / amax) : 0;
    for (let i = 0; i < 32; i++) q[b * 32 + i] = roundEven(Math.fround(x[b * 32 + i] * id));
  }
  return { q, d };
}
