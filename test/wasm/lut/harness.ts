// Shared set-up for the LUT kernel tests: one instance per flavor over its own shared
// memory, a bump allocator from __heap_base, random data and float64 references.
import { compileKernels, createSharedMemory, instantiateKernels, type KernelInstance } from '../../../src/wasm/module.ts';
import { lutExports, type LutExports } from '../../../src/kernels/lut.ts';
import type { SimdFlavor } from '../../../src/wasm/flavor.ts';

export const FLAVORS: SimdFlavor[] = ['simd128', 'relaxed'];

export class Harness {
  k!: LutExports;
  inst!: KernelInstance;
  private base = 0;
  private top = 0;
  static async create(flavor: SimdFlavor): Promise<Harness> {
    const h = new Harness();
    const mem = createSharedMemory(96 << 20, 1 << 30);
    h.inst = await instantiateKernels(await compileKernels(flavor), mem);
    // 1 MiB stack right after the module's data, heap after it
    const heap = (h.inst.exports.__heap_base.value as number + 15) & ~15;
    h.inst.setStack(heap, 1 << 20);
    h.base = heap + (1 << 20);
    h.top = h.base;
    h.k = lutExports(h.inst.exports);
    return h;
  }
  reset() { this.top = this.base; }
  alloc(bytes: number): number {
    const p = (this.top + 63) & ~63;
    this.top = p + bytes;
    const need = this.top - this.inst.memory.buffer.byteLength;
    if (need > 0) this.inst.memory.grow(Math.ceil(need / 65536));
    return p;
  }
  get buf() { return this.inst.memory.buffer as unknown as ArrayBuffer; }
  f32(p: number, n: number) { return new Float32Array(this.buf, p, n); }
  u8(p: number, n: number) { return new Uint8Array(this.buf, p, n); }
  putF32(a: ArrayLike<number>): number { const p = this.alloc(a.length * 4); this.f32(p, a.length).set(a); return p; }
  putU8(a: ArrayLike<number>): number { const p = this.alloc(a.length); this.u8(p, a.length).set(a); return p; }
}

export function gauss(n: number, outliers = false): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - Math.random(), v = Math.random();
    x[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    if (outliers && Math.random() < 0.004) x[i] *= 20;
  }
  return x;
}

/** y[n][r] = Σ_k w[r][k]·x[n][k] in float64. w as Float64Array rows of K. */
export function refMatmul(w: Float64Array, M: number, K: number, xs: Float32Array[]): Float64Array[] {
  return xs.map((x) => {
    const y = new Float64Array(M);
    for (let r = 0; r < M; r++) {
      let s = 0;
      const o = r * K;
      for (let k = 0; k < K; k++) s += w[o + k] * x[k];
      y[r] = s;
    }
    return y;
  });
}

export function nmse(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0, s = 0;
  for (let i = 0; i < ref.length; i++) { e += (y[i] - ref[i]) ** 2; s += ref[i] ** 2; }
  return e / s;
}

