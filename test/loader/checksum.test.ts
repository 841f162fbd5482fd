import { describe, expect, it } from 'vitest';
import { Checksum, checksumOf } from '../../src/loader/checksum.ts';

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; b[i] = s >>> 24; }
  return b;
}

describe('cache checksum', () => {
  it('does not depend on how the bytes are chunked', () => {
    const b = bytes(300_001);
    const whole = checksumOf(b);
    for (const step of [1, 3, 7, 4096, 65_536, 65_537, 200_000]) {
      const c = new Checksum();
      for (let i = 0; i < b.length; i += step) c.update(b.subarray(i, i + step));
      expect(c.digest()).toBe(whole);
    }
    expect(whole).toMatch(/^[0-9a-f]{16}$/);
  });
  it('changes with every single-bit flip, truncation and extension', () => {
    const b = bytes(70_000, 3);
    const base = checksumOf(b);
    for (let k = 0; k < 500; k++) {
      const c = b.slice();
      const at = (k * 7919) % c.length;
      c[at] ^= 1 << (k % 8);
      expect(checksumOf(c)).not.toBe(base);
    }
    expect(checksumOf(b.subarray(0, b.length - 1))).not.toBe(base);
    const zeroTail = new Uint8Array(b.length + 1);
    zeroTail.set(b);
    expect(checksumOf(zeroTail)).not.toBe(base);
    expect(checksumOf(new Uint8Array(0))).not.toBe(checksumOf(new Uint8Array(1)));
  });
});
