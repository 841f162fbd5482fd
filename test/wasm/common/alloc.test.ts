import { describe, expect, it } from 'vitest';
import { FLAVORS, kernels } from '../harness.ts';
import { ptr } from '../../../src/wasm/exports.ts';

describe.each(FLAVORS)('lt_alloc (%s)', (flavor) => {
  it('starts at __heap_base, aligns, and bumps', async () => {
    const k = await kernels(flavor, 16 << 20);
    const base = k.ex.lt_heap_top();
    expect(base).toBeGreaterThan(0);
    const a = ptr(k.ex.lt_alloc(3, 1));
    expect(a).toBe(base);
    const b = ptr(k.ex.lt_alloc(10, 64));
    expect(b % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3);
    expect(k.ex.lt_heap_top()).toBe(b + 10);
    const c = ptr(k.ex.lt_alloc(1, 0)); // 0 = default 16
    expect(c % 16).toBe(0);
    expect(k.ex.lt_alloc(8, 3)).toBe(0); // not a power of two
  });

  it('grows the memory when the heap passes its end, and returns 0 when it cannot', async () => {
    const k = await kernels(flavor, 16 << 20);
    const before = k.memory.buffer.byteLength;
    const p = ptr(k.ex.lt_alloc(24 << 20, 16));
    expect(p).not.toBe(0);
    expect(k.memory.buffer.byteLength).toBeGreaterThanOrEqual(p + (24 << 20));
    expect(k.memory.buffer.byteLength).toBeGreaterThan(before);
    // the new bytes are usable
    const view = new Uint8Array(k.memory.buffer, p + (24 << 20) - 1, 1);
    view[0] = 7;
    expect(view[0]).toBe(7);
    // past 4 GiB can never be satisfied
    expect(k.ex.lt_alloc(0xffffff00, 16)).toBe(0);
  });
});
