/**
 * A fast streaming 64-bit checksum for cached model files: it guards against
 * truncated or corrupted copies (not against tampering). Bytes are fed in any
 * chunking; they are staged into an aligned buffer and mixed a 32-bit word at
 * a time in two lanes (xor, multiply by an odd constant, rotate: each step is a
 * bijection of the lane state, so any single changed word always changes the
 * result). The length is mixed in at the end.
 */
const STAGE = 64 << 10;

export class Checksum {
  private h1 = 0x9e3779b9 | 0;
  private h2 = 0x7f4a7c15 | 0;
  private readonly stage = new Uint8Array(STAGE);
  private readonly words = new Int32Array(this.stage.buffer);
  private fill = 0;
  private length = 0;

  update(bytes: Uint8Array): void {
    this.length += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(STAGE - this.fill, bytes.length - at);
      this.stage.set(n === bytes.length && at === 0 ? bytes : bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === STAGE) this.mix(STAGE >> 2);
    }
  }

  private mix(nWords: number): void {
    const w = this.words;
    let h1 = this.h1, h2 = this.h2;
    let i = 0;
    for (; i + 1 < nWords; i += 2) {
      h1 = Math.imul(h1 ^ w[i], 0x85ebca6b);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 ^ w[i + 1], 0xc2b2ae35);
      h2 = (h2 << 17) | (h2 >>> 15);
    }
    if (i < nWords) {
      h1 = Math.imul(h1 ^ w[i], 0x85ebca6b);
      h1 = (h1 << 13) | (h1 >>> 19);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.fill = 0;
  }

  /** Hex digest; the checksum can be updated no further after this. */
  digest(): string {
    const tail = this.fill;
    this.stage.fill(0, tail, (tail + 7) & ~7);
    this.mix((tail + 7) >> 2 & ~1);
    let h1 = this.h1 ^ (this.length >>> 0), h2 = this.h2 ^ Math.floor(this.length / 2 ** 32);
    h1 = Math.imul(h1 ^ (h2 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h1 >>> 13), 0xc2b2ae35);
    h1 ^= h2 >>> 16;
    return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  }
}

export function checksumOf(bytes: Uint8Array): string {
  const c = new Checksum();
  c.update(bytes);
  return c.digest();
}
