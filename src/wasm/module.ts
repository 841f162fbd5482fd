/**
 * Loading and instantiating lutra's wasm kernels.
 *
 * One compiled WebAssembly.Module is instantiated once per thread over the one
 * shared WebAssembly.Memory. The module is freestanding: its only import is
 * env.memory, and every instance must get its own stack (setStack) so threads
 * never share a C stack.
 */
import { detectFlavor, type SimdFlavor } from './flavor.ts';

const WASM_URLS: Record<SimdFlavor, URL> = {
  simd128: new URL('../../wasm/dist/lutra.simd128.wasm', import.meta.url),
  relaxed: new URL('../../wasm/dist/lutra.relaxed.wasm', import.meta.url),
};

export const WASM_PAGE = 65536;
/** wasm32 can address 4 GiB: 65536 pages. */
export const MAX_PAGES = 65536;

/** The module's own bytes: fetched in a browser, read from disk in Node. */
export async function loadWasmBytes(flavor: SimdFlavor): Promise<ArrayBuffer> {
  const url = WASM_URLS[flavor];
  if (url.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(path: URL): Promise<Uint8Array> };
    const buf = await fs.readFile(url);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

export async function compileKernels(flavor: SimdFlavor = detectFlavor()): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await loadWasmBytes(flavor));
}

/** A shared memory of `initialBytes` (rounded up to pages) that can grow to `maxBytes`. */
export function createSharedMemory(initialBytes: number, maxBytes = MAX_PAGES * WASM_PAGE): WebAssembly.Memory {
  const initial = Math.ceil(initialBytes / WASM_PAGE);
  const maximum = Math.min(MAX_PAGES, Math.ceil(maxBytes / WASM_PAGE));
  return new WebAssembly.Memory({ initial, maximum, shared: true });
}

/** Raw exports of the kernel module; typed wrappers live next to their callers. */
export type KernelExports = Record<string, WebAssembly.ExportValue> & {
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
};

export interface KernelInstance {
  memory: WebAssembly.Memory;
  exports: KernelExports;
  /** Point this instance's C stack at [base, base + size): the stack grows down from the top. */
  setStack(base: number, size: number): void;
}

export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelInstance> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as KernelExports;
  return {
    memory,
    exports,
    setStack(base: number, size: number) {
      // 16-byte aligned, as the C ABI expects.
      exports.__stack_pointer.value = (base + size) & ~15;
    },
  };
}

/** An instance on a memory of its own, with a bump allocator: for work beside a loaded model (kernel timing, benchmarks). */
export interface ScratchKernels extends KernelInstance {
  /** `bytes` at a 64-byte aligned address after the module's data and a 1 MiB stack; the memory grows as needed. */
  alloc(bytes: number): number;
  /** Free everything alloc gave out. */
  reset(): void;
}

export async function scratchKernels(flavor: SimdFlavor, initialBytes: number): Promise<ScratchKernels> {
  const memory = createSharedMemory((16 << 20) + initialBytes);
  const inst = await instantiateKernels(await compileKernels(flavor), memory);
  const heap = ((inst.exports.__heap_base as WebAssembly.Global).value as number + 4095) & ~4095;
  inst.setStack(heap, 1 << 20);
  const base = heap + (1 << 20);
  let top = base;
  return {
    ...inst,
    alloc(bytes) {
      const p = (top + 63) & ~63;
      top = p + bytes;
      const need = top - memory.buffer.byteLength;
      if (need > 0) memory.grow(Math.ceil(need / WASM_PAGE));
      return p;
    },
    reset() { top = base; },
  };
}
